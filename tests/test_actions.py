"""action_answer with trackers built from dicts (as RasaHQ/financial-demo tests its actions)."""
import asyncio

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answer import ActionAnswer, ActionSessionStart
from bot import state as dialogue_state
from bot.state import State


def tracker(text, intent="nlu_fallback", confidence=0.0, slots=None, entities=None):
    return Tracker.from_dict({
        "sender_id": "action-test",
        "slots": slots or {},
        "latest_message": {"text": text, "intent": {"name": intent, "confidence": confidence},
                           "entities": entities or []},
        "events": [],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
    })


def slots(**fields):
    """A tracker's slots holding this dialogue state."""
    return {dialogue_state.SLOT: dialogue_state.dumps(State(**fields))}


def state_after(events):
    """The dialogue state the events leave (None when they set none)."""
    values = [e["value"] for e in events if e.get("event") == "slot" and e.get("name") == dialogue_state.SLOT]
    return dialogue_state.loads(values[-1]) if values else None


def run(t):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionAnswer().run(dispatcher, t, {}))
    return dispatcher.messages, events


def test_answers_from_knowledge_and_sets_the_procedure():
    messages, events = run(tracker("初始注册需要带什么材料？", "ask_materials", 0.95))
    assert "一寸照原件" in messages[0]["text"]
    assert any(b["title"] == "办理流程" for b in messages[0]["buttons"])
    after = state_after(events)
    assert after.procedure == "initial" and after.last_aspect == "materials"
    assert [e["name"] for e in events] == [dialogue_state.SLOT]  # one slot, the whole state


def test_follow_up_uses_the_slot_and_sets_nothing_new():
    messages, events = run(tracker("那要带什么材料", "ask_materials", 0.9,
                                   slots=slots(procedure="renewal", last_aspect="materials")))
    assert "延续注册申请表原件" in messages[0]["text"]
    assert "一寸照" not in messages[0]["text"]
    after = state_after(events)
    assert after.procedure == "renewal" and after.last_question == "那要带什么材料"  # the procedure is kept as it was


def test_raw_text_is_normalised_in_the_action_too():
    messages, _ = run(tracker("監理鎖壞了找誰", "ask_contact", 0.9))
    assert "010-88381756" in messages[0]["text"]


def test_clarification_stores_the_candidates_and_the_choice_clears_them():
    messages, events = run(tracker("我要补办证书", "ask_overview", 0.8))
    assert [b["payload"] for b in messages[0]["buttons"]] == [
        '/choose_procedure{"procedure":"lost"}', '/choose_procedure{"procedure":"reissue_after_change"}']
    assert state_after(events).pending_candidates == ["lost", "reissue_after_change"]
    messages, events = run(tracker('/choose_procedure{"procedure":"reissue_after_change"}', "choose_procedure", 1.0,
                                   slots=slots(pending_candidates=["lost", "reissue_after_change"]),
                                   entities=[{"entity": "procedure", "value": "reissue_after_change"}]))
    assert "情况说明" in messages[0]["text"]
    after = state_after(events)
    assert after.pending_candidates == [] and after.procedure == "reissue_after_change"


def test_fixed_phrases_are_domain_responses():
    messages, events = run(tracker("你好", "greet", 0.99))
    assert messages[0]["response"] == "utter_greet" and events == []
    messages, _ = run(tracker("明天杭州天气怎么样", "out_of_scope", 0.9))
    assert messages[0]["response"] == "utter_out_of_scope"


def test_empty_and_hostile_messages_do_not_crash():
    for text in ["", "<script>alert(1)</script>", "\x00\x01", "初始注册" * 2000, None]:
        messages, _ = run(tracker(text))
        assert messages, text


def test_a_malformed_or_foreign_state_slot_is_a_fresh_start():
    for value in [None, "renewal", 42, [], {"v": 999, "procedure": "renewal"},
                  {"v": 1, "procedure": ["x"], "failures": "many", "people": [1, 2], "cases_seen": "abc"}]:
        messages, events = run(tracker("要带什么材料", "ask_materials", 0.9, slots={dialogue_state.SLOT: value}))
        assert messages, value  # asked which procedure, not crashed
    assert dialogue_state.loads({"v": 1, "procedure": "renewal", "bogus": 1}) == State(procedure="renewal")
    assert dialogue_state.loads({"v": 1, "cases_seen": ['{"name": 1}', "not json"]}).cases_seen == []


def test_the_state_slot_stores_only_what_differs_from_the_defaults():
    assert dialogue_state.dumps(State()) == {"v": dialogue_state.VERSION}
    full = State(procedure="renewal", people=["小李=renewal@2027-01-15"], failures=1, today_said="2026-12-04@2026-12-04")
    assert dialogue_state.loads(dialogue_state.dumps(full)) == full


def test_a_new_session_forgets_what_a_lookup_remembered_and_keeps_the_topic():
    seen = '{"name": "李华", "case_no": "ZJ2026000102", "procedure": "renewal", "stage": "已受理", "note": ""}'
    looked_up = slots(procedure="renewal", case_stage="已公告", case_note="", cases_seen=[seen],
                      people=["小李=renewal"])
    events = asyncio.run(ActionSessionStart().run(CollectingDispatcher(), tracker("", slots=looked_up), {}))
    assert events[0]["event"] == "session_started" and events[-1]["name"] == "action_listen"
    kept = state_after(events)
    assert kept.procedure == "renewal" and kept.people == ["小李=renewal"]
    assert kept.case_stage is None and kept.cases_seen == []


def _after_silence(seconds, monkeypatch, ttl="1800"):
    monkeypatch.setenv("CASE_MEMORY_TTL", ttl)
    seen = '{"name": "王小明", "case_no": "ZJ2026000101", "procedure": "initial", "stage": "已公告", "note": ""}'
    t = tracker("那我现在可以去领了吗", slots=slots(procedure="initial", case_stage="已公告", cases_seen=[seen]))
    t.events = [{"event": "user", "timestamp": 1000.0, "text": "查询 ZJ2026000101 王小明"},
                {"event": "user", "timestamp": 1000.0 + seconds, "text": "那我现在可以去领了吗"}]
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionAnswer().run(dispatcher, t, {}))
    return " ".join(m.get("text") or m.get("response") or "" for m in dispatcher.messages), events


def test_what_a_lookup_remembered_is_forgotten_after_case_memory_ttl(monkeypatch):
    """Attack: whoever reuses a sender id long after a lookup asks for the stage."""
    said, _ = _after_silence(60, monkeypatch)
    assert "已公告" in said or "可以" in said
    said, events = _after_silence(1801, monkeypatch)
    assert "已公告" not in said and "王小明" not in said
    assert any(e.get("event") == "followup" and e.get("name") == "status_form" for e in events) or "申请编号" in said
    said, _ = _after_silence(11, monkeypatch, ttl="10")
    assert "已公告" not in said
