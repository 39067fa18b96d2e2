"""The web widget in real headless Chromium (Debian's package, driven by Playwright)."""
import os
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
