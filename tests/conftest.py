"""Shared fixtures. `running_bot` starts the real action server and Rasa once per test
session, on free ports, with a temporary var/ (SQLite tracker store), and with
HELPDESK_TODAY fixed so date answers are stable."""
from __future__ import annotations

import json
import os
import secrets
import urllib.request
import uuid
from pathlib import Path

import pytest

from bot import services, training
from bot.cases import CaseStore

TODAY = "2026-11-24"
os.environ.setdefault("HELPDESK_TODAY", TODAY)
# one secret for Rasa's channel (bot.rasa_channel) across every gateway and Rasa the tests start
os.environ.setdefault("RASA_CHANNEL_SECRET", secrets.token_hex(16))


class BotClient:
    """Talks to Rasa's REST channel like any front end does."""

    def __init__(self, settings: services.Settings):
        self.settings = settings
        self.url = f"{settings.rasa_url}/webhooks/rest/webhook"
        self.gateway = settings.gateway_url

    def send(self, message: str, sender: str | None = None, timeout: float = 30) -> list:
        body = json.dumps({"sender": sender or self.new_sender(), "message": message}).encode()
        req = urllib.request.Request(self.url, data=body, headers={"Content-Type": "application/json",
                                                                   "X-Helpdesk-Channel-Secret": self.settings.channel_secret()})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read().decode() or "[]")

    def text(self, message: str, sender: str | None = None) -> str:
        """All bot texts and button titles of one turn, joined."""
        parts = []
        for m in self.send(message, sender):
            parts.append(m.get("text") or "")
            parts += [b.get("title", "") for b in m.get("buttons") or []]
        return "\n".join(p for p in parts if p)

    @staticmethod
    def new_sender() -> str:
        return "test-" + uuid.uuid4().hex[:12]


@pytest.fixture(scope="session")
def running_bot(tmp_path_factory):
    model = training.train()
    settings = services.Settings(
        var_dir=tmp_path_factory.mktemp("var"),
        rasa_port=services.free_port(),
        actions_port=services.free_port(),
        gateway_port=services.free_port(),
    )
    store = CaseStore(f"sqlite:///{settings.var_dir / 'cases.db'}")
    store.import_csv((DATA / "cases.csv").read_bytes(), source="tests")
    if (SHARED / "eval" / "public_cases.csv").exists():
        store.import_csv((SHARED / "eval" / "public_cases.csv").read_bytes(), source="public")
    procs = services.start_all(settings, model)
    try:
        yield BotClient(settings)
    finally:
        services.stop_all(procs)


@pytest.fixture
def kb():
    from bot import knowledge
    return knowledge.default()


ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
DATA = Path(__file__).resolve().parent / "data"
