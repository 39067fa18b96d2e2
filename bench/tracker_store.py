"""Time per turn of the tracker store alone (python -m bench.tracker_store): Rasa's own SQL
store on SQLite against ours (without and with its memory of recent sessions), on the same made-up conversations, one retrieve and two saves a
turn as Rasa does. Prints milliseconds per turn for each."""
from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import tracker_store
from bot.tracker_store import SQLiteTrackerStore

ROOT = Path(__file__).resolve().parent.parent
CONVERSATIONS, TURNS = 50, 10


async def per_turn_ms(store, domain: Domain) -> float:
    for i in range(CONVERSATIONS):
        start = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
        await store.save(DialogueStateTracker.from_events(f"s{i}", start, domain.slots))
    started = time.perf_counter()
    for _ in range(TURNS):
        for i in range(CONVERSATIONS):
            tracker = await store.retrieve(f"s{i}")
            tracker.update(UserUttered("初始注册要带什么", {"name": "ask_materials", "confidence": 0.9}))
            await store.save(tracker)
            for event in (ActionExecuted("action_answer"), BotUttered("【初始注册】受理时需携带以下材料" * 4),
                          SlotSet("procedure", "initial"), ActionExecuted("action_listen")):
                tracker.update(event)
            await store.save(tracker)
    return (time.perf_counter() - started) / (TURNS * CONVERSATIONS) * 1000


def main() -> None:
    domain = Domain.load(str(ROOT / "domain.yml"))
    with tempfile.TemporaryDirectory() as tmp:
        rasa_store = SQLTrackerStore(domain=domain, dialect="sqlite", db=f"{tmp}/rasa.db")
        print(f"{'rasa SQLTrackerStore':34s} {asyncio.run(per_turn_ms(rasa_store, domain)):.2f} ms per turn", flush=True)
        for name, remembered in (("bot SQLiteTrackerStore, no memory", 0), ("bot SQLiteTrackerStore", 5000)):
            tracker_store.CACHED_CONVERSATIONS = remembered
            store = SQLiteTrackerStore(domain=domain, db=f"{tmp}/ours-{remembered}.db")
            print(f"{name:34s} {asyncio.run(per_turn_ms(store, domain)):.2f} ms per turn", flush=True)


if __name__ == "__main__":
    main()
