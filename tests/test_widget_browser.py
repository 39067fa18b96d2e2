"""The web widget in real headless Chromium (Debian's package, driven by Playwright)."""
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from bot import services
from conftest import ROOT

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install -y chromium fonts-noto-cjk (.ci/run does)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 820}, locale="zh-CN")
    pg = context.new_page()
    yield pg
    context.close()


def open_widget(page, gateway):
    page.goto(gateway + "/")
    page.get_by_role("button", name="打开在线咨询").click()
    expect(page.get_by_role("log")).to_contain_text("您好")


def ask(page, text):
    box = page.get_by_label("输入您的问题")
    box.fill(text)
    box.press("Enter")


def test_ask_click_quick_reply_reload(page, running_bot):
    open_widget(page, running_bot.gateway)
    ask(page, "我要办变更")
    page.get_by_role("button", name="企业更名").click()
    log = page.get_by_role("log")
    expect(log).to_contain_text("营业执照复印件")
    ask(page, "初始注册的办理流程")
    expect(page.locator(".jh-timeline").last).to_be_visible()
    expect(log.locator("a.jh-tel")).to_have_count(0)
    ask(page, "监理锁怎么申请")
    tel = log.locator("a.jh-tel").last
    expect(tel).to_have_attribute("href", "tel:01088381756")
    ask(page, "查询进度，申请编号ZJ2026100004，姓名孙丽")
    expect(page.locator(".jh-current").last).to_contain_text("审核")
    page.screenshot(path=str(ROOT / "docs" / "widget.png"))
    page.reload()
    page.get_by_role("button", name="打开在线咨询").click()
    expect(log).to_contain_text("营业执照复印件")       # the history came back from the gateway
    expect(log).to_contain_text("企业更名")             # the button's title is shown for its payload
    ask(page, "那要带什么材料")
    expect(log).to_contain_text("一寸照原件")           # same conversation: the procedure slot survived


def test_html_is_shown_as_text(page, running_bot):
    open_widget(page, running_bot.gateway)
    ask(page, "<img src=x onerror=\"window.__xss=1\"><script>window.__xss=2</script>")
    expect(page.locator(".jh-user").last).to_contain_text("<img src=x")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss") is None


def test_enter_does_not_send_while_composing(page, running_bot):
    open_widget(page, running_bot.gateway)
    box = page.get_by_label("输入您的问题")
    box.fill("chu shi")
    box.dispatch_event("keydown", {"key": "Enter", "isComposing": True, "keyCode": 229})
    page.wait_for_timeout(200)
    expect(page.locator(".jh-user")).to_have_count(0)
    assert box.input_value() == "chu shi"


def test_keyboard_only_and_labels(page, running_bot):
    page.goto(running_bot.gateway + "/")
    launcher = page.get_by_role("button", name="打开在线咨询")
    launcher.focus()
    page.keyboard.press("Enter")
    box = page.get_by_label("输入您的问题")
    expect(box).to_be_focused()
    page.keyboard.type("你好")
    page.keyboard.press("Enter")
    expect(page.get_by_role("log")).to_contain_text("浙江省注册监理工程师注册业务咨询助手")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(launcher).to_be_focused()


def test_phone_sized_screen(browser, running_bot):
    context = browser.new_context(viewport={"width": 375, "height": 700}, is_mobile=True, has_touch=True)
    page = context.new_page()
    open_widget(page, running_bot.gateway)
    box = page.get_by_role("dialog").bounding_box()
    assert box["width"] >= 370 and box["height"] >= 690
    ask(page, "初始注册要带什么材料")
    expect(page.get_by_role("log")).to_contain_text("一寸照原件")
    context.close()


def test_connection_lost_and_recovered(page, running_bot, tmp_path):
    settings = services.Settings(var_dir=tmp_path, rasa_port=running_bot.settings.rasa_port,
                                 actions_port=running_bot.settings.actions_port, gateway_port=services.free_port())
    gw = services.gateway(settings).start()
    gw.wait_ready()
    try:
        open_widget(page, settings.gateway_url)
        ask(page, "延续注册怎么办理")
        log = page.get_by_role("log")
        expect(log).to_contain_text("延续注册申请表原件")
        gw.kill()                                   # the connection drops
        expect(page.get_by_role("status")).to_contain_text("连接已断开")
        ask(page, "那要带什么材料")                  # typed while offline
        expect(page.locator(".jh-pending")).to_have_count(1)
        gw = services.gateway(settings).start()     # back, same record
        gw.wait_ready()
        expect(page.locator(".jh-pending")).to_have_count(0, timeout=20000)
        expect(log.locator(".jh-bot").last).to_contain_text("延续注册申请表原件")
        expect(page.get_by_role("status")).to_be_hidden()
    finally:
        gw.stop()


def test_reopens_at_the_latest_message_and_counts_what_came_while_closed(page, running_bot):
    open_widget(page, running_bot.gateway)
    for question in ("初始注册要什么材料", "延续注册要什么材料", "转注册要什么材料", "注销注册要什么材料"):
        ask(page, question)
    expect(page.locator(".jh-bot").last).to_contain_text("注销注册申请表")
    page.reload()
    page.get_by_role("button", name="打开在线咨询").click()
    log = page.get_by_role("log")
    expect(log).to_contain_text("注销注册申请表")
    at_bottom = "e => e.scrollHeight - e.scrollTop - e.clientHeight < 4"
    page.wait_for_function(f"() => ({at_bottom})(document.querySelector('.jh-log'))")
    page.get_by_role("button", name="关闭在线咨询").click()
    page.evaluate("() => window.JianliHelpdesk.send('企业更名要什么材料')")   # the answer arrives while it is closed
    badge = page.locator(".jh-badge")
    expect(badge).to_have_text("1", timeout=10000)
    assert page.title().startswith("(1) ")
    expect(page.get_by_role("button", name="打开在线咨询（1条未读消息）")).to_be_visible()
    page.get_by_role("button", name="打开在线咨询").click()
    expect(badge).to_be_hidden()
    assert not page.title().startswith("(")
    page.wait_for_function(f"() => ({at_bottom})(document.querySelector('.jh-log'))")
    expect(page.locator(".jh-bot").last).to_contain_text("营业执照复印件")
    expect(page.locator(".jh-bot .jh-time").last).to_have_text(re.compile(r"^\d\d:\d\d$"))  # times, shown quietly


def test_a_paste_over_the_limit_is_announced_and_kept(page, running_bot):
    open_widget(page, running_bot.gateway)
    box = page.get_by_label("输入您的问题")
    box.fill("延续注册" * 260)   # 1,040 characters
    limit = page.locator(".jh-limit")
    expect(limit).to_be_visible()
    expect(limit).to_contain_text("已输入 1040 字")
    expect(page.get_by_role("button", name="发送")).to_be_disabled()
    box.press("Enter")
    expect(box).to_have_value("延续注册" * 260)   # nothing cut, nothing lost
    box.fill("延续注册要什么材料")
    expect(limit).to_be_hidden()
    box.press("Enter")
    expect(page.locator(".jh-bot").last).to_contain_text("延续注册申请表原件")


def test_person_button_focus_touch_targets_and_contrast(browser, running_bot):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", has_touch=True)
    page = context.new_page()
    try:
        open_widget(page, running_bot.gateway)
        ask(page, "我要办变更")
        quick = page.get_by_role("button", name="企业更名")
        for control in (page.get_by_role("button", name="关闭在线咨询"), quick, page.get_by_role("button", name="发送")):
            box = control.bounding_box()
            assert box["width"] >= 44 and box["height"] >= 44, box
        quick.click()
        expect(page.get_by_label("输入您的问题")).to_be_focused()   # the focus stays in the conversation
        page.get_by_role("button", name="发送").focus()
        page.keyboard.press("Tab")   # the panel fills the phone: Tab goes round inside it
        focused_inside = page.evaluate("() => !!document.activeElement.closest('.jh-panel')")
        assert focused_inside
        ask(page, "查询进度，申请编号ZJ2026100004，姓名孙丽")
        future = page.locator(".jh-step:not(.jh-done):not(.jh-current)").last
        expect(future).to_be_visible()
        ratio = page.evaluate("""el => {
            const lum = c => { const [r, g, b] = c.match(/\\d+/g).slice(0, 3).map(v => { v /= 255;
                return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
                return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
            const fg = lum(getComputedStyle(el).color), bg = lum("rgb(255, 255, 255)");
            return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05); }""", future.element_handle())
        assert ratio >= 4.5, ratio
        page.get_by_role("button", name="转人工客服").click()
        expect(page.get_by_role("log")).to_contain_text("已为您转接人工客服")
    finally:
        context.close()
