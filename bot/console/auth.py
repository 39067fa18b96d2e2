"""Staff accounts, console sessions, CSRF tokens, login lockout and the audit log.

Passwords are stored as salted scrypt hashes. A session is a random token kept in an
HTTP-only, SameSite=Strict cookie (only its hash is stored); each session has its own
CSRF token that every POST must carry. Failed logins are limited per client and per client
and account (bot.console.limits), never by locking the account itself, which would let a
stranger lock its owner out. Every staff action goes into the audit log with who and when.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import unicodedata
from dataclasses import dataclass
from typing import List, Optional

import sqlalchemy as sa

from bot import db

ROLES = ("admin", "agent")
MIN_PASSWORD = 8
SESSION_SECONDS = 12 * 3600
SCRYPT = dict(n=2 ** 14, r=8, p=1, dklen=32)

metadata = sa.MetaData()
staff = sa.Table(
    "staff", metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("password", sa.String(200), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("failed_logins", sa.Integer, nullable=False, default=0),
    sa.Column("locked_until", sa.Float, nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
)
sessions = sa.Table(
    "console_sessions", metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("staff", sa.String(64), sa.ForeignKey("staff.name"), nullable=False),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
)
secrets_table = sa.Table(  # server-side keys shared by every gateway on this database (login tokens)
    "console_secrets", metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("value", sa.String(128), nullable=False),
)
audit = sa.Table(
    "audit_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.Float, nullable=False, index=True),
    sa.Column("staff", sa.String(64), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("target", sa.String(200), nullable=False, default=""),
    sa.Column("detail", sa.Text, nullable=False, default=""),
)


class LoginFailed(Exception):
    """Wrong name or password, or a locked or disabled account; the message is for the user."""


@dataclass(frozen=True)
class Staff:
    name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class Session:
    staff: Staff
    csrf: str


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, **SCRYPT)
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        got = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(digest) // 2)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class StaffStore:
    def __init__(self, url: str):
        self.engine = db.engine(url)
        metadata.create_all(self.engine)
        self._dummy_hash = hash_password(secrets.token_hex(8))

    # -- accounts --------------------------------------------------------------------------

    def add(self, name: str, role: str, password: str) -> Staff:
        name = (name or "").strip()
        if not name or len(name) > 64 or any(ch.isspace() or unicodedata.category(ch) in ("Cf", "Cc") for ch in name):
            raise ValueError("账号名不能为空、不能含空格或不可见字符，最长 64 个字符")
        if role not in ROLES:
            raise ValueError(f"角色只能是 {' 或 '.join(ROLES)}")
        if len(password or "") < MIN_PASSWORD:
            raise ValueError(f"密码至少 {MIN_PASSWORD} 位")
        with self.engine.begin() as conn:
            if conn.execute(sa.select(staff.c.name).where(staff.c.name == name)).first():
                raise ValueError(f"账号 {name} 已存在")
            conn.execute(staff.insert().values(name=name, role=role, password=hash_password(password), active=True,
                                               failed_logins=0, created_at=time.time()))
        return Staff(name, role)

    def list(self) -> List[dict]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(
                sa.select(staff.c.name, staff.c.role, staff.c.active, staff.c.locked_until, staff.c.created_at)
                .order_by(staff.c.name))]

    def set_active(self, name: str, active: bool) -> None:
        with self.engine.begin() as conn:
            conn.execute(staff.update().where(staff.c.name == name).values(active=active, failed_logins=0, locked_until=None))
            if not active:
                conn.execute(sessions.delete().where(sessions.c.staff == name))

    # -- logging in ------------------------------------------------------------------------

    def login(self, name: str, password: str) -> Staff:
        """The account, if the password is right. An unknown account costs the same hash and
        gets the same answer as a wrong password; a disabled one is told so only with the
        right password (so that this does not tell a guesser which accounts exist)."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(staff).where(staff.c.name == (name or "").strip())).first()
        ok = check_password(password or "", row.password if row is not None else self._dummy_hash)
        if row is None or not ok:
            raise LoginFailed("账号或密码错误")
        if not row.active:
            raise LoginFailed("该账号已停用")
        return Staff(row.name, row.role)

    def secret(self, name: str) -> bytes:
        """A random key kept in the database, made on first use (the same for every gateway)."""
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(secrets_table.c.value).where(secrets_table.c.name == name)).first()
            if row is None:
                try:
                    with conn.begin_nested():
                        conn.execute(secrets_table.insert().values(name=name, value=secrets.token_hex(32)))
                except sa.exc.IntegrityError:
                    pass  # another gateway made it first
                row = conn.execute(sa.select(secrets_table.c.value).where(secrets_table.c.name == name)).first()
        return bytes.fromhex(row.value)

    def start_session(self, who: Staff) -> tuple:
        """(cookie token, csrf token)."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        with self.engine.begin() as conn:
            conn.execute(sessions.delete().where(sessions.c.expires_at < time.time()))
            conn.execute(sessions.insert().values(token_hash=_token_hash(token), staff=who.name, csrf=csrf,
                                                  expires_at=time.time() + SESSION_SECONDS))
        return token, csrf

    def session(self, token: str) -> Optional[Session]:
        if not token:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(sessions.c.csrf, sessions.c.expires_at, staff.c.name, staff.c.role, staff.c.active)
                               .join(staff, staff.c.name == sessions.c.staff)
                               .where(sessions.c.token_hash == _token_hash(token))).first()
        if row is None or row.expires_at < time.time() or not row.active:
            return None
        return Session(Staff(row.name, row.role), row.csrf)

    def end_session(self, token: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(sessions.delete().where(sessions.c.token_hash == _token_hash(token or "")))

    # -- audit log ---------------------------------------------------------------------------

    def record(self, who: str, action: str, target: str = "", detail: str = "") -> None:
        with self.engine.begin() as conn:
            conn.execute(audit.insert().values(at=time.time(), staff=who, action=action, target=target[:200], detail=detail))

    def audit_log(self, limit: int = 200) -> List[dict]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.select(audit).order_by(audit.c.id.desc()).limit(limit))]
