"""Conversations through the real running bot: the gateway and Rasa's REST channel, the action server,
the SQLite tracker store and case store. Every public eval case runs here too (the
fixture imports ../shared/eval/public_cases.csv into the bot's case store)."""
import importlib.util

import pytest
import yaml

from conftest import SHARED

PUBLIC_CASES = SHARED / "eval" / "public_cases.yml"


def _run_cases_module():
    spec = importlib.util.spec_from_file_location("run_cases", SHARED / "eval" / "run_cases.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_public_cases_pass(running_bot):
    if not PUBLIC_CASES.exists():
        pytest.skip(f"{PUBLIC_CASES} is not on this machine")
    run_cases = _run_cases_module()
    cases = yaml.safe_load(PUBLIC_CASES.read_text(encoding="utf-8"))
    failures = []
    for case in cases:
        result = run_cases.run_case(case, running_bot.gateway + "/api/messages", timeout=30)  # as users come
        failures += [f"{case['id']}: {t['say']} -> {t['reply'][:120]!r}: {t['problems']}" for t in result["turns"] if t["problems"]]
    assert not failures, "\n".join(failures)


def test_follow_up_and_new_procedure(running_bot):
    me = running_bot.new_sender()
    assert "延续" in running_bot.text("延续注册怎么办理", me)
    reply = running_bot.text("那要带什么材料", me)
    assert "延续注册申请表" in reply and "一寸照" not in reply
    reply = running_bot.text("那注销呢", me)
    assert "解聘证明" in reply


def test_senders_do_not_share_context(running_bot):
    alice, bob = running_bot.new_sender(), running_bot.new_sender()
    running_bot.text("延续注册怎么办理", alice)
    assert "请问您要咨询哪项业务" in running_bot.text("那要带什么材料", bob)


def test_clarify_then_button_payload(running_bot):
    me = running_bot.new_sender()
    messages = running_bot.send("我要办变更", me)
    buttons = messages[0]["buttons"]
    assert [b["title"] for b in buttons] == ["转注册", "专业变更（增加）", "企业更名", "身份证姓名等其他变更"]
    rename = next(b for b in buttons if b["title"] == "企业更名")
    assert "营业执照" in running_bot.text(rename["payload"], me)


def test_steps_come_with_a_timeline_payload(running_bot):
    messages = running_bot.send("初始注册的办理流程")
    custom = [m["custom"] for m in messages if m.get("custom", {}).get("type") == "timeline"]
    assert custom and custom[0]["type"] == "timeline"
    assert [s["stage"] for s in custom[0]["steps"]] == ["申报", "受理", "审核", "公告", "领取"]


def test_renewal_window_uses_helpdesk_today(running_bot):
    reply = running_bot.text("我的证书2027年6月10日到期，现在能办延续吗")
    assert "2027年3月10日" in reply


@pytest.mark.parametrize("message", ["", " ", "<script>alert('x')</script>", "初始注册" * 250, "\u202e\u0000abc"])  # longer: 413 (test_security)
def test_odd_input_gets_an_answer_or_nothing_but_no_error(running_bot, message):
    messages = running_bot.send(message)
    assert isinstance(messages, list)


def test_a_whole_visit_holds_its_people_and_topic_through_rasa(running_bot):
    """An HR clerk's visit: colleagues with their dates, a material of another procedure, a
    question about all of them; the one state slot carries it all between turns."""
    me = running_bot.new_sender()
    first = running_bot.text("老张离职了要注销，小李的证2027年1月15日到期要延续，小王刚考出来要初始注册。先说小李的要带什么", me)
    assert "延续注册申请表" in first
    reply = running_bot.text("那要一寸照吗", me)  # 小李's renewal: no photo, and the topic stays there
    assert "不需要" in reply and "延续注册" in reply
    everyone = running_bot.text("他们三个里哪几个要一寸照", me)
    assert "小王（初始注册）" in everyone and "老张（注销注册）" in everyone and "小李（延续注册）" in everyone
    assert "可以" in running_bot.text("小李现在能报延续吗", me)
