"""Events between several gateways (EVENTS_REDIS_URL): a message or an agent's reply on one
gateway reaches the widget sockets and staff consoles connected to the others, through a
Redis channel. One gateway needs none of this."""
from __future__ import annotations

import asyncio
import json
import logging
import secrets
from typing import Awaitable, Callable, Optional

import redis.asyncio as aioredis

log = logging.getLogger(__name__)
CHANNEL = "jianli-helpdesk:events"


class Relay:
    def __init__(self, url: str, deliver: Callable[[str, dict], Awaitable[None]]):
        self.url, self.deliver = url, deliver
        self.origin = secrets.token_hex(6)  # this gateway, so it ignores its own events
        self._redis: Optional[aioredis.Redis] = None
        self._task: Optional[asyncio.Task] = None

    async def start(self) -> None:
        self._redis = aioredis.Redis.from_url(self.url)
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(CHANNEL)
        self._task = asyncio.ensure_future(self._listen(pubsub))

    async def close(self) -> None:
        if self._task:
            self._task.cancel()
        if self._redis:
            await self._redis.close()

    async def send(self, conversation_id: str, event: dict) -> None:
        try:
            await self._redis.publish(CHANNEL, json.dumps({"origin": self.origin, "conversation": conversation_id,
                                                           "event": event}, ensure_ascii=False))
        except Exception as e:  # local listeners already have it; others miss one live update
            log.warning("relay publish failed: %s", e)

    async def _listen(self, pubsub) -> None:
        while True:
            try:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if message is None:
                    continue
                data = json.loads(message["data"])
                if data.get("origin") != self.origin:
                    await self.deliver(data["conversation"], data["event"])
            except asyncio.CancelledError:
                raise
            except Exception as e:
                log.warning("relay receive failed: %s", e)
                await asyncio.sleep(1)
