"""The conversation core's pipeline: which route answers, the topic held against things that
belong to other procedures, and dates read by their role (in-process, no Rasa)."""
from datetime import date, datetime, timezone

import pytest

from bot import dates, knowledge, routes, understand
from bot.dialogue import Responder, State, Turn
from bot.normalise import normalise

TODAY = date(2026, 12, 4)


@pytest.fixture(scope="module")
def responder():
    return Responder(knowledge.default(), understand.default())


def say(responder, state, text, today=TODAY):
    reply = responder.respond(Turn(text=normalise(text)), state, today)
    shown = "\n".join(m.get("text", "") + "".join(b["title"] for b in m.get("buttons", [])) or m.get("response", "")
                      for m in reply.messages)
    return reply, shown


def visit(responder, *texts, today=TODAY):
    state, replies = State(), []
    for text in texts:
        reply, shown = say(responder, state, text, today)
        state = reply.state
        replies.append((reply, shown))
    return replies


def test_every_route_has_a_chinese_label_and_a_unique_name():
    names = [r.name for r in routes.ROUTES]
    assert len(names) == len(set(names))
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in r.label) for r in routes.ROUTES)
    assert routes.ROUTES[-1].name == "aspect"  # the last route always applies


@pytest.mark.parametrize("text, route", [
    ("初始注册需要带什么材料", "aspect"),
    ("延续注册收费吗", "silent_topic"),
    ("监理锁找谁", "topic"),
    ("我要转人工", "handoff"),
    ("ZJ2026000101到哪一步了", "status_lookup"),
    ("我要办变更", "clarify"),
])
def test_the_reply_names_the_route_that_answered(responder, text, route):
    reply, _ = say(responder, State(), text)
    assert reply.route == route


@pytest.mark.parametrize("first, question, absent, listed", [
    ("我的证书明年2月到期，要续", "要不要再开一份老单位的解聘证明？", "解聘证明", "延续注册申请表"),
    ("公司改名了要办手续", "要户口本吗？", "户口本", "营业执照复印件"),
    ("我换了单位，要转过去", "那还用登报吗？", "省级以上报刊", "变更注册申请表"),
    ("我们要办注销", "要交营业执照吗", "营业执照", "注销注册申请表"),
])
def test_a_material_of_another_procedure_does_not_drag_the_topic(responder, first, question, absent, listed):
    (_, _), (reply, shown) = visit(responder, first, question)
    assert "不需要" in shown and absent in shown and listed in shown
    before = visit(responder, first)[0][0].state.procedure
    assert reply.state.procedure == before  # and the conversation stays there


def test_a_situation_described_does_change_the_topic(responder):
    (_, _), (reply, shown) = visit(responder, "我的证书明年2月到期，要续", "我同事证书丢了，要登报吗")
    assert reply.state.procedure == "lost" and "省级以上报刊" in shown


def test_today_as_stated_is_not_the_expiry(responder):
    (reply, shown), = visit(responder, "今天是2026年12月4日，我的证书2027年2月28日到期，现在能报延续吗")
    assert "2027年2月28日" in shown and "可以" in shown and "还不能" not in shown


def test_a_birth_year_is_not_the_expiry(responder):
    (reply, shown), = visit(responder, "我1968年出生的，证书2027年6月30日到期，现在能续吗")
    assert "还不能" in shown and "2027年3月30日" in shown


def test_a_date_stated_as_today_holds_for_the_conversation(responder):
    replies = visit(responder, "今天是2027年2月1日", "我的证书2027年4月20日到期，现在能报延续吗", today=TODAY)
    _, shown = replies[1]
    assert "可以" in shown and "还不能" not in shown  # the window opened on 2027-01-20; from 2026-12-04 it would not be


def test_todays_date_is_the_offices_not_the_servers(monkeypatch):
    monkeypatch.delenv("HELPDESK_TODAY", raising=False)
    late_utc = datetime(2026, 12, 3, 20, 30, tzinfo=timezone.utc)  # 04:30 on 4 December in Beijing
    assert dates.today(late_utc) == date(2026, 12, 4)
    assert dates.today(datetime(2026, 12, 4, 15, 59, tzinfo=timezone.utc)) == date(2026, 12, 4)
    assert dates.today(datetime(2026, 12, 4, 16, 0, tzinfo=timezone.utc)) == date(2026, 12, 5)


@pytest.mark.parametrize("text, expected", [
    ("今天是12月4号，证书明年3月1日到期", date(2027, 3, 1)),
    ("我2015年考的证，有效期到2027年1月15日", date(2027, 1, 15)),
    ("2023年转过来的，现在证书有效期到2027年3月1日", date(2027, 3, 1)),
    ("1970年生人，证2027年5月底到期", date(2027, 5, 31)),
])
def test_the_expiry_among_other_dates(text, expected):
    assert dates.find_expiry(text, TODAY).value == expected
