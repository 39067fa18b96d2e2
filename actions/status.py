"""The status lookup: a form that collects the case number and the applicant's name or
ID last four, and the lookup itself (bot.cases, rendered by bot.status)."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answer import dispatch, meta, responder, slot_events, state_event, state_from, turn_from
from bot import knowledge, status, understand
from bot.dialogue import LookedUp
from bot.cases import CASE_NO_RE, CaseStore

FORM = "status_form"
QUESTION_INTENTS = {"ask_overview", "ask_materials", "ask_steps", "ask_collect", "ask_contact", "ask_policy",
                    "request_human", "bot_capabilities", "out_of_scope", "goodbye", "thanks"}
STATUS_SURE = 0.85
MAX_SEEN = 5  # applications a conversation remembers having looked up (王小明的 / 李华的呢)
STOP = re.compile(r"算了|不查了|不用查了|先不查|取消查询|不想查了|别查了")
RESET = [SlotSet("case_no", None), SlotSet("identity", None), SlotSet("requested_slot", None)]


@lru_cache(maxsize=None)
def store() -> CaseStore:
    return CaseStore()


def client_of(tracker: Tracker) -> str:
    """Who is asking, as the gateway saw it (network address, or the WeChat OpenID)."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    client = metadata.get("client") if isinstance(metadata, dict) else None
    return str(client)[:200] if client else tracker.sender_id


def _text(tracker: Tracker) -> str:
    return turn_from(tracker).text


class ValidateStatusForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_status_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: Dict[Text, Any]) -> List[Text]:
        # a sender locked out by failed lookups is not asked for anything: the lookup refuses
        if store().sender_locked_until(tracker.sender_id, client=client_of(tracker)):
            return []
        return domain_slots

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        if STOP.search(_text(tracker)) and not status.find_case_no(_text(tracker)):  # 算了，不查了
            turn = turn_from(tracker)
            answered = _answer_and_stop(dispatcher, tracker) if understand.default().read(turn.text).has_domain_signal \
                else None  # 算了不查了，注销要带什么: that, then
            if answered is not None:
                return answered
            dispatcher.utter_message(response="utter_lookup_cancelled")
            dispatcher.utter_message(json_message=meta(turn))
            return RESET + [ActiveLoop(None)]
        interrupted = self._answer_other_question(dispatcher, tracker)
        if interrupted is not None:
            return interrupted
        events = await super().run(dispatcher, tracker, domain)
        waiting = tracker.get_slot("requested_slot") in ("case_no", "identity") and tracker.active_loop_name == FORM
        if waiting and not any(e.get("event") == "slot" and e.get("name") in ("case_no", "identity") for e in events):
            # 我是他同事 / 是我本人，直接查: nothing to fill and nothing asked; the form asks again, number kept
            events.append(SlotSet(tracker.get_slot("requested_slot"), None))
        return events

    def _answer_other_question(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Optional[List]:
        """A question asked instead of the case details is answered, and the lookup stops;
        so is a question NLU took for a status request (审核结果在哪个网站看)."""
        turn = turn_from(tracker)
        reading = understand.default().read(turn.text)
        if not reading.out_of_scope and (status.find_case_no(turn.text) or turn.identity()):
            return None
        starting = tracker.active_loop_name != FORM
        asked_else = tracker.active_loop_name == FORM and turn.intent in QUESTION_INTENTS and turn.confidence >= 0.6
        again = starting and bool(state_from(tracker).case_stage) and len(turn.text) <= 12  # 它现在到哪一步了
        if not (asked_else or again) and not _domain_question(turn.text, turn.confidence, starting=starting):
            return None
        return _answer_and_stop(dispatcher, tracker)

    async def extract_case_no(self, dispatcher, tracker: Tracker, domain) -> Dict[Text, Any]:
        found = status.find_case_no(_text(tracker))
        return {"case_no": found} if found else {}

    async def extract_identity(self, dispatcher, tracker: Tracker, domain) -> Dict[Text, Any]:
        retrying = bool(tracker.get_slot("case_no")) and not tracker.get_slot("identity")  # after a failed lookup
        asking = tracker.get_slot("requested_slot") == "identity" or retrying
        found = turn_from(tracker).identity(bare=asking)
        return {"identity": found} if found else {}

    def validate_case_no(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain) -> Dict[Text, Any]:
        if isinstance(value, str) and CASE_NO_RE.match(value):
            return {"case_no": value}
        dispatcher.utter_message(response="utter_bad_case_no")
        return {"case_no": None}

    def validate_identity(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain) -> Dict[Text, Any]:
        return {"identity": value} if isinstance(value, str) and value.strip() else {"identity": None}


def _answer_and_stop(dispatcher: CollectingDispatcher, tracker: Tracker) -> Optional[List]:
    """Answer the message as a question and end the lookup; None when the answer is the lookup
    itself (转注册被打回来了吗？想查一下)."""
    turn, state = turn_from(tracker), state_from(tracker)
    reply = responder().respond(turn, state)
    if reply.follow_up == FORM:
        return None
    dispatch(dispatcher, reply.messages)
    dispatcher.utter_message(json_message=meta(turn, reply))
    return slot_events(state, reply.state) + RESET + [ActiveLoop(None)]


def _domain_question(text: str, confidence: float, starting: bool) -> bool:
    """A question about the guide, not a status request: a policy or contact, or a procedure
    with something asked about it; or, as the lookup starts, anything with no sign of a
    status request that NLU was not sure about (我想咨询一下注册的事)."""
    a = understand.default().read(text)
    if a.out_of_scope:  # 帮我查下顺丰单号SF1234567890到哪了
        return True
    if a.status_request:
        return False
    return bool(a.topics or a.procedures or a.ambiguity or a.stages or a.aspects or a.silent  # 那要多久出结果
                or (starting and confidence < STATUS_SURE))


class ActionStatusLookup(Action):
    def name(self) -> Text:
        return "action_status_lookup"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        events = self._lookup(dispatcher, tracker)
        dispatcher.utter_message(json_message=meta(turn_from(tracker)))
        return events

    def _lookup(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[Text, Any]]:
        case_no, identity = tracker.get_slot("case_no"), tracker.get_slot("identity")
        client = client_of(tracker)
        locked = store().sender_locked_until(tracker.sender_id, client=client)
        if locked:
            dispatcher.utter_message(response="utter_lookup_locked", retry_time=status.retry_time(locked))
            return RESET
        if not case_no or not identity:  # the lookup was stopped by another question
            return RESET
        said = turn_from(tracker)  # the message that gave the identity: 李明 尾号5678 must match both
        if said.identity() == identity:
            identity = said.identities() or identity
        result = store().lookup(case_no, identity, tracker.sender_id, client=client)
        if result.status == "found":
            kb = knowledge.default()
            dispatch(dispatcher, status.render(kb, result.case))
            p = kb.procedure_by_name(result.case.procedure)
            if p is not None:  # 被退回了要怎么处理 / 领证要带什么: about this application's procedure
                case = result.case
                seen = [entry for entry in state_from(tracker).cases_seen if LookedUp.parse(entry).case_no != case.case_no]
                seen = (seen + [LookedUp(case.name, case.case_no, p.id, case.stage, case.note or "", case.updated_at).dumps()])[-MAX_SEEN:]
                return RESET + [state_event(tracker, procedure=p.id, last_aspect=None, last_question=None,
                                            case_stage=case.stage, case_note=case.note or None, cases_seen=seen,
                                            lookup_forgotten=None)]
        elif result.status == "locked":
            dispatcher.utter_message(response="utter_lookup_locked", retry_time=status.retry_time(result.retry_at))
        elif result.status == "number_locked":  # guessed at by others: the owner is told why, and what to do
            dispatcher.utter_message(response="utter_lookup_number_locked", retry_time=status.retry_time(result.retry_at))
        else:
            dispatcher.utter_message(response="utter_lookup_no_match")
            if result.retry_at:
                dispatcher.utter_message(response="utter_lookup_locked", retry_time=status.retry_time(result.retry_at))
            else:  # keep the number for one turn: 那身份证后四位9021 / 李化 tries it again (see action_answer)
                return [SlotSet("identity", None), SlotSet("requested_slot", None)]
        return RESET
