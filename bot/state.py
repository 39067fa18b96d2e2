"""The dialogue state: everything the help desk remembers of a conversation, in one place.

It lives in one Rasa slot (`dialogue_state`, type any, not influencing the conversation) as a
compact, versioned dict: only fields that differ from their defaults are stored, so the tracker
that every action call ships stays small, and a new memory field touches this file only.
`loads` never fails: a slot from an older version, or tampered with, gives a fresh state.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, List, Optional

VERSION = 1
SLOT = "dialogue_state"


@dataclass
class State:
    procedure: Optional[str] = None  # procedure id being discussed
    last_aspect: Optional[str] = None
    pending_question: Optional[str] = None  # a question waiting for the user to pick a procedure
    pending_candidates: List[str] = field(default_factory=list)
    failures: int = 0  # questions in a row the bot could not answer
    last_question: Optional[str] = None  # the last question answered, for 那延续注册也要吗
    case_stage: Optional[str] = None  # the stage of the application this user looked up
    case_note: Optional[str] = None  # and its note (已退回: why), shown to this user already
    previous_procedure: Optional[str] = None  # the one discussed before this one (和刚才那个有什么区别)
    cases_seen: List[str] = field(default_factory=list)  # applications looked up here (LookedUp), latest last
    people: List[str] = field(default_factory=list)  # colleagues named, "老王=renewal@2027-01-15" (bot.people)
    expiry: Optional[str] = None  # the user's own certificate's expiry as said, "2027-02-10" or "2027-02-28~month"
    lookup_forgotten: Optional[str] = None  # "1": a lookup was forgotten (CASE_MEMORY_TTL): ask again, tell nothing
    today_said: Optional[str] = None  # a date the user gave as today and the office's date then, "2026-12-04@2026-12-04"
    about_all: Optional[str] = None  # "1": the last answer was for each colleague (他俩…哪个要贴条 → 贴条盖什么章: each again)


LOOKUP_FIELDS = ("case_stage", "case_note", "cases_seen")  # what a status lookup remembered


@dataclass
class LookedUp:
    """An application this user looked up (number and identity matched) earlier in the conversation."""
    name: str
    case_no: str
    procedure: str
    stage: str
    note: str = ""
    updated: str = ""  # the record's last update, YYYY-MM-DD (这条记录啥时候更新的)

    @classmethod
    def parse(cls, entry: str) -> "LookedUp":
        return cls(**json.loads(entry))

    def dumps(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False)


_DEFAULTS = asdict(State())
_KINDS = {f.name: (list if f.name in ("pending_candidates", "cases_seen", "people") else int if f.name == "failures" else str)
          for f in fields(State)}


def dumps(state: State) -> dict:
    """The slot value: the version and every field that is not at its default."""
    values = {k: v for k, v in asdict(state).items() if v != _DEFAULTS[k]}
    return {"v": VERSION, **values}


def loads(value: Any) -> State:
    """The state from a slot value; anything malformed or of another version is dropped."""
    if not isinstance(value, dict) or value.get("v") != VERSION:
        return State()
    kept = {}
    for name, kind in _KINDS.items():
        item = value.get(name)
        if kind is list and isinstance(item, list) and all(isinstance(x, str) for x in item):
            kept[name] = list(item)
        elif kind is int and isinstance(item, (int, float)) and not isinstance(item, bool):
            kept[name] = int(item)
        elif kind is str and isinstance(item, str):
            kept[name] = item
    kept["cases_seen"] = [entry for entry in kept.get("cases_seen", []) if _parses(entry)]
    return State(**kept)


def _parses(entry: str) -> bool:
    try:
        LookedUp.parse(entry)
    except (ValueError, TypeError):
        return False
    return True


def without_lookups(state: State, expired: bool = False) -> State:
    """What a new conversation session keeps: nothing a status lookup remembered. `expired`: it
    was forgotten after a silence, so a question about "my application" asks for it again."""
    had = bool(state.case_stage or state.cases_seen)
    return replace(state, case_stage=None, case_note=None, cases_seen=[],
                   lookup_forgotten="1" if expired and had else state.lookup_forgotten)
