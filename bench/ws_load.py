"""Many widget sessions at once over the gateway's WebSocket: every message must get
exactly one answer, to the right message, none lost and none duplicated."""
from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import List

import aiohttp

from bench.traffic import CONVERSATIONS

MIXED_TURNS = [turn for script in CONVERSATIONS for turn in script if "{" not in turn]


@dataclass
class WsResult:
    sessions: int
    sent: int = 0
    answered: int = 0
    lost: int = 0
    duplicated: int = 0
    wrong: int = 0
    failed_sessions: int = 0
    latencies: List[float] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> dict:
        lat = sorted(self.latencies)
        pick = lambda p: round(lat[min(len(lat) - 1, int(p / 100 * len(lat)))] * 1000, 1) if lat else None
        return {"sessions": self.sessions, "messages_sent": self.sent, "answered": self.answered, "lost": self.lost,
                "duplicated": self.duplicated, "misrouted": self.wrong, "failed_sessions": self.failed_sessions,
                "p50_ms": pick(50), "p99_ms": pick(99), "seconds": round(self.seconds, 1)}


async def _session(http: aiohttp.ClientSession, url: str, index: int, turns: int, result: WsResult, hold: float):
    try:
        async with http.ws_connect(url, timeout=60, heartbeat=None) as ws:
            first = json.loads((await ws.receive(timeout=60)).data)
            assert first["type"] == "session"
            await asyncio.sleep(hold)  # every session is open at the same time
            for i in range(turns):
                client_id = uuid.uuid4().hex
                t0 = time.perf_counter()
                await ws.send_str(json.dumps({"type": "message", "id": client_id, "text": MIXED_TURNS[(index + i) % len(MIXED_TURNS)]}))
                result.sent += 1
                answers = 0
                while True:
                    msg = await ws.receive(timeout=120)
                    if msg.type != aiohttp.WSMsgType.TEXT:
                        raise ConnectionError("socket closed")
                    event = json.loads(msg.data)
                    if event["type"] != "bot":
                        continue
                    if event.get("reply_to") != client_id:
                        result.wrong += 1
                        continue
                    answers += 1
                    result.latencies.append(time.perf_counter() - t0)
                    break
                result.answered += answers
            # anything more arriving now would be a duplicate answer
            try:
                extra = await ws.receive(timeout=0.5)
                if extra.type == aiohttp.WSMsgType.TEXT and json.loads(extra.data).get("type") == "bot":
                    result.duplicated += 1
            except asyncio.TimeoutError:
                pass
    except Exception:
        result.failed_sessions += 1


async def run(gateway: str, sessions: int = 200, turns: int = 3) -> WsResult:
    url = gateway.replace("http", "ws", 1) + "/ws"
    result = WsResult(sessions)
    connector = aiohttp.TCPConnector(limit=0)
    started = time.perf_counter()
    async with aiohttp.ClientSession(connector=connector) as http:
        await asyncio.gather(*(_session(http, url, i, turns, result, hold=2.0) for i in range(sessions)))
    result.seconds = time.perf_counter() - started
    result.lost = result.sent - result.answered
    return result
