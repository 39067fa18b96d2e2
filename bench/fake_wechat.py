"""A fake WeChat API server on loopback (access token and customer-service messages), for the
tests and the bench: nothing leaves the machine."""
from __future__ import annotations

import asyncio
import threading
from typing import List

from aiohttp import web

APPID, SECRET = "wx0123456789abcdef", "test-secret"


class FakeWeChat:
    """Serves /cgi-bin/token and /cgi-bin/message/custom/send and remembers what was sent."""

    def __init__(self, port: int):
        self.port = port
        self.sent: List[dict] = []
        self.tokens_issued = 0
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _token(self, request: web.Request) -> web.Response:
        if request.query.get("appid") != APPID or request.query.get("secret") != SECRET:
            return web.json_response({"errcode": 40013, "errmsg": "invalid appid"})
        self.tokens_issued += 1
        return web.json_response({"access_token": f"token-{self.tokens_issued}", "expires_in": 7200})

    async def _send(self, request: web.Request) -> web.Response:
        if not request.query.get("access_token", "").startswith("token-"):
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        self.sent.append(await request.json())
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _start(self):
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_post("/cgi-bin/message/custom/send", self._send)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    def to(self, openid: str) -> List[str]:
        return [m["text"]["content"] for m in self.sent if m["touser"] == openid]

    def close(self):
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
