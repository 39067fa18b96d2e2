"""Rasa's SQL tracker store on SQLite, tuned for one machine.

Rasa opens a new SQLite connection for every message and commits with a full fsync,
which costs about 9 ms a message. This store keeps a small connection pool and puts
the file in WAL mode with synchronous=NORMAL: every committed message survives a
crash or restart of Rasa (only a power cut can lose the last commits), and saving a
turn takes about a millisecond. Selected in endpoints.yml with
`type: bot.tracker_store.SQLiteTrackerStore`; for several Rasa servers use Rasa's own
SQL store on PostgreSQL (endpoints.scale.yml).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Text

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy.pool import QueuePool

from bot import rasa_speedups  # noqa: F401 (patches Rasa on import)

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
