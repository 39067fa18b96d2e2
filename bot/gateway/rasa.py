"""Talking to Rasa from the gateway: the REST channel for messages, the HTTP API for
pausing and resuming a conversation. Several Rasa servers (RASA_URL=url1,url2) share one
tracker store and lock store; requests go round robin, and a server that refuses the
connection is skipped for the next one."""
from __future__ import annotations

import asyncio
import itertools
from typing import List, Optional, Sequence
from urllib.parse import quote

import aiohttp


class RasaUnavailable(Exception):
    """Rasa (or its action server) did not answer in time or answered with an error."""


class RasaClient:
    def __init__(self, base_urls: Sequence[str] | str, timeout: float, api_token: str = "", channel_secret: str = ""):
        if isinstance(base_urls, str):
            base_urls = [u for u in base_urls.split(",") if u.strip()]
        self.bases = [u.strip().rstrip("/") for u in base_urls]
        self._next = itertools.cycle(range(len(self.bases)))
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.api_token = api_token
        self.channel_headers = {"X-Helpdesk-Channel-Secret": channel_secret}  # bot.rasa_channel
        self._session: Optional[aiohttp.ClientSession] = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200), timeout=self.timeout)

    async def close(self) -> None:
        if self._session:
            await self._session.close()

    def _order(self) -> List[str]:
        first = next(self._next)
        return self.bases[first:] + self.bases[:first]

    async def send(self, sender: str, text: str, channel: str, client: str = "", client_id: Optional[str] = None) -> List[dict]:
        """`client`: who is asking (the network address; for WeChat the OpenID), for the lookup's limits;
        `client_id`: the client's id for this message, kept in the tracker (see replies_to)."""
        metadata = {"channel": channel, "client": client or sender, **({"client_id": client_id} if client_id else {})}
        body = {"sender": sender, "message": text, "metadata": metadata}
        last_error: Exception = RasaUnavailable("no Rasa server configured")
        for base in self._order():
            try:
                async with self._session.post(base + "/webhooks/rest/webhook", json=body, headers=self.channel_headers) as response:
                    if response.status != 200:
                        raise RasaUnavailable(f"Rasa answered HTTP {response.status}")
                    data = await response.json(content_type=None)
            except aiohttp.ClientConnectorError as e:  # that server is down: try the next
                last_error = e
                continue
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as e:
                raise RasaUnavailable(str(e) or type(e).__name__) from e
            if not isinstance(data, list):
                raise RasaUnavailable("unexpected answer from Rasa")
            return data
        raise RasaUnavailable(str(last_error) or type(last_error).__name__)

    async def replies_to(self, sender: str, client_id: str) -> Optional[List[dict]]:
        """The bot's answer to the message with this client id, from the conversation's tracker
        (HTTP API), in the REST channel's shape; None when Rasa never received that message."""
        last_error: Exception = RasaUnavailable("no Rasa server configured")
        for base in self._order():
            url = f"{base}/conversations/{quote(sender, safe='')}/tracker"
            try:
                async with self._session.get(url, params={"token": self.api_token, "include_events": "ALL"}) as response:
                    if response.status != 200:
                        last_error = RasaUnavailable(f"Rasa refused the tracker: HTTP {response.status}")
                        continue
                    tracker = await response.json(content_type=None)
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as e:
                last_error = e
                continue
            return answer_in(tracker.get("events") or [], client_id)
        raise RasaUnavailable(str(last_error) or type(last_error).__name__)

    async def add_event(self, sender: str, event: str) -> None:
        """Pause or resume a conversation in Rasa (HTTP API, needs --enable-api and the token)."""
        last_error: Exception = RasaUnavailable("no Rasa server configured")
        for base in self._order():
            url = f"{base}/conversations/{quote(sender, safe='')}/tracker/events"
            try:
                async with self._session.post(url, params={"token": self.api_token}, json={"event": event}) as response:
                    if response.status == 200:
                        return
                    last_error = RasaUnavailable(f"Rasa refused {event}: HTTP {response.status}")
            except (aiohttp.ClientError, asyncio.TimeoutError) as e:
                last_error = e
        raise RasaUnavailable(str(last_error) or type(last_error).__name__)


def answer_in(events: List[dict], client_id: str) -> Optional[List[dict]]:
    """The bot events after the user event carrying client_id, as REST messages (None: no such event)."""
    start = next((i for i, e in enumerate(events) if e.get("event") == "user"
                  and ((e.get("metadata") or {}).get("client_id") == client_id)), None)
    if start is None:
        return None
    out = []
    for e in events[start + 1:]:
        if e.get("event") == "user":
            break
        if e.get("event") != "bot":
            continue
        data = e.get("data") or {}
        if e.get("text") or data.get("buttons"):
            out.append({"text": e.get("text"), **({"buttons": data["buttons"]} if data.get("buttons") else {})})
        if data.get("custom"):
            out.append({"custom": data["custom"]})
    return out
