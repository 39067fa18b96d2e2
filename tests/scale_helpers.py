"""A throwaway PostgreSQL database and Redis key space for the scale-out tests and bench
(the machine's own servers on loopback; .ci/run starts them if they are stopped)."""
from __future__ import annotations

import subprocess
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

PG = dict(host="127.0.0.1", port="5432", user="postgres", password="")
REDIS = dict(host="127.0.0.1", port="6379", db="3")


def ensure_services() -> None:
    """Start the machine's PostgreSQL and Redis (Debian's packages) if they are not running,
    the same way .ci/run does."""
    ready = subprocess.run(["pg_isready", "-q", "-h", PG["host"], "-p", PG["port"]]).returncode == 0
    if not ready:
        version = sorted(Path("/etc/postgresql").iterdir())[-1].name
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"], check=True)
    pong = subprocess.run(["redis-cli", "-h", REDIS["host"], "-p", REDIS["port"], "ping"], capture_output=True, text=True)
    if "PONG" not in pong.stdout:
        subprocess.run(["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", REDIS["port"], "--save", "",
                        "--appendonly", "no", "--dir", "/tmp"], check=True)
    for _ in range(50):
        if subprocess.run(["pg_isready", "-q", "-h", PG["host"], "-p", PG["port"]]).returncode == 0:
            return
        time.sleep(0.2)
    raise RuntimeError("PostgreSQL did not come up")


def psql(sql: str, db: str = "postgres") -> subprocess.CompletedProcess:
    return subprocess.run(["psql", "-h", PG["host"], "-p", PG["port"], "-U", PG["user"], "-d", db, "-v", "ON_ERROR_STOP=1",
                           "-tAc", sql], capture_output=True, text=True, timeout=30)


@contextmanager
def scratch_database():
    """(database name, SQLAlchemy URL, environment for endpoints.scale.yml)."""
    ensure_services()
    name = "helpdesk_" + uuid.uuid4().hex[:10]
    created = psql(f"CREATE DATABASE {name}")
    if created.returncode != 0:
        raise RuntimeError(f"cannot create a PostgreSQL database: {created.stderr.strip()}")
    prefix = "hd" + uuid.uuid4().hex[:8]
    env = {"POSTGRES_HOST": PG["host"], "POSTGRES_PORT": PG["port"], "POSTGRES_DB": name, "POSTGRES_USER": PG["user"],
           "POSTGRES_PASSWORD": PG["password"], "REDIS_HOST": REDIS["host"], "REDIS_PORT": REDIS["port"],
           "REDIS_DB": REDIS["db"], "REDIS_KEY_PREFIX": prefix}
    url = f"postgresql://{PG['user']}@{PG['host']}:{PG['port']}/{name}"
    try:
        yield name, url, env
    finally:
        psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
