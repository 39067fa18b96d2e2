"""What the console learns from the conversation record: the questions the bot could not
answer (grouped by similar text, labelled by staff, exported as Rasa NLU data) and the
statistics page's figures."""
from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Dict, List, Optional

import sqlalchemy as sa
from rapidfuzz import fuzz

from bot.gateway.store import conversations, messages

labels = sa.Table(
    "unanswered_labels", sa.MetaData(),
    sa.Column("text", sa.Text, primary_key=True),
    sa.Column("intent", sa.String(64), nullable=False),
    sa.Column("staff", sa.String(64), nullable=False),
    sa.Column("at", sa.Float, nullable=False),
)
SIMILAR = 70  # rapidfuzz ratio for "the same question"


@dataclass
class Group:
    texts: List[str] = field(default_factory=list)
    conversations: set = field(default_factory=set)
    last_at: float = 0.0
    intent: Optional[str] = None

    @property
    def text(self) -> str:
        return self.texts[0]


def unanswered(engine: sa.engine.Engine, limit: int = 2000) -> List[dict]:
    """User messages whose bot turn ended in a fallback or a handoff, newest first."""
    m = messages.c
    out_rows = sa.select(m.id, m.conversation_id).where(sa.or_(m.fallback.is_(True), m.handoff.isnot(None))) \
        .order_by(m.id.desc()).limit(limit)
    found, seen = [], set()
    with engine.connect() as conn:
        for out in conn.execute(out_rows).all():
            question = conn.execute(sa.select(m.id, m.text, m.payload, m.at, m.conversation_id).where(
                m.conversation_id == out.conversation_id, m.direction == "in", m.id < out.id)
                .order_by(m.id.desc()).limit(1)).first()
            if question and question.id not in seen:
                seen.add(question.id)
                found.append(dict(question._mapping))
    return found


def group(questions: List[dict], known: Dict[str, str]) -> List[Group]:
    """Greedy grouping: a question joins the first group whose first text is similar."""
    groups: List[Group] = []
    for q in questions:
        text = q["text"].strip()
        if not text or text.startswith("/"):
            continue
        target = next((g for g in groups if fuzz.ratio(g.text, text) >= SIMILAR or fuzz.partial_ratio(g.text, text) >= 90), None)
        if target is None:
            target = Group()
            groups.append(target)
        if text not in target.texts:
            target.texts.append(text)
        target.conversations.add(q["conversation_id"])
        target.last_at = max(target.last_at, q["at"])
        target.intent = target.intent or known.get(text)
    return sorted(groups, key=lambda g: (-len(g.conversations), -g.last_at))


class Insights:
    def __init__(self, engine: sa.engine.Engine):
        self.engine = engine
        labels.metadata.create_all(engine)

    def groups(self) -> List[Group]:
        return group(unanswered(self.engine), self.labels())

    def labels(self) -> Dict[str, str]:
        with self.engine.connect() as conn:
            return {r.text: r.intent for r in conn.execute(sa.select(labels))}

    def label(self, texts: List[str], intent: str, staff: str) -> None:
        now = time.time()
        with self.engine.begin() as conn:
            for text in texts:
                conn.execute(labels.delete().where(labels.c.text == text))
                conn.execute(labels.insert().values(text=text, intent=intent, staff=staff, at=now))

    def export_yaml(self) -> str:
        """The labelled questions as Rasa NLU training data."""
        by_intent = defaultdict(list)
        for text, intent in sorted(self.labels().items()):
            by_intent[intent].append(text)
        lines = ['version: "3.1"', "nlu:"]
        for intent, texts in sorted(by_intent.items()):
            lines += [f"  - intent: {intent}", "    examples: |"]
            lines += [f"      - {_one_line(t)}" for t in texts]
        return "\n".join(lines) + "\n"

    def stats(self, days: int = 14) -> dict:
        c, m = conversations.c, messages.c
        since = time.time() - days * 86400
        with self.engine.connect() as conn:
            convs = conn.execute(sa.select(c.id, c.channel, c.created_at).where(c.last_at >= since)).all()
            msgs = conn.execute(sa.select(m.conversation_id, m.direction, m.at, m.intent, m.fallback, m.handoff)
                                .where(m.at >= since).order_by(m.conversation_id, m.id)).all()
        day_keys = [(date.today() - timedelta(days=i)).isoformat() for i in range(days - 1, -1, -1)]
        per_day = {d: {"conversations": 0, "messages": 0} for d in day_keys}
        for conv in convs:
            d = date.fromtimestamp(conv.created_at).isoformat()
            if d in per_day:
                per_day[d]["conversations"] += 1
        for msg in msgs:
            d = date.fromtimestamp(msg.at).isoformat()
            if d in per_day and msg.direction == "in":
                per_day[d]["messages"] += 1
        channels = Counter(conv.channel for conv in convs)
        turns, fallbacks, handoffs, intents, waits = 0, 0, set(), Counter(), []
        last_in: Dict[str, float] = {}
        for msg in msgs:
            if msg.direction == "in":
                last_in[msg.conversation_id] = msg.at
            elif msg.direction == "out" and msg.conversation_id in last_in:
                turns += 1
                waits.append(msg.at - last_in.pop(msg.conversation_id))
                fallbacks += bool(msg.fallback)
                if msg.intent:
                    intents[msg.intent] += 1
                if msg.handoff:
                    handoffs.add(msg.conversation_id)
        waits.sort()
        return {
            "days": day_keys, "per_day": per_day, "channels": dict(channels), "top_intents": intents.most_common(10),
            "bot_turns": turns, "fallback_rate": round(fallbacks / turns, 3) if turns else 0.0,
            "handoff_rate": round(len(handoffs) / len(convs), 3) if convs else 0.0,
            "answer_ms_p50": round(waits[len(waits) // 2] * 1000) if waits else None,
            "answer_ms_p95": round(waits[int(len(waits) * 0.95)] * 1000) if waits else None,
            "conversations": len(convs),
        }


def _one_line(text: str) -> str:
    return " ".join(text.replace("\\", "\\\\").split())
