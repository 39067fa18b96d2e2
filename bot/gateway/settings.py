"""Gateway settings, all from the environment (see README "Configuration")."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Tuple

from bot import db


def _origins(raw: str) -> Tuple[str, ...]:
    return tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())


@dataclass
class GatewaySettings:
    host: str = field(default_factory=lambda: os.environ.get("HELPDESK_HOST", "127.0.0.1"))
    port: int = field(default_factory=lambda: int(os.environ.get("GATEWAY_PORT", 8080)))
    rasa_url: str = field(default_factory=lambda: os.environ.get("RASA_URL", f"http://127.0.0.1:{os.environ.get('RASA_PORT', 5005)}"))
    db_url: str = field(default_factory=lambda: db.url_from_env("CONVERSATIONS_DB_URL", "conversations.db"))
    # origins allowed to embed the widget and call the API across sites; the gateway's own always is
    allowed_origins: Tuple[str, ...] = field(default_factory=lambda: _origins(os.environ.get("ALLOWED_ORIGINS", "")))
    rasa_timeout: float = field(default_factory=lambda: float(os.environ.get("RASA_TIMEOUT", 4.0)))
    rasa_api_token: str = field(default_factory=lambda: os.environ.get("RASA_API_TOKEN", ""))
    rasa_channel_secret: str = field(default_factory=lambda: os.environ.get("RASA_CHANNEL_SECRET", ""))
    # a waiting or taken-over conversation nobody attends for this long goes back to the bot
    handoff_timeout: float = field(default_factory=lambda: float(os.environ.get("HANDOFF_TIMEOUT", 600)))
    # several gateways: live events between them through Redis (e.g. redis://127.0.0.1:6379/0)
    events_redis_url: str = field(default_factory=lambda: os.environ.get("EVENTS_REDIS_URL", ""))
    unattended_check_every: float = field(default_factory=lambda: float(os.environ.get("HANDOFF_CHECK_EVERY", 15)))
    # the HTTPS proxies in front of the gateway, whose X-Forwarded-For names the real client
    trusted_proxies: Tuple[str, ...] = field(default_factory=lambda: _origins(os.environ.get("TRUSTED_PROXIES", "")))
    # keys of programmatic clients of /api/messages (Authorization: Bearer <key>); without any,
    # the API answers loopback only
    api_keys: Tuple[str, ...] = field(default_factory=lambda: _origins(os.environ.get("API_KEYS", "")))
    # the origin the public reaches the gateway at (https://zixun.example.gov.cn): pages there may use
    # the API and the WebSocket; by default only the gateway's own listening address (and localhost)
    public_origin: str = field(default_factory=lambda: os.environ.get("PUBLIC_ORIGIN", "").strip().rstrip("/"))
    cookie_secure: bool = field(default_factory=lambda: os.environ.get("COOKIE_SECURE", "") in ("1", "true", "yes"))
    # a connection that sends no whole request in this many seconds is closed; idle keep-alive ones after keepalive_timeout
    silent_timeout: float = field(default_factory=lambda: float(os.environ.get("GATEWAY_SILENT_TIMEOUT", 20)))
    keepalive_timeout: float = field(default_factory=lambda: float(os.environ.get("GATEWAY_KEEPALIVE_TIMEOUT", 30)))
    max_message_chars: int = 1000

    def own_origins(self) -> Tuple[str, ...]:
        """Origins that are this gateway itself, never the Host header a client sends."""
        if self.public_origin:
            return (self.public_origin,)
        hosts = {self.host} | ({"127.0.0.1", "localhost"} if self.host in ("127.0.0.1", "localhost", "0.0.0.0", "::1") else set())
        return tuple(sorted(f"http://{h}:{self.port}" for h in hosts))
    max_body_bytes: int = 64 * 1024
