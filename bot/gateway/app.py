"""The gateway application: `create_app(settings)`; every route is listed in `setup_routes`.

Run it with `python -m bot gateway` (make run starts it beside Rasa)."""
from __future__ import annotations

import logging
import signal
import time
from typing import Optional

from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError

import asyncio
from pathlib import Path

import yaml

from bot import knowledge
from bot.cases import CaseStore
from bot.console import views as console_views
from bot.console.auth import StaffStore
from bot.console.limits import Attempts
from bot.gateway import web as handlers
from bot.gateway.rasa import RasaClient
from bot.gateway.relay import Relay
from bot.gateway.service import ConversationService
from bot.gateway.settings import GatewaySettings
from bot.gateway.store import ConversationStore
from bot.gateway.wechat import WeChatAPI, WeChatConfig, WeChatEndpoint

log = logging.getLogger(__name__)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/", handlers.demo_page)
    app.router.add_get("/widget.js", handlers.static_file("widget.js", "application/javascript; charset=utf-8"))
    app.router.add_get("/widget.css", handlers.static_file("widget.css", "text/css; charset=utf-8"))
    app.router.add_get("/healthz", handlers.health)
    app.router.add_post("/api/messages", handlers.post_message)
    app.router.add_post("/api/sessions", handlers.new_session)
    app.router.add_get("/api/sessions/{session}/messages", handlers.session_history)
    app.router.add_get("/ws", handlers.websocket)
    app.router.add_get("/wechat", app["wechat"].verify)
    app.router.add_post("/wechat", app["wechat"].receive)
    console_views.setup(app)  # /console/…: the staff console


def _origin_allowed(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if not origin:
        return True  # not a browser asking across sites (curl, server-to-server)
    origin, settings = origin.rstrip("/"), request.app["settings"]
    # our own origin is configured (PUBLIC_ORIGIN), not read from the Host header the client chose
    return origin in settings.own_origins() or origin in settings.allowed_origins or "*" in settings.allowed_origins


@web.middleware
async def cross_origin(request: web.Request, handler):
    """CORS for the API and the origin check for the WebSocket (browsers do not apply CORS to it)."""
    if not _origin_allowed(request):
        return handlers.error(403, "该网站未被允许使用本咨询服务")
    origin = request.headers.get("Origin")
    if request.method == "OPTIONS" and origin:
        response = web.Response(status=204)
    else:
        try:
            response = await handler(request)
        except web.HTTPRequestEntityTooLarge:
            response = handlers.error(413, "请求过大")
        except web.HTTPNotFound:
            response = handlers.error(404, "没有这个地址")
        except web.HTTPMethodNotAllowed:
            response = handlers.error(405, "不支持的请求方法")
        except RequestPayloadError:  # a body that cannot be read as sent (Content-Encoding: gzip that is not)
            response = handlers.error(400, "请求内容无法读取（编码或压缩格式不正确）")
        except ConnectionResetError:  # the client went away mid-request: one brief line a minute, no traceback
            request.app[ABORTED].note(request)
            response = handlers.error(400, "连接已断开")
    if origin and not isinstance(response, web.WebSocketResponse):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type, Authorization"
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    return response


class AbortedRequests:
    """Requests their clients abandoned (600 slow clients wrote ~1 MB of tracebacks): counted, and
    logged at most once a minute, briefly."""

    def __init__(self, every: float = 60.0):
        self.every, self.count, self.last_logged = every, 0, 0.0

    def note(self, request: web.Request) -> None:
        self.count += 1
        now = time.monotonic()
        if now - self.last_logged >= self.every:
            log.info("%d request(s) abandoned by their clients (latest: %s %s)", self.count, request.method, request.path)
            self.count, self.last_logged = 0, now


ABORTED = web.AppKey("aborted", AbortedRequests)
SPOKEN = web.AppKey("spoken", dict)  # the connections that completed a request, by id (the object itself kept:
# an id is reused once a connection is gone)


@web.middleware
async def security_headers(request: web.Request, handler):
    response = await handler(request)
    if not isinstance(response, web.WebSocketResponse) and not response.prepared:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    return response


def create_app(settings: Optional[GatewaySettings] = None) -> web.Application:
    settings = settings or GatewaySettings()
    # large enough for a case CSV uploaded in the console; the API and WeChat check their own limit
    app = web.Application(middlewares=[mark_spoken, security_headers, cross_origin, console_views.console_guard],
                          client_max_size=11 * 1024 * 1024)
    app["settings"] = settings
    app[ABORTED] = AbortedRequests()
    app[SPOKEN] = {}
    app["session_limits"] = Attempts(60)  # POST /api/sessions per client per minute
    rasa = RasaClient(settings.rasa_url, settings.rasa_timeout, settings.rasa_api_token, settings.rasa_channel_secret)
    service = ConversationService(ConversationStore(settings.db_url), rasa, knowledge.default(), settings.max_message_chars)
    app["service"] = service
    wechat_api = WeChatAPI(WeChatConfig())
    app["wechat"] = WeChatEndpoint(wechat_api.config, service, wechat_api)
    if wechat_api.config.enabled:  # an agent's reply to a WeChat user goes by the customer-service API
        service.deliverers["wechat"] = lambda conversation, text: wechat_api.send_text(conversation.user_id, text)
    app["console"] = console_views.Console(service, StaffStore(settings.db_url), CaseStore(), settings.trusted_proxies)
    if settings.events_redis_url:
        service.relay = Relay(settings.events_redis_url, service.deliver_local)
    domain = yaml.safe_load((Path(__file__).resolve().parents[2] / "domain.yml").read_text(encoding="utf-8"))
    app["intents"] = [i for i in domain["intents"] if i != "choose_procedure"]

    async def start(app: web.Application) -> None:
        await rasa.start()
        await wechat_api.start()
        if service.relay:
            await service.relay.start()
        app["unattended"] = asyncio.ensure_future(console_views.return_unattended(app, settings.unattended_check_every))

    async def stop(app: web.Application) -> None:
        app["unattended"].cancel()
        if service.relay:
            await service.relay.close()
        await rasa.close()
        await wechat_api.close()
        app["console"].checks.close()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    setup_routes(app)
    return app


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:  # uvloop (installed with Rasa) makes the gateway's networking cheaper
        import uvloop
        uvloop.install()
    except ImportError:
        pass
    asyncio.run(serve(GatewaySettings()))


async def serve(settings: GatewaySettings) -> None:
    """Run the gateway until SIGINT or SIGTERM. Connections that never send a whole request (a
    slow-headers client, a socket opened and left) are closed after `silent_timeout` seconds, and
    idle keep-alive connections after the keep-alive timeout; aiohttp itself waits for ever."""
    app = create_app(settings)
    runner = web.AppRunner(app, access_log=None, keepalive_timeout=settings.keepalive_timeout)
    await runner.setup()
    await web.TCPSite(runner, settings.host, settings.port).start()
    print(f"======== Running on http://{settings.host}:{settings.port} ========", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    watcher = asyncio.ensure_future(close_silent_connections(runner, app[SPOKEN], settings.silent_timeout))
    try:
        await stop.wait()
    finally:
        watcher.cancel()
        await runner.cleanup()


async def close_silent_connections(runner: web.AppRunner, spoken: dict, timeout: float) -> None:
    """Every second: a connection that has not completed a request `timeout` seconds after it
    opened is closed (the middleware `mark_spoken` notes connections that have)."""
    first_seen: dict = {}  # id → (connection, when first seen)
    while True:
        await asyncio.sleep(1)
        now, open_now = time.monotonic(), runner.server.connections if runner.server else []
        alive = {id(h): h for h in open_now}
        for key in [k for k, (h, _) in first_seen.items() if alive.get(k) is not h]:
            del first_seen[key]
        for key in [k for k, h in spoken.items() if alive.get(k) is not h]:
            del spoken[key]
        for handler in open_now:
            _, opened = first_seen.setdefault(id(handler), (handler, now))
            if spoken.get(id(handler)) is not handler and now - opened > timeout:
                handler.force_close()


@web.middleware
async def mark_spoken(request: web.Request, handler):
    """A connection that got a whole request in is not a silent one."""
    if request.protocol is not None:
        request.app[SPOKEN][id(request.protocol)] = request.protocol
    return await handler(request)
