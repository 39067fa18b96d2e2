"""Talking to Rasa's REST channel from the gateway."""
from __future__ import annotations

import asyncio
from typing import List, Optional

from urllib.parse import quote

import aiohttp


class RasaUnavailable(Exception):
    """Rasa (or its action server) did not answer in time or answered with an error."""


class RasaClient:
    def __init__(self, base_url: str, timeout: float, api_token: str = ""):
        self.base = base_url.rstrip("/")
        self.webhook = self.base + "/webhooks/rest/webhook"
        self.api_token = api_token
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: Optional[aiohttp.ClientSession] = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200), timeout=self.timeout)

    async def close(self) -> None:
        if self._session:
            await self._session.close()

    async def send(self, sender: str, text: str, channel: str) -> List[dict]:
        body = {"sender": sender, "message": text, "metadata": {"channel": channel}}
        try:
            async with self._session.post(self.webhook, json=body) as response:
                if response.status != 200:
                    raise RasaUnavailable(f"Rasa answered HTTP {response.status}")
                data = await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as e:
            raise RasaUnavailable(str(e) or type(e).__name__) from e
        if not isinstance(data, list):
            raise RasaUnavailable("unexpected answer from Rasa")
        return data

    async def add_event(self, sender: str, event: str) -> None:
        """Pause or resume a conversation in Rasa (HTTP API, needs --enable-api and the token)."""
        url = f"{self.base}/conversations/{quote(sender, safe='')}/tracker/events"
        try:
            async with self._session.post(url, params={"token": self.api_token}, json={"event": event}) as response:
                if response.status != 200:
                    raise RasaUnavailable(f"Rasa refused {event}: HTTP {response.status}")
        except (aiohttp.ClientError, asyncio.TimeoutError) as e:
            raise RasaUnavailable(str(e) or type(e).__name__) from e
