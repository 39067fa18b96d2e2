"""The console and the widget together in real Chromium: a person takes over and hands back."""
import pytest
from playwright.sync_api import expect

from conftest import ROOT
from console_helpers import add_staff
from test_widget_browser import ARGS, CHROMIUM, ask, browser, open_widget  # noqa: F401 (fixture)

AGENT = ("clerk", "clerk-password-1")


@pytest.fixture(scope="module")
def clerk(running_bot):
    add_staff(running_bot.settings.var_dir, AGENT[0], "admin", AGENT[1])
    return AGENT


def login(page, gateway, who):
    page.goto(gateway + "/console")
    page.get_by_label("账号").fill(who[0])
    page.get_by_label("密码").fill(who[1])
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#conversations")).to_be_visible()


def test_take_over_reply_and_hand_back(browser, running_bot, clerk):
    gateway = running_bot.gateway
    staff_ctx = browser.new_context(viewport={"width": 1200, "height": 820}, locale="zh-CN")
    user_ctx = browser.new_context(viewport={"width": 1000, "height": 820}, locale="zh-CN")
    console, user = staff_ctx.new_page(), user_ctx.new_page()
    try:
        login(console, gateway, clerk)
        before = int(console.locator("#waiting-badge b").inner_text())
        open_widget(user, gateway)
        ask(user, "我要找人工客服")
        expect(user.get_by_role("log")).to_contain_text("已为您转接人工客服")
        expect(console.locator("#waiting-badge b")).to_have_text(str(before + 1), timeout=10000)   # live, no reload
        console.goto(gateway + "/console?status=waiting")
        row = console.locator("#conversations tr.waiting").first
        expect(row).to_contain_text("网页")
        expect(row).to_contain_text("等待人工")
        row.locator("a").click()
        console.get_by_role("button", name="接管对话").click()
        expect(console.locator("#conv-status")).to_contain_text("人工处理中")
        expect(user.locator(".jh-notice").last).to_have_text("工作人员已接入", timeout=10000)  # told at once, not when the agent types
        ask(user, "我的证书快到期了，想问问怎么办")
        expect(console.get_by_role("log")).to_contain_text("我的证书快到期了", timeout=10000)        # reaches the agent live
        console.locator("#canned").select_option(index=1)
        console.get_by_role("button", name="发送").click()
        expect(user.locator(".jh-agent").last).to_contain_text("您好，我是人工客服", timeout=10000)
        console.get_by_label("回复用户").fill("延续注册请在有效期内申报，我把流程发给您。")
        console.get_by_role("button", name="发送").click()
        expect(user.locator(".jh-agent").last).to_contain_text("有效期内申报", timeout=10000)
        console.screenshot(path=str(ROOT / "docs" / "console-conversation.png"), full_page=True)
        user.screenshot(path=str(ROOT / "docs" / "console-user-widget.png"))
        console.get_by_role("button", name="交回机器人").click()
        expect(user.get_by_role("log")).to_contain_text("智能助手将继续为您解答", timeout=10000)
        expect(user.locator(".jh-notice").last).to_have_text("已转回智能助手", timeout=10000)
        user.reload()
        user.get_by_role("button", name="打开在线咨询").click()
        expect(user.locator(".jh-notice", has_text="工作人员已接入")).to_have_count(1)  # kept in the history
        ask(user, "延续注册要带什么材料")
        expect(user.locator(".jh-bot").last).to_contain_text("延续注册申请表原件", timeout=10000)
        console.goto(gateway + "/console")
        console.screenshot(path=str(ROOT / "docs" / "console-list.png"))
    finally:
        staff_ctx.close()
        user_ctx.close()


def test_stage_change_shows_in_the_next_status_lookup(browser, running_bot, clerk):
    gateway = running_bot.gateway
    ctx = browser.new_context(viewport={"width": 1200, "height": 820}, locale="zh-CN")
    console, user = ctx.new_page(), ctx.new_page()
    try:
        login(console, gateway, clerk)
        console.goto(gateway + "/console/cases?q=ZJ2026100009")
        console.get_by_role("link", name="ZJ2026100009").click()
        console.get_by_label("新阶段").select_option("已退回")
        console.get_by_label("说明").fill("一寸照不清晰，请重新提交")
        console.get_by_role("button", name="修改阶段").click()
        expect(console.locator("table")).to_contain_text("一寸照不清晰")
        console.screenshot(path=str(ROOT / "docs" / "console-case.png"), full_page=True)
        open_widget(user, gateway)
        ask(user, "查询进度，申请编号ZJ2026100009，姓名冯九")
        log = user.get_by_role("log")
        expect(log).to_contain_text("已退回")
        expect(log).to_contain_text("一寸照不清晰，请重新提交")
        console.goto(gateway + "/console/stats")
        expect(console.locator("#per-day")).to_be_visible()
        console.wait_for_timeout(300)
        console.screenshot(path=str(ROOT / "docs" / "console-stats.png"), full_page=True)
    finally:
        ctx.close()
