"""action_answer: every question about the guide goes through here to bot.dialogue."""
from __future__ import annotations

import os
from functools import lru_cache
from dataclasses import replace
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, FollowupAction, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import knowledge, lexicon, status, understand
from bot import state as dialogue_state
from bot.dialogue import Responder, State, Turn
from bot.normalise import normalise, normalise_words



@lru_cache(maxsize=None)
def responder() -> Responder:
    return Responder(knowledge.default(), understand.default(), os.environ.get("OFFICE_HOURS", ""))


def turn_from(tracker: Tracker) -> Turn:
    message = tracker.latest_message or {}
    intent = message.get("intent") or {}
    typed = next((e.get("text") for e in reversed(tracker.events or []) if e.get("event") == "user"), None)
    text = message.get("text") or ""
    return Turn(
        text=normalise(text),
        intent=intent.get("name") or "nlu_fallback",
        confidence=float(intent.get("confidence") or 0.0),
        entities=list(message.get("entities") or []),
        spaced=normalise_words(typed if typed is not None else text),  # latest_message has Rasa's normalised text
    )


def case_memory_ttl() -> float:
    """Seconds without a message after which what a lookup remembered is forgotten (CASE_MEMORY_TTL)."""
    try:
        return float(os.environ.get("CASE_MEMORY_TTL", 1800))
    except ValueError:
        return 1800.0


def idle_before_this_message(tracker: Tracker) -> float:
    """Seconds between this user message and the one before it (0 for the first)."""
    said = [e.get("timestamp") for e in tracker.events or [] if e.get("event") == "user" and e.get("timestamp")]
    return float(said[-1]) - float(said[-2]) if len(said) >= 2 else 0.0


def state_from(tracker: Tracker) -> State:
    """The conversation's memory, from its one slot (bot.state). What a status lookup remembered
    (stage, note, name) does not outlive CASE_MEMORY_TTL seconds of silence: whoever types next on
    that sender id, after that, is asked for the case number and identity again."""
    state = dialogue_state.loads(tracker.get_slot(dialogue_state.SLOT))
    if (state.case_stage or state.cases_seen) and idle_before_this_message(tracker) > case_memory_ttl():
        return dialogue_state.without_lookups(state, expired=True)
    return state


def dispatch(dispatcher: CollectingDispatcher, messages: List[dict]) -> None:
    """Send bot.answers-style messages through Rasa's dispatcher."""
    for m in messages:
        if "response" in m:
            dispatcher.utter_message(response=m["response"])
        elif "custom" in m:
            dispatcher.utter_message(json_message=m["custom"])
        else:
            dispatcher.utter_message(text=m["text"], buttons=m.get("buttons") or [])


def slot_events(before: State, after: State) -> List[Dict[Text, Any]]:
    """The one slot event that carries the new state, if it changed."""
    return [SlotSet(dialogue_state.SLOT, dialogue_state.dumps(after))] if after != before else []


def state_event(tracker: Tracker, **changes) -> Dict[Text, Any]:
    """The slot event for the tracker's state with `changes` made."""
    return SlotSet(dialogue_state.SLOT, dialogue_state.dumps(replace(state_from(tracker), **changes)))


def meta(turn: Turn, reply=None, handoff: Optional[str] = None) -> dict:
    """What the gateway records with the bot's turn (and strips before the user sees it)."""
    return {"type": "meta", "intent": turn.intent, "confidence": round(turn.confidence, 3),
            "understood": reply.understood if reply else True, "handoff": handoff or (reply.handoff if reply else None),
            "route": reply.route if reply else None}


class ActionAnswer(Action):
    def name(self) -> Text:
        return "action_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        state = state_from(tracker)
        turn = turn_from(tracker)
        if tracker.get_slot("case_no"):  # a lookup just failed: a name or ID last four alone tries it again
            identity = turn.identity(bare=True)
            retry = not understand.default().read(turn.text).procedures or lexicon.pattern("MISTYPED").search(turn.text)
            if identity and status.plausible_identity(identity) and retry:  # 李华 / 名字记错了，是李华
                return [FollowupAction("status_form")]
            return await self.run_answer(dispatcher, turn, state) + [SlotSet("case_no", None)]
        return await self.run_answer(dispatcher, turn, state)

    async def run_answer(self, dispatcher: CollectingDispatcher, turn: Turn, state: State) -> List[Dict[Text, Any]]:
        reply = responder().respond(turn, state)
        dispatch(dispatcher, reply.messages)
        dispatcher.utter_message(json_message=meta(turn, reply))
        events = slot_events(state, reply.state)
        if reply.follow_up:
            events.append(FollowupAction(reply.follow_up))
        return events


class ActionSessionStart(Action):
    """A new session keeps what the conversation was about, not what a status lookup remembered:
    after it, a question about the case asks for the number and identity again."""

    def name(self) -> Text:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        kept = dialogue_state.without_lookups(state_from(tracker))
        return [SessionStarted(), SlotSet(dialogue_state.SLOT, dialogue_state.dumps(kept)), ActionExecuted("action_listen")]
