"""Rasa's SQL tracker store on SQLite, tuned for one machine.

Rasa opens a new SQLite connection for every message and commits with a full fsync,
which costs about 9 ms a message. This store keeps a small connection pool and puts
the file in WAL mode with synchronous=NORMAL: every committed message survives a
crash or restart of Rasa (only a power cut can lose the last commits), and saving a
turn takes about a millisecond. It also remembers, for recent conversations, the tracker of
the current session it has handed out and saved (this process is SQLite's only writer), so a
turn neither queries nor replays its events again: about a fifth of Rasa's work per message
under load. Selected in
endpoints.yml with
`type: bot.tracker_store.SQLiteTrackerStore`; for several Rasa servers use Rasa's own
SQL store on PostgreSQL (endpoints.scale.yml).
"""
from __future__ import annotations

import itertools
import json
from collections import OrderedDict
from pathlib import Path
from typing import Any, Iterator, Optional, Text, Tuple

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.pool import QueuePool

from bot import rasa_speedups  # noqa: F401 (patches Rasa on import)

CACHED_CONVERSATIONS = 5000  # the most recent conversations whose session events are kept
PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA busy_timeout=5000")


def sqlite_engine(path: str) -> sa.engine.Engine:
    """An engine for a SQLite file with WAL, NORMAL sync and a pool of connections."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(f"sqlite:///{path}", poolclass=QueuePool, pool_size=4, max_overflow=4,
                              connect_args={"check_same_thread": False, "timeout": 5})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        for pragma in PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    return engine


class SQLiteTrackerStore(SQLTrackerStore):
    def __init__(self, domain=None, db: Text = "var/tracker.db", event_broker=None,
                 host: Optional[Text] = None, **kwargs: Any) -> None:
        Path(db).parent.mkdir(parents=True, exist_ok=True)
        super().__init__(domain=domain, dialect="sqlite", db=db, event_broker=event_broker, **kwargs)
        self.engine.dispose()
        self.engine = sqlite_engine(db)
        self.Base.metadata.create_all(self.engine)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        # sender → (the tracker as last read or saved, how many of its events the file holds)
        self._trackers: "OrderedDict[str, Tuple[DialogueStateTracker, int]]" = OrderedDict()

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """The current session, as the tracker this store last handed out and saved: Rasa adds
        a turn's events to it and saves it, so nothing is read or replayed again. A tracker
        changed but not saved (a turn that failed) is dropped and the file read instead."""
        remembered = self._trackers.get(sender_id)
        if remembered is not None:
            tracker, on_file = remembered
            if len(tracker.events) == on_file:
                self._trackers.move_to_end(sender_id)
                return tracker
            del self._trackers[sender_id]
        with self.session_scope() as session:
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions=False).all()
            events = [json.loads(row.data) for row in rows]
        if not (self.domain and events):
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        self._remember(tracker, len(tracker.events))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        on_file = self._on_file(tracker)
        await super().save(tracker)  # writes the events after `on_file` (see _additional_events)
        new = itertools.islice(tracker.events, on_file or 0, len(tracker.events))
        if on_file is None or any(isinstance(e, SessionStarted) for e in new):
            self._trackers.pop(tracker.sender_id, None)  # read again from the file next time
        else:
            self._remember(tracker, len(tracker.events))

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        on_file = self._on_file(tracker)
        if on_file is None:
            return super()._additional_events(session, tracker)
        return itertools.islice(tracker.events, on_file, len(tracker.events))

    def _on_file(self, tracker: DialogueStateTracker) -> Optional[int]:
        """How many of this tracker's events the file holds, if it is the one remembered."""
        remembered = self._trackers.get(tracker.sender_id)
        return remembered[1] if remembered is not None and remembered[0] is tracker else None

    def _remember(self, tracker: DialogueStateTracker, on_file: int) -> None:
        self._trackers[tracker.sender_id] = (tracker, on_file)
        self._trackers.move_to_end(tracker.sender_id)
        while len(self._trackers) > CACHED_CONVERSATIONS:
            self._trackers.popitem(last=False)
