"""Database URLs for our own stores (cases, conversations): SQLite under var/ by default,
PostgreSQL at scale. SQLite files get WAL mode so readers never block the writer."""
from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.pool import QueuePool

ROOT = Path(__file__).resolve().parent.parent


def var_dir() -> Path:
    return Path(os.environ.get("HELPDESK_VAR", ROOT / "var"))


def url_from_env(variable: str, default_file: str) -> str:
    """The database URL in `variable`, else a SQLite file under HELPDESK_VAR."""
    return os.environ.get(variable) or f"sqlite:///{var_dir() / default_file}"


def engine(url: str) -> sa.engine.Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # a few kept-open connections: opening one per query cost the gateway ~2 ms a message
        eng = sa.create_engine(url, poolclass=QueuePool, pool_size=5, max_overflow=10,
                               connect_args={"check_same_thread": False, "timeout": 10})

        @sa.event.listens_for(eng, "connect")
        def _pragmas(dbapi_connection, _record):
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return eng
    return sa.create_engine(url, pool_pre_ping=True, future=True)
