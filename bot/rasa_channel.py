"""Rasa's REST channel for the gateway only.

Rasa's own REST webhook takes any sender and metadata without authentication, bypassing the
gateway's limits and its record (and, with Rasa on other machines, it is open to the internal
network). This channel is the same REST channel (same URL, /webhooks/rest/webhook) that refuses
a request without the shared secret in `X-Helpdesk-Channel-Secret` (RASA_CHANNEL_SECRET, made
by the launcher and given to the gateway), and refuses a message longer than the gateway allows.
"""
from __future__ import annotations

import hmac
import os
from typing import Optional, Text

from rasa.core.channels.rest import RestInput
from sanic.exceptions import Forbidden, PayloadTooLarge
from sanic.request import Request

from bot.normalise import MAX_LENGTH

SECRET_HEADER = "X-Helpdesk-Channel-Secret"


class GatewayChannel(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    async def _extract_sender(self, req: Request) -> Optional[Text]:
        """Called first for every message: the caller and the size are checked here."""
        expected = os.environ.get("RASA_CHANNEL_SECRET", "")
        given = req.headers.get(SECRET_HEADER, "")
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            raise Forbidden("this channel answers the help desk's gateway only")
        message = (req.json or {}).get("message")
        if isinstance(message, str) and len(message) > MAX_LENGTH:
            raise PayloadTooLarge(f"messages are limited to {MAX_LENGTH} characters")
        return await super()._extract_sender(req)
