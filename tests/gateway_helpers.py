"""Helpers for gateway tests: HTTP calls, a WebSocket client, and a switchable proxy that
stands in front of the real Rasa so a test can make Rasa unreachable or slow and bring it back."""
from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.request
from typing import Optional, Tuple

import aiohttp
from aiohttp import web

from bot import services


def http(method: str, url: str, body: Optional[bytes] = None, headers: Optional[dict] = None, timeout: float = 30):
    """(status, parsed JSON or text, headers) — errors are answers too."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw, status, hdrs = r.read(), r.status, dict(r.headers)
    except urllib.error.HTTPError as e:
        raw, status, hdrs = e.read(), e.code, dict(e.headers)
    try:
        return status, json.loads(raw.decode("utf-8")), hdrs
    except ValueError:
        return status, raw.decode("utf-8", "replace"), hdrs


def post_json(url: str, data, timeout: float = 30):
    return http("POST", url, json.dumps(data, ensure_ascii=False).encode("utf-8"), timeout=timeout)


async def ws_exchange(gateway: str, frames, session: Optional[str] = None, origin: Optional[str] = None,
                      until_bot: int = 1, timeout: float = 30):
    """Open the widget socket, send frames, collect events until `until_bot` bot replies."""
    url = gateway.replace("http", "ws", 1) + "/ws" + (f"?session={session}" if session else "")
    headers = {"Origin": origin} if origin else {}
    events = []
    async with aiohttp.ClientSession() as s:
        async with s.ws_connect(url, headers=headers, timeout=timeout) as ws:
            for f in frames:
                await ws.send_str(f if isinstance(f, str) else json.dumps(f, ensure_ascii=False))
            bots = 0
            while bots < until_bot:
                msg = await asyncio.wait_for(ws.receive(), timeout)
                if msg.type != aiohttp.WSMsgType.TEXT:
                    break
                event = json.loads(msg.data)
                events.append(event)
                if event["type"] == "bot":
                    bots += 1
    return events


class SwitchableProxy:
    """HTTP proxy to Rasa on its own port, in a thread: up, down (connection refused) or slow."""

    def __init__(self, target: str, port: int):
        self.target, self.port, self.delay = target.rstrip("/"), port, 0.0
        self.delay_after = 0.0  # Rasa has answered; the answer is held back this long (a slow network)
        self.loop = asyncio.new_event_loop()
        self.runner: Optional[web.AppRunner] = None
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def _run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    async def _forward(self, request: web.Request) -> web.Response:
        if self.delay:
            await asyncio.sleep(self.delay)
        async with aiohttp.ClientSession() as s:
            forwarded = {"Content-Type": "application/json",
                         "X-Helpdesk-Channel-Secret": request.headers.get("X-Helpdesk-Channel-Secret", "")}
            async with s.post(self.target + request.path, data=await request.read(), headers=forwarded) as r:
                body, status = await r.read(), r.status
        if self.delay_after:
            await asyncio.sleep(self.delay_after)
        return web.Response(body=body, status=status, content_type="application/json")

    async def _forward_get(self, request: web.Request) -> web.Response:
        async with aiohttp.ClientSession() as s:
            async with s.get(self.target + request.path_qs) as r:
                return web.Response(body=await r.read(), status=r.status, content_type="application/json")

    async def _start(self):
        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", self._forward)
        app.router.add_get("/conversations/{tail:.*}", self._forward_get)  # Rasa's HTTP API: the tracker
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    def up(self):
        self._run(self._start())

    def down(self):
        if self.runner:
            self._run(self.runner.cleanup())
            self.runner = None

    def close(self):
        self.down()
        self.loop.call_soon_threadsafe(self.loop.stop)


def gateway_beside(bot, var, rasa_port: Optional[int] = None, **env) -> Tuple[services.Process, services.Settings]:
    """A gateway of its own (its own var/ and port, `env` set) in front of the running bot's Rasa
    (or of `rasa_port`, a proxy to it), not started yet: `services.gateway` as make run starts it."""
    settings = services.Settings(var_dir=var, rasa_port=rasa_port or bot.settings.rasa_port, gateway_port=services.free_port(),
                                 actions_port=bot.settings.actions_port, extra_env={k: str(v) for k, v in env.items()})
    return services.gateway(settings), settings
