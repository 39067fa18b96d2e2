"""HTTP and WebSocket handlers of the gateway. Routes are wired in bot/gateway/app.py."""
from __future__ import annotations

import hashlib
import hmac
import json
import re
from pathlib import Path

from aiohttp import WSMsgType, web

from bot.gateway.clients import client_address, is_loopback
from bot.gateway.service import BadMessage, ConversationService

STATIC = Path(__file__).resolve().parent / "static"
CLIENT_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
# no control characters, bidi overrides or zero-width characters (they spoof what staff see)
PUBLIC_FIELDS = ("text", "buttons", "custom", "image")  # what a bot message shows; the record's own fields stay in
SENDER = re.compile(r"^[^\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u061c]{1,200}$")


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status, dumps=_dumps)


def _dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)


def service(request: web.Request) -> ConversationService:
    return request.app["service"]


async def read_json(request: web.Request) -> dict:
    raw = await request.read()
    if len(raw) > request.app["settings"].max_body_bytes:
        raise web.HTTPRequestEntityTooLarge(max_size=request.app["settings"].max_body_bytes, actual_size=len(raw))
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: [[[[…]]]] nested past Python's limit
        raise web.HTTPBadRequest(text=_dumps({"error": "请求格式错误：需要 UTF-8 编码的 JSON"}), content_type="application/json")
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text=_dumps({"error": "请求格式错误：需要 JSON 对象"}), content_type="application/json")
    return data


# --- pages and files -----------------------------------------------------------------------


async def demo_page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "demo.html", headers={"Cache-Control": "no-cache"})


def static_file(name: str, content_type: str):
    async def handler(request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / name, headers={"Content-Type": content_type, "Cache-Control": "no-cache"})
    return handler


async def health(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


# --- API --------------------------------------------------------------------------------------


def api_caller(request: web.Request):
    """(namespace, None) for a caller allowed to use /api/messages, or (None, refusal). With
    API_KEYS, a Bearer key is needed and each key's senders are its own (one client cannot speak
    in another's conversations); without keys, only this machine may call (make run, tests)."""
    settings = request.app["settings"]
    if settings.api_keys:
        given = request.headers.get("Authorization", "")
        given = given[7:].strip() if given[:7].lower() == "bearer " else ""
        for key in settings.api_keys:
            if given and hmac.compare_digest(key.encode(), given.encode()):
                return hashlib.sha256(key.encode()).hexdigest()[:8] + ":", None
        return None, error(401, "需要有效的 API 密钥（Authorization: Bearer …）")
    if not is_loopback(client_address(request, settings.trusted_proxies)):
        return None, error(403, "本接口只对本机开放；对外提供请设置 API_KEYS")
    return "", None


def _limited_client(request: web.Request) -> str:
    """The client the case lookup limits count, or "" for this machine itself (the tests, the
    evaluation tools, a proxy not listed in TRUSTED_PROXIES): then each sender counts alone."""
    address = client_address(request, request.app["settings"].trusted_proxies)
    return "" if is_loopback(address) else address


async def post_message(request: web.Request) -> web.Response:
    """POST /api/messages {"sender", "message"} → Rasa's REST answer, for programmatic clients."""
    namespace, refused = api_caller(request)
    if refused is not None:
        return refused
    data = await read_json(request)
    sender, text = data.get("sender"), data.get("message")
    if not isinstance(sender, str) or not SENDER.match(sender) or not _encodable(sender):
        return error(400, "sender 必须是 1–200 个字符的文字")
    svc = service(request)
    try:
        text = svc.check(text)
    except BadMessage as e:
        return error(400, str(e))
    client_id = data.get("id")  # optional: a resend with the same id gets the first answer, exactly once
    if client_id is not None and (not isinstance(client_id, str) or not CLIENT_ID.match(client_id)):
        return error(400, "id 必须是 1–64 个字母、数字、- 或 _")
    conversation = svc.store.conversation("api", namespace + sender)
    outcome = await svc.handle(conversation, text, client_id=client_id, client=_limited_client(request))
    headers = {} if outcome.delivered else {"X-Helpdesk-Delivered": "false"}
    body = [{"recipient_id": sender, **{k: v for k, v in m.items() if k in PUBLIC_FIELDS and v not in (None, [], "")}}
            for m in outcome.messages]  # the same shape for a first answer and for a resend's (from the record)
    return web.json_response(body, dumps=_dumps, headers=headers)


SESSIONS_PER_MINUTE = 30  # new widget sessions one client may open (a page load makes one)


async def new_session(request: web.Request) -> web.Response:
    """POST /api/sessions: a new widget session, limited per client so a flood cannot bury the
    console's list (which hides sessions with no message anyway)."""
    client = client_address(request, request.app["settings"].trusted_proxies)
    opened = request.app["session_limits"]
    if opened.count(client) >= SESSIONS_PER_MINUTE:
        return error(429, "操作过于频繁，请稍后再试")
    opened.add(client)
    conversation = service(request).store.new_web_session()
    return web.json_response({"session": conversation.user_id})


async def session_history(request: web.Request) -> web.Response:
    svc = service(request)
    conversation = svc.store.conversation("web", request.match_info["session"], create=False)
    if conversation is None:
        return error(404, "会话不存在或已过期")
    return web.json_response({"session": conversation.user_id, "messages": svc.store.history(conversation.id)}, dumps=_dumps)


# --- the widget's WebSocket ----------------------------------------------------------------------


async def websocket(request: web.Request) -> web.WebSocketResponse:
    """One widget tab. Client → {"type": "message", "id", "text", "display"?}; server →
    session / ack / typing / bot / user / agent / error. A message resent with the same id
    after a reconnect gets its first answer again, never a second bot turn."""
    svc = service(request)
    ws = web.WebSocketResponse(heartbeat=25, max_msg_size=request.app["settings"].max_body_bytes)
    await ws.prepare(request)
    asked = request.query.get("session", "")
    conversation = svc.store.conversation("web", asked, create=False) if asked else None
    if asked and conversation is None:
        await ws.send_json({"type": "error", "code": "unknown_session", "error": "会话不存在或已过期，已为您开始新的会话"}, dumps=_dumps)
    if conversation is None:
        conversation = svc.store.new_web_session()
    await ws.send_json({"type": "session", "session": conversation.user_id, "resumed": conversation.user_id == asked})

    async def push(event: dict) -> None:
        await ws.send_json(event, dumps=_dumps)

    svc.hub.subscribe(conversation.id, push)
    client = _limited_client(request)
    try:
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            await _on_client_message(svc, conversation, ws, push, msg.data, client)
    finally:
        svc.hub.unsubscribe(conversation.id, push)
    return ws


async def _on_client_message(svc, conversation, ws, push, raw: str, client: str = "") -> None:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # a frame nested past the parser's depth: bad input, the socket stays
        await push({"type": "error", "error": "消息格式错误"})
        return
    if not isinstance(data, dict) or data.get("type") != "message":
        if isinstance(data, dict) and data.get("type") == "ping":
            await push({"type": "pong"})
        else:
            await push({"type": "error", "error": "未知的消息类型"})
        return
    client_id = data.get("id")
    if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        await push({"type": "error", "error": "消息缺少有效的 id"})
        return
    try:
        svc.check(data.get("text"))
    except BadMessage as e:
        await push({"type": "error", "id": client_id, "error": str(e)})
        return
    await push({"type": "typing", "on": True})
    outcome = await svc.handle(conversation, data["text"], client_id=client_id, source=push, display=data.get("display"),
                               client=client)
    await push({"type": "bot", "reply_to": client_id, "messages": outcome.messages, "delivered": outcome.delivered})
