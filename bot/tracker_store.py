"""Rasa's SQL tracker store on SQLite, tuned for one machine.

Rasa opens a new SQLite connection for every message and commits with a full fsync,
which costs about 9 ms a message. This store keeps a small connection pool and puts
the file in WAL mode with synchronous=NORMAL: every committed message survives a
crash or restart of Rasa (only a power cut can lose the last commits), and saving a
turn takes about a millisecond. It also remembers, for recent conversations, the events of
the current session it has read or written (this process is SQLite's only writer), so a turn
does not query them again: about a fifth of Rasa's work per message under load. Selected in
endpoints.yml with
`type: bot.tracker_store.SQLiteTrackerStore`; for several Rasa servers use Rasa's own
SQL store on PostgreSQL (endpoints.scale.yml).
"""
from __future__ import annotations

import itertools
import json
from collections import OrderedDict
from pathlib import Path
from typing import Any, Iterator, List, Optional, Text

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
        self._sessions: "OrderedDict[str, List[str]]" = OrderedDict()  # sender → its session's events (JSON)

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """The current session's events, from memory when this store last read or wrote them."""
        stored = self._sessions.get(sender_id)
        if stored is None:
            with self.session_scope() as session:
                rows = self._event_query(session, sender_id, fetch_events_from_all_sessions=False).all()
                stored = self._remember(sender_id, [row.data for row in rows])
        else:
            self._sessions.move_to_end(sender_id)
        if self.domain and stored:
            return DialogueStateTracker.from_dict(sender_id, [json.loads(e) for e in stored], self.domain.slots)
        return None

    async def save(self, tracker: DialogueStateTracker) -> None:
        stored = self._sessions.get(tracker.sender_id)
        before = len(stored) if stored is not None else None
        await super().save(tracker)  # writes the events after `before` (see _additional_events)
        new = list(itertools.islice(tracker.events, before or 0, len(tracker.events)))
        if stored is None or any(isinstance(e, SessionStarted) for e in new):
            self._sessions.pop(tracker.sender_id, None)  # read again from the file next time
        else:
            stored.extend(json.dumps(e.as_dict()) for e in new)

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        stored = self._sessions.get(tracker.sender_id)
        if stored is None:
            return super()._additional_events(session, tracker)
        return itertools.islice(tracker.events, len(stored), len(tracker.events))

    def _remember(self, sender_id: Text, events: List[str]) -> List[str]:
        self._sessions[sender_id] = events
        while len(self._sessions) > CACHED_CONVERSATIONS:
            self._sessions.popitem(last=False)
        return events
