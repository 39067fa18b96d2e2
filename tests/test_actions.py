"""action_answer with trackers built from dicts (as RasaHQ/financial-demo tests its actions)."""
import asyncio

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answer import ActionAnswer


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


def run(t):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionAnswer().run(dispatcher, t, {}))
    return dispatcher.messages, events


def test_answers_from_knowledge_and_sets_the_procedure():
    messages, events = run(tracker("初始注册需要带什么材料？", "ask_materials", 0.95))
    assert "一寸照原件" in messages[0]["text"]
    assert any(b["title"] == "办理流程" for b in messages[0]["buttons"])
    assert SlotSet("procedure", "initial") in events
    assert SlotSet("last_aspect", "materials") in events


def test_follow_up_uses_the_slot_and_sets_nothing_new():
    messages, events = run(tracker("那要带什么材料", "ask_materials", 0.9,
                                   slots={"procedure": "renewal", "last_aspect": "materials"}))
    assert "延续注册申请表原件" in messages[0]["text"]
    assert "一寸照" not in messages[0]["text"]
    assert [e["name"] for e in events] == ["last_question"]  # the procedure slot is kept as it was


def test_raw_text_is_normalised_in_the_action_too():
    messages, _ = run(tracker("監理鎖壞了找誰", "ask_contact", 0.9))
    assert "010-88381756" in messages[0]["text"]


def test_clarification_stores_the_candidates_and_the_choice_clears_them():
    messages, events = run(tracker("我要补办证书", "ask_overview", 0.8))
    assert [b["payload"] for b in messages[0]["buttons"]] == [
        '/choose_procedure{"procedure":"lost"}', '/choose_procedure{"procedure":"reissue_after_change"}']
    assert SlotSet("pending_candidates", ["lost", "reissue_after_change"]) in events
    messages, events = run(tracker('/choose_procedure{"procedure":"reissue_after_change"}', "choose_procedure", 1.0,
                                   slots={"pending_candidates": ["lost", "reissue_after_change"]},
                                   entities=[{"entity": "procedure", "value": "reissue_after_change"}]))
    assert "情况说明" in messages[0]["text"]
    assert SlotSet("pending_candidates", None) in events
    assert SlotSet("procedure", "reissue_after_change") in events


def test_fixed_phrases_are_domain_responses():
    messages, events = run(tracker("你好", "greet", 0.99))
    assert messages[0]["response"] == "utter_greet" and events == []
    messages, _ = run(tracker("明天杭州天气怎么样", "out_of_scope", 0.9))
    assert messages[0]["response"] == "utter_out_of_scope"


def test_empty_and_hostile_messages_do_not_crash():
    for text in ["", "<script>alert(1)</script>", "\x00\x01", "初始注册" * 2000, None]:
        messages, _ = run(tracker(text))
        assert messages, text
