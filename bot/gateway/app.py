"""The gateway application: `create_app(settings)`; every route is listed in `setup_routes`.

Run it with `python -m bot gateway` (make run starts it beside Rasa)."""
from __future__ import annotations

import logging
from typing import Optional

from aiohttp import web

from bot import knowledge
from bot.gateway import web as handlers
from bot.gateway.rasa import RasaClient
from bot.gateway.service import ConversationService
from bot.gateway.settings import GatewaySettings
from bot.gateway.store import ConversationStore
from bot.gateway.wechat import WeChatAPI, WeChatConfig, WeChatEndpoint


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


def _origin_allowed(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if not origin:
        return True  # not a browser asking across sites (curl, server-to-server)
    origin = origin.rstrip("/")
    own = f"{request.scheme}://{request.host}"
    return origin == own or origin in request.app["settings"].allowed_origins or "*" in request.app["settings"].allowed_origins


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
    if origin and not isinstance(response, web.WebSocketResponse):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    return response


@web.middleware
async def security_headers(request: web.Request, handler):
    response = await handler(request)
    if not isinstance(response, web.WebSocketResponse) and not response.prepared:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    return response


def create_app(settings: Optional[GatewaySettings] = None) -> web.Application:
    settings = settings or GatewaySettings()
    app = web.Application(middlewares=[security_headers, cross_origin], client_max_size=settings.max_body_bytes)
    app["settings"] = settings
    rasa = RasaClient(settings.rasa_url, settings.rasa_timeout)
    app["service"] = ConversationService(ConversationStore(settings.db_url), rasa, knowledge.default(),
                                         settings.max_message_chars)
    wechat_api = WeChatAPI(WeChatConfig())
    app["wechat"] = WeChatEndpoint(wechat_api.config, app["service"], wechat_api)

    async def start(app: web.Application) -> None:
        await rasa.start()
        await wechat_api.start()

    async def stop(app: web.Application) -> None:
        await rasa.close()
        await wechat_api.close()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    setup_routes(app)
    return app


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = GatewaySettings()
    web.run_app(create_app(settings), host=settings.host, port=settings.port, access_log=None)
