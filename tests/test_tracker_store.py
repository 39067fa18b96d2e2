"""The SQLite tracker store remembers the current session's events in memory: what it hands
Rasa must always equal what the file holds, as a fresh store (Rasa restarted) reads it."""
import asyncio

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.state import SLOT
from bot.tracker_store import SQLiteTrackerStore
from conftest import ROOT


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(ROOT / "domain.yml"))


def session_start():
    return [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]


def turn(text, procedure):
    return [UserUttered(text, {"name": "ask_materials", "confidence": 0.9}), ActionExecuted("action_answer"),
            BotUttered(f"{procedure} 的材料"), SlotSet(SLOT, {"v": 1, "procedure": procedure}), ActionExecuted("action_listen")]


async def play(store, sender, events, domain):
    """One Rasa turn: read the tracker (or start one), add the events, save."""
    tracker = await store.retrieve(sender) or DialogueStateTracker(sender, domain.slots)
    for event in events:
        tracker.update(event)
    await store.save(tracker)


def dumped(tracker):
    return [e.as_dict() for e in tracker.events] if tracker else None


def test_what_it_remembers_is_what_the_file_holds(tmp_path, domain):
    async def scenario():
        db = str(tmp_path / "tracker.db")
        store = SQLiteTrackerStore(domain=domain, db=db)
        await play(store, "a", session_start() + turn("初始注册要带什么", "initial"), domain)
        await play(store, "a", turn("那延续呢", "renewal"), domain)
        await play(store, "b", session_start() + turn("注销要什么", "cancellation"), domain)
        await play(store, "a", session_start() + turn("转注册呢", "transfer"), domain)  # a new session
        await play(store, "a", turn("那领证呢", "transfer"), domain)
        restarted = SQLiteTrackerStore(domain=domain, db=db)
        for sender in ("a", "b"):
            remembered, on_file = await store.retrieve(sender), await restarted.retrieve(sender)
            assert dumped(remembered) == dumped(on_file)
        a = await restarted.retrieve("a")
        assert a.get_slot(SLOT)["procedure"] == "transfer"
        assert [e.text for e in a.events if isinstance(e, UserUttered)] == ["转注册呢", "那领证呢"]  # this session only
        full = await restarted.retrieve_full_tracker("a")
        assert len([e for e in full.events if isinstance(e, UserUttered)]) == 4  # nothing lost or doubled
    asyncio.run(scenario())


def test_a_store_that_forgot_still_saves_only_new_events(tmp_path, domain, monkeypatch):
    async def scenario():
        db = str(tmp_path / "tracker.db")
        store = SQLiteTrackerStore(domain=domain, db=db)
        monkeypatch.setattr("bot.tracker_store.CACHED_CONVERSATIONS", 1)  # every other sender pushes it out
        await play(store, "a", session_start() + turn("初始注册要带什么", "initial"), domain)
        await play(store, "b", session_start() + turn("注销要什么", "cancellation"), domain)
        await play(store, "a", turn("那延续呢", "renewal"), domain)
        await play(store, "b", turn("那转注册呢", "transfer"), domain)
        full = await SQLiteTrackerStore(domain=domain, db=db).retrieve_full_tracker("a")
        assert [e.text for e in full.events if isinstance(e, UserUttered)] == ["初始注册要带什么", "那延续呢"]
    asyncio.run(scenario())


def test_a_turn_that_was_not_saved_is_not_remembered(tmp_path, domain):
    """Rasa changes the tracker it was handed; if the turn fails before saving, the next turn
    must see what the file holds, not the half-done turn."""
    async def scenario():
        store = SQLiteTrackerStore(domain=domain, db=str(tmp_path / "tracker.db"))
        await play(store, "a", session_start() + turn("初始注册要带什么", "initial"), domain)
        handed = await store.retrieve("a")
        for event in turn("那延续呢", "renewal"):  # a turn that never reaches save
            handed.update(event)
        again = await store.retrieve("a")
        assert again.get_slot(SLOT)["procedure"] == "initial"
        assert [e.text for e in again.events if isinstance(e, UserUttered)] == ["初始注册要带什么"]
        await play(store, "a", turn("那注销呢", "cancellation"), domain)  # and the next turn saves cleanly
        full = await SQLiteTrackerStore(domain=domain, db=str(tmp_path / "tracker.db")).retrieve_full_tracker("a")
        assert [e.text for e in full.events if isinstance(e, UserUttered)] == ["初始注册要带什么", "那注销呢"]
    asyncio.run(scenario())
