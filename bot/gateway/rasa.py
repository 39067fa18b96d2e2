"""Talking to Rasa's REST channel from the gateway."""
from __future__ import annotations

import asyncio
from typing import List, Optional

import aiohttp


class RasaUnavailable(Exception):
    """Rasa (or its action server) did not answer in time or answered with an error."""


class RasaClient:
    def __init__(self, base_url: str, timeout: float):
        self.webhook = base_url.rstrip("/") + "/webhooks/rest/webhook"
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
