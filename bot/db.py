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


def add_missing_columns(eng: sa.engine.Engine, metadata: sa.MetaData) -> None:
    """Bring tables made by an older version up to date (new nullable columns only), so a
    var/ kept across upgrades keeps working."""
    inspector = sa.inspect(eng)
    with eng.begin() as conn:
        for table in metadata.sorted_tables:
            if not inspector.has_table(table.name):
                continue
            have = {c["name"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name not in have:
                    kind = column.type.compile(eng.dialect)
                    conn.execute(sa.text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}'))


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
