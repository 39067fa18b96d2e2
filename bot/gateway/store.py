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
    # human handoff: bot (the bot answers), waiting (asked for a person), human (an agent has it)
    sa.Column("status", sa.String(16), nullable=True, default="bot", index=True),
    sa.Column("assigned_to", sa.String(64), nullable=True),
    sa.Column("waiting_since", sa.Float, nullable=True),
    sa.Column("handoff_reason", sa.String(32), nullable=True),
    sa.Column("last_agent_at", sa.Float, nullable=True),
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
    sa.Column("intent", sa.String(64), nullable=True),  # for bot turns: what NLU made of the question
    sa.Column("confidence", sa.Float, nullable=True),
    sa.Column("fallback", sa.Boolean, nullable=True),  # the bot could not answer
    sa.Column("agent", sa.String(64), nullable=True),  # who wrote an agent message
    sa.Column("handoff", sa.String(16), nullable=True),  # this bot turn handed the user to a person
    sa.UniqueConstraint("conversation_id", "client_id", name="uq_client_message"),
)

# WeChat requests seen within the replay window: (timestamp, nonce) with a digest of the body, so
# a retry (the same body again) is told apart from a replay with another body (shared by gateways)
wechat_requests = sa.Table(
    "wechat_requests", metadata,
    sa.Column("timestamp", sa.String(16), primary_key=True),
    sa.Column("nonce", sa.String(64), primary_key=True),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("at", sa.Float, nullable=False, index=True),
)


@dataclass
class Conversation:
    id: str
    channel: str
    user_id: str
    created_at: float
    last_at: float
    status: Optional[str] = "bot"
    assigned_to: Optional[str] = None
    waiting_since: Optional[float] = None
    handoff_reason: Optional[str] = None
    last_agent_at: Optional[float] = None

    @property
    def rasa_sender(self) -> str:
        """Rasa's sender id: the WeChat OpenID as it is; web and API ids get a prefix, so an
        API client can never speak in someone else's conversation."""
        return self.user_id if self.channel == "wechat" else f"{self.channel}-{self.user_id}"


class ConversationStore:
    def __init__(self, url: str, cache_size: int = 10_000):
        self.engine = db.engine(url)
        metadata.create_all(self.engine)
        db.add_missing_columns(self.engine, metadata)
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
        conv = Conversation(id=secrets.token_hex(12), channel=channel, user_id=user_id, created_at=now, last_at=now,
                            status="bot")
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
            client_id: Optional[str] = None, status: str = "ok", agent: Optional[str] = None) -> int:
        now = time.time()
        with self.engine.begin() as conn:
            result = conn.execute(messages.insert().values(
                conversation_id=conversation_id, direction=direction, text=text or "",
                payload=json.dumps(payload, ensure_ascii=False) if payload is not None else None,
                client_id=client_id, status=status, at=now, agent=agent))
            changes = {"last_at": now}
            if agent:
                changes["last_agent_at"] = now
            conn.execute(conversations.update().where(conversations.c.id == conversation_id).values(**changes))
            return result.inserted_primary_key[0]

    # -- handoff state (always read from the database: several gateways may share it) ----------

    def fresh(self, conversation_id: str) -> Optional[Conversation]:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(conversations).where(conversations.c.id == conversation_id)).first()
        return Conversation(**row._mapping) if row else None

    def set_status(self, conversation_id: str, status: str, assigned_to: Optional[str] = None,
                   reason: Optional[str] = None, expect: Optional[tuple] = None) -> bool:
        """Move a conversation to bot / waiting / human. With `expect`, only from those states
        (so two agents cannot both take the same conversation). True if it changed."""
        now = time.time()
        values = {"status": status, "assigned_to": assigned_to}
        if status == "waiting":
            values.update(waiting_since=now, handoff_reason=reason)
        elif status == "human":
            values.update(last_agent_at=now)
        else:
            values.update(waiting_since=None, handoff_reason=None)
        query = conversations.update().where(conversations.c.id == conversation_id)
        if expect:
            query = query.where(sa.or_(conversations.c.status.in_(expect),
                                       conversations.c.status.is_(None) if "bot" in expect else sa.false()))
        with self.engine.begin() as conn:
            return conn.execute(query.values(**values)).rowcount == 1

    def waiting_count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(conversations)
                                .where(conversations.c.status == "waiting")).scalar()

    def unattended(self, older_than: float) -> List[Conversation]:
        """Waiting or taken conversations with no agent activity since `older_than`."""
        c = conversations.c
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(conversations).where(
                sa.or_(sa.and_(c.status == "waiting", c.waiting_since < older_than),
                       sa.and_(c.status == "human", sa.func.coalesce(c.last_agent_at, 0) < older_than)))).all()
        return [Conversation(**r._mapping) for r in rows]

    def search(self, channel: Optional[str] = None, day: Optional[str] = None, fallback: bool = False,
               status: Optional[str] = None, assigned_to: Optional[str] = None, limit: int = 200) -> List[dict]:
        """Conversations for the console, newest first, with counts and the last message."""
        c, m = conversations.c, messages.c
        # sessions nobody has written in (a widget opened, or a flood of POST /api/sessions) are not listed
        query = sa.select(conversations).where(c.id.in_(sa.select(m.conversation_id))).order_by(c.last_at.desc()).limit(limit)
        if channel:
            query = query.where(c.channel == channel)
        if status:
            query = query.where(c.status == status)
        if assigned_to:
            query = query.where(c.assigned_to == assigned_to)
        if day:
            start = time.mktime(time.strptime(day, "%Y-%m-%d"))
            query = query.where(c.last_at >= start, c.created_at < start + 86400)
        if fallback:
            query = query.where(c.id.in_(sa.select(m.conversation_id).where(m.fallback.is_(True))))
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
            for row in rows:
                last = conn.execute(sa.select(m.text, m.direction).where(m.conversation_id == row["id"])
                                    .order_by(m.id.desc()).limit(1)).first()
                row["last_text"] = last.text if last else ""
                row["messages"] = conn.execute(sa.select(sa.func.count()).where(m.conversation_id == row["id"])).scalar()
        return rows

    def add_bot_messages(self, conversation_id: str, bot_messages: List[dict], meta: Optional[dict] = None) -> None:
        """One row per bot message (text, buttons, custom payload), in one transaction, with
        what NLU made of the question (intent, confidence, whether the bot understood)."""
        now = time.time()
        meta = meta or {}
        rows = [dict(conversation_id=conversation_id, direction="out", text=m.get("text") or "",
                     payload=json.dumps({**{k: v for k, v in m.items() if k not in ("text", "recipient_id")},
                                         **({"route": meta["route"]} if meta.get("route") else {})}, ensure_ascii=False),
                     client_id=None, status="ok", at=now, intent=meta.get("intent"), confidence=meta.get("confidence"),
                     fallback=meta.get("understood") is False, agent=None, handoff=meta.get("handoff"))
                for m in bot_messages]
        if not rows:
            return
        with self.engine.begin() as conn:
            conn.execute(messages.insert(), rows)
            conn.execute(conversations.update().where(conversations.c.id == conversation_id).values(last_at=now))

    def mark(self, message_id: int, status: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(messages.update().where(messages.c.id == message_id).values(status=status))

    def first_wechat_request(self, timestamp: str, nonce: str, digest: str, keep: float) -> bool:
        """Remember a signed WeChat request; False when its (timestamp, nonce) came before with
        another body (a replay of a captured signature), True for a new one or a retry."""
        now = time.time()
        with self.engine.begin() as conn:
            conn.execute(wechat_requests.delete().where(wechat_requests.c.at < now - keep))
            row = conn.execute(sa.select(wechat_requests.c.digest).where(
                (wechat_requests.c.timestamp == timestamp) & (wechat_requests.c.nonce == nonce))).first()
            if row is not None:
                return row.digest == digest
            try:
                with conn.begin_nested():
                    conn.execute(wechat_requests.insert().values(timestamp=timestamp, nonce=nonce, digest=digest, at=now))
            except sa.exc.IntegrityError:  # another gateway took it a moment ago
                row = conn.execute(sa.select(wechat_requests.c.digest).where(
                    (wechat_requests.c.timestamp == timestamp) & (wechat_requests.c.nonce == nonce))).first()
                return row is not None and row.digest == digest
        return True

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
    for key in ("intent", "confidence", "agent"):
        if row.get(key) is not None:
            item[key] = row[key]
    if row.get("fallback"):
        item["fallback"] = True
    if row["client_id"]:
        item["client_id"] = row["client_id"]
    if row["payload"]:
        item.update(json.loads(row["payload"]))
    return item
