"""The gateway's record of every conversation: who, on which channel, and every message
in and out with its time (SQL; SQLite under var/ by default, CONVERSATIONS_DB_URL)."""
from __future__ import annotations

import json
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, List, Optional

import sqlalchemy as sa

from bot import db

metadata = sa.MetaData()
conversations = sa.Table(
    "conversations", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("user_id", sa.String(200), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("last_at", sa.Float, nullable=False, index=True),
    sa.UniqueConstraint("channel", "user_id", name="uq_channel_user"),
)
messages = sa.Table(
    "messages", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("conversation_id", sa.String(64), sa.ForeignKey("conversations.id"), nullable=False, index=True),
    sa.Column("direction", sa.String(8), nullable=False),  # in (user), out (bot), agent, system
    sa.Column("text", sa.Text, nullable=False, default=""),
    sa.Column("payload", sa.Text),  # JSON: buttons, custom payloads
    sa.Column("client_id", sa.String(64)),  # the client's id for an incoming message (dedup)
    sa.Column("status", sa.String(16), nullable=False, default="ok"),  # ok | undelivered
    sa.Column("at", sa.Float, nullable=False),
    sa.UniqueConstraint("conversation_id", "client_id", name="uq_client_message"),
)


@dataclass
class Conversation:
    id: str
    channel: str
    user_id: str
    created_at: float
    last_at: float

    @property
    def rasa_sender(self) -> str:
        """Rasa's sender id: the WeChat OpenID as it is; web and API ids get a prefix, so an
        API client can never speak in someone else's conversation."""
        return self.user_id if self.channel == "wechat" else f"{self.channel}-{self.user_id}"


class ConversationStore:
    def __init__(self, url: str, cache_size: int = 10_000):
        self.engine = db.engine(url)
        metadata.create_all(self.engine)
        self._cache: "OrderedDict[tuple, Conversation]" = OrderedDict()  # who is who never changes
        self._cache_size = cache_size

    def conversation(self, channel: str, user_id: str, create: bool = True) -> Optional[Conversation]:
        key = (channel, user_id)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        conv = self._conversation(channel, user_id, create)
        if conv:
            self._cache[key] = conv
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return conv

    def _conversation(self, channel: str, user_id: str, create: bool) -> Optional[Conversation]:
        query = sa.select(conversations).where(conversations.c.channel == channel, conversations.c.user_id == user_id)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row:
            return Conversation(**row._mapping)
        if not create:
            return None
        now = time.time()
        conv = Conversation(id=secrets.token_hex(12), channel=channel, user_id=user_id, created_at=now, last_at=now)
        try:
            with self.engine.begin() as conn:
                conn.execute(conversations.insert().values(**conv.__dict__))
        except sa.exc.IntegrityError:  # another worker created it a moment ago
            with self.engine.connect() as conn:
                return Conversation(**conn.execute(query).first()._mapping)
        return conv

    def new_web_session(self) -> Conversation:
        """A web widget session: its id is a secret the browser keeps, so it is long and random."""
        return self.conversation("web", secrets.token_urlsafe(24))

    def by_id(self, conversation_id: str) -> Optional[Conversation]:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(conversations).where(conversations.c.id == conversation_id)).first()
        return Conversation(**row._mapping) if row else None

    def add(self, conversation_id: str, direction: str, text: str, payload: Any = None,
            client_id: Optional[str] = None, status: str = "ok") -> int:
        now = time.time()
        with self.engine.begin() as conn:
            result = conn.execute(messages.insert().values(
                conversation_id=conversation_id, direction=direction, text=text or "",
                payload=json.dumps(payload, ensure_ascii=False) if payload is not None else None,
                client_id=client_id, status=status, at=now))
            conn.execute(conversations.update().where(conversations.c.id == conversation_id).values(last_at=now))
            return result.inserted_primary_key[0]

    def add_bot_messages(self, conversation_id: str, bot_messages: List[dict]) -> None:
        """One row per bot message (text, buttons, custom payload), in one transaction."""
        now = time.time()
        rows = [dict(conversation_id=conversation_id, direction="out", text=m.get("text") or "",
                     payload=json.dumps({k: v for k, v in m.items() if k not in ("text", "recipient_id")}, ensure_ascii=False),
                     client_id=None, status="ok", at=now) for m in bot_messages]
        if not rows:
            return
        with self.engine.begin() as conn:
            conn.execute(messages.insert(), rows)
            conn.execute(conversations.update().where(conversations.c.id == conversation_id).values(last_at=now))

    def mark(self, message_id: int, status: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(messages.update().where(messages.c.id == message_id).values(status=status))

    def seen_client_id(self, conversation_id: str, client_id: str) -> Optional[int]:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(messages.c.id).where(
                messages.c.conversation_id == conversation_id, messages.c.client_id == client_id)).scalar()

    def replies_after(self, conversation_id: str, message_id: int) -> List[dict]:
        """Bot messages recorded after an incoming message, up to the next incoming one."""
        out = []
        for m in self.history(conversation_id, after_id=message_id):
            if m["direction"] == "in":
                break
            out.append(m)
        return out

    def last_buttons(self, conversation_id: str) -> List[dict]:
        """The quick replies of the bot's latest turn (empty if it offered none)."""
        with self.engine.connect() as conn:
            last_in = conn.execute(sa.select(sa.func.max(messages.c.id)).where(
                messages.c.conversation_id == conversation_id, messages.c.direction == "in")).scalar() or 0
        for m in reversed(self.history(conversation_id, after_id=last_in)):
            if m.get("buttons"):
                return m["buttons"]
        return []

    def history(self, conversation_id: str, after_id: int = 0, limit: int = 500) -> List[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(messages).where(messages.c.conversation_id == conversation_id,
                                                          messages.c.id > after_id)
                                .order_by(messages.c.id).limit(limit)).all()
        return [to_client(r._mapping) for r in rows]


def to_client(row) -> dict:
    """A recorded message as front ends get it: direction, text, buttons/custom, time."""
    item = {"id": row["id"], "direction": row["direction"], "text": row["text"], "at": row["at"], "status": row["status"]}
    if row["client_id"]:
        item["client_id"] = row["client_id"]
    if row["payload"]:
        item.update(json.loads(row["payload"]))
    return item
