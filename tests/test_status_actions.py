"""The status form's extraction and the lookup action, with trackers built from dicts."""
import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet

from bot import state as dialogue_state
from rasa_sdk.executor import CollectingDispatcher

from actions import answer as answer_actions
from actions import status as status_actions
from bot.cases import CaseStore
from conftest import DATA


@pytest.fixture(autouse=True)
def case_store(tmp_path, monkeypatch):
    store = CaseStore(f"sqlite:///{tmp_path / 'cases.db'}")
    store.import_csv((DATA / "cases.csv").read_bytes())
    monkeypatch.setattr(status_actions, "store", lambda: store)
    return store


def tracker(text, intent="inform_case", slots=None, sender="s1", active_loop="status_form"):
    return Tracker.from_dict({
        "sender_id": sender, "slots": slots or {}, "paused": False, "followup_action": None,
        "latest_message": {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []},
        "events": [], "active_loop": {"name": active_loop} if active_loop else {},
        "latest_action_name": "action_listen",
    })


def run(action, t):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, {"slots": {"case_no": {}, "identity": {}},
                                                    "forms": {"status_form": {"required_slots": ["case_no", "identity"]}}}))
    return dispatcher.messages, events


def test_both_details_from_one_message():
    _, events = run(status_actions.ValidateStatusForm(), tracker("查询进度，申请编号ZJ2026100001，姓名陈静", "check_status"))
    assert SlotSet("case_no", "ZJ2026100001") in events and SlotSet("identity", "陈静") in events


@pytest.mark.parametrize("text", ["ZJ2026100001陈静那个申请办到哪了", "麻烦帮忙查下ZJ2026100001，陈静的，现在怎么样了",
                                  "ZJ2026100001 陈静 延续注册进度", "编号 ZJ 2026 100 001，姓名陈静", "ZJ-2026-100001 陈静",
                                  "算了 先帮我查个进度 ZJ2026100001 陈静", "ZJ2026100001 陈 静 好了没",
                                  "ZJ2026100001 陈静 4321 帮忙查下", "我同事陈静的已经报了，编号ZJ2026100001，帮看看到哪了"])
def test_a_name_among_other_words_is_found(text):
    _, events = run(status_actions.ValidateStatusForm(), tracker(text, "check_status"))
    assert SlotSet("case_no", "ZJ2026100001") in events and SlotSet("identity", "陈静") in events


@pytest.mark.parametrize("text", ["我是公司法人，问下注册进度", "我是人事，查个进度"])
def test_a_role_is_not_a_name(text):
    _, events = run(status_actions.ValidateStatusForm(), tracker(text, "check_status"))
    assert not any(e.get("name") == "identity" and e.get("value") for e in events)


def test_the_spaces_the_user_typed_end_a_name():
    """Rasa hands the action its normalised text (spaces gone: 陈静今天能去拿证吗); the user's
    own message, in the tracker's events, still shows where the name ends."""
    typed = "ZJ2026100001 陈静 今天能去拿证吗"
    t = tracker("zj2026100001陈静今天能去拿证吗", "check_status")
    t.events.append({"event": "user", "text": typed})
    _, events = run(status_actions.ValidateStatusForm(), t)
    assert SlotSet("case_no", "ZJ2026100001") in events and SlotSet("identity", "陈静") in events


def test_a_number_then_the_last_four_is_not_one_long_number():
    _, events = run(status_actions.ValidateStatusForm(), tracker("ZJ2026100001 4321", "check_status"))
    assert SlotSet("case_no", "ZJ2026100001") in events and SlotSet("identity", "4321") in events


def test_the_message_that_starts_the_lookup_is_not_taken_for_another_question():
    messages, events = run(status_actions.ValidateStatusForm(), tracker("转注册被打回来了吗？想查一下", "ask_overview"))
    assert not any(m.get("text") for m in messages) and ActiveLoop(None) not in events


def test_after_a_failed_lookup_the_number_waits_one_turn_for_another_identity(case_store):
    _, events = run(status_actions.ActionStatusLookup(), tracker("", slots={"case_no": "ZJ2026100001", "identity": "陈明"}))
    assert SlotSet("identity", None) in events and not any(e.get("name") == "case_no" for e in events)
    retry = tracker("陈静", "inform_case", slots={"case_no": "ZJ2026100001"}, active_loop=None)
    assert asyncio.run(answer_actions.ActionAnswer().run(CollectingDispatcher(), retry, {})) == [FollowupAction("status_form")]
    _, events = run(status_actions.ValidateStatusForm(), tracker("陈静", slots={"case_no": "ZJ2026100001"}))
    assert SlotSet("identity", "陈静") in events  # a bare name counts: we just asked for it again
    other = tracker("初始注册要带什么", "ask_materials", slots={"case_no": "ZJ2026100001"}, active_loop=None)
    events = asyncio.run(answer_actions.ActionAnswer().run(CollectingDispatcher(), other, {}))
    assert SlotSet("case_no", None) in events  # anything else and the number is forgotten


def test_a_bare_name_counts_only_when_asked_for():
    _, events = run(status_actions.ValidateStatusForm(), tracker("陈静", slots={"requested_slot": "case_no"}))
    assert not any(e.get("name") == "identity" for e in events)
    _, events = run(status_actions.ValidateStatusForm(), tracker("陈静", slots={"requested_slot": "identity", "case_no": "ZJ2026100001"}))
    assert SlotSet("identity", "陈静") in events


def test_another_question_stops_the_form_and_is_answered():
    messages, events = run(status_actions.ValidateStatusForm(), tracker("初始注册要带什么材料", "ask_materials",
                                                                         slots={"requested_slot": "case_no"}))
    assert "一寸照" in messages[0]["text"]
    assert ActiveLoop(None) in events and SlotSet("requested_slot", None) in events


def test_lookup_found_not_found_and_privacy():
    messages, events = run(status_actions.ActionStatusLookup(), tracker("", slots={"case_no": "ZJ2026100001", "identity": "陈静"}))
    assert "已公告" in messages[0]["text"] and messages[1]["custom"]["type"] == "timeline"
    assert SlotSet("case_no", None) in events and SlotSet("identity", None) in events
    after = dialogue_state.loads(next(e["value"] for e in events if e.get("name") == dialogue_state.SLOT))
    assert after.procedure == "renewal"  # 那领证要带什么 is about this application
    assert after.case_stage == "已公告"  # 那我下一步干嘛 too
    messages, _ = run(status_actions.ActionStatusLookup(), tracker("", slots={"case_no": "ZJ2026100001", "identity": "张三"}))
    shown = [m for m in messages if (m.get("custom") or {}).get("type") != "meta"]
    assert [m["response"] for m in shown] == ["utter_lookup_no_match"]
    assert not any(m.get("text") or m.get("custom") for m in shown)


def test_locked_sender_is_not_asked_and_is_refused(case_store):
    for i in range(5):
        case_store.lookup(f"ZJ20990000{i:02d}", "x", "locked-sender")
    slots = asyncio.run(status_actions.ValidateStatusForm().required_slots(
        ["case_no", "identity"], CollectingDispatcher(), tracker("查询进度", sender="locked-sender"), {}))
    assert slots == []
    messages, _ = run(status_actions.ActionStatusLookup(), tracker("", sender="locked-sender"))
    assert messages[0]["response"] == "utter_lookup_locked" and "retry_time" in messages[0]
