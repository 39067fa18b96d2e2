"""The WeChat Official Account (公众号) endpoint: /wechat on the gateway.

Protocol work (signatures, XML, AES) is wechatpy 1.8.18's; this module adds what a help
desk needs around it: every POST's signature and timestamp checked, safe and compatible
modes with encrypted replies, one bot turn per message however often WeChat retries it,
a passive answer within the budget or `success` now and the customer-service API later,
long answers split, and quick-reply buttons turned into a numbered list.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import List, Optional

import aiohttp
from aiohttp import web
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from bot import answers
from bot.gateway.service import BadMessage, ConversationService

log = logging.getLogger(__name__)
PASSIVE_LIMIT = 2000  # UTF-8 bytes of one passive text reply (WeChat's own limit is about 2,047)
MAX_CLOCK_SKEW = 300  # seconds: older or newer timestamps are refused as replays
MODES = ("safe", "compatible", "plain")
SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])")
DIGIT_CHOICE = re.compile(r"^\s*([1-9])\s*[.。、]?\s*$")
NOT_TEXT = "您好，目前只能处理文字消息，请直接输入您的问题，例如“初始注册需要什么材料”。"


@dataclass
class WeChatConfig:
    token: str = field(default_factory=lambda: os.environ.get("WECHAT_TOKEN", ""))
    appid: str = field(default_factory=lambda: os.environ.get("WECHAT_APPID", ""))
    secret: str = field(default_factory=lambda: os.environ.get("WECHAT_APPSECRET", ""))
    aes_key: str = field(default_factory=lambda: os.environ.get("WECHAT_AES_KEY", ""))
    api_base: str = field(default_factory=lambda: os.environ.get("WECHAT_API_BASE", "https://api.weixin.qq.com"))
    budget: float = field(default_factory=lambda: float(os.environ.get("WECHAT_BUDGET", 4.5)))
    # safe: only encrypted messages (the default once an AES key is set); compatible: both, as
    # WeChat's own transition mode sends; plain: only plain text (the default without a key)
    mode: str = field(default_factory=lambda: os.environ.get("WECHAT_MODE", "").strip().lower())

    def __post_init__(self) -> None:
        self.mode = self.mode or ("safe" if self.aes_key else "plain")
        if self.mode not in MODES:
            raise ValueError(f"WECHAT_MODE must be one of {', '.join(MODES)}, not {self.mode!r}")
        if self.mode != "plain" and not self.aes_key:
            raise ValueError(f"WECHAT_MODE={self.mode} needs WECHAT_AES_KEY")

    @property
    def enabled(self) -> bool:
        return bool(self.token)

    def accepts(self, encrypted: bool) -> bool:
        """Whether a request in this form may be taken: an attacker's plain POST to a safe-mode
        account (a downgrade) is not."""
        return self.mode == "compatible" or (self.mode == "safe") == encrypted


class WeChatAPI:
    """The customer-service message API (客服消息), with the access token fetched and cached."""

    def __init__(self, config: WeChatConfig):
        self.config = config
        self._token: Optional[str] = None
        self._expires = 0.0
        self._lock = asyncio.Lock()
        self._session: Optional[aiohttp.ClientSession] = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))

    async def close(self) -> None:
        if self._session:
            await self._session.close()

    async def token(self, refresh: bool = False) -> str:
        async with self._lock:
            if refresh or not self._token or time.time() >= self._expires:
                url = f"{self.config.api_base.rstrip('/')}/cgi-bin/token"
                params = {"grant_type": "client_credential", "appid": self.config.appid, "secret": self.config.secret}
                async with self._session.get(url, params=params) as r:
                    data = await r.json(content_type=None)
                if "access_token" not in data:
                    raise RuntimeError(f"access token refused: {data}")
                self._token = data["access_token"]
                self._expires = time.time() + int(data.get("expires_in", 7200)) - 300
            return self._token

    async def send_text(self, openid: str, content: str) -> None:
        body = {"touser": openid, "msgtype": "text", "text": {"content": content}}
        for attempt in (1, 2):
            url = f"{self.config.api_base.rstrip('/')}/cgi-bin/message/custom/send"
            token = await self.token(refresh=attempt == 2)
            async with self._session.post(url, params={"access_token": token},
                                          data=_json(body), headers={"Content-Type": "application/json"}) as r:
                data = await r.json(content_type=None)
            if data.get("errcode", 0) == 0:
                return
            if data.get("errcode") in (40001, 40014, 42001) and attempt == 1:
                continue  # token expired or revoked: fetch a new one once
            raise RuntimeError(f"customer-service message refused: {data}")


def _json(obj) -> bytes:
    import json
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")  # WeChat wants real characters, not \\u escapes


# --- formatting for WeChat ----------------------------------------------------------------------


def as_text(messages: List[dict]) -> str:
    """Bot messages as one WeChat text: buttons become a numbered list (reply 1, 2 … to pick)."""
    parts, buttons = [], []
    for m in messages:
        if m.get("text"):
            parts.append(m["text"])
        if m.get("buttons"):
            buttons = m["buttons"]
    text = "\n\n".join(parts)
    if buttons:
        text += "\n\n请回复数字选择：\n" + "\n".join(f"{i}. {b.get('title', '')}" for i, b in enumerate(buttons, 1))
    return text


def split_text(text: str, limit: int = PASSIVE_LIMIT) -> List[str]:
    """Parts of at most `limit` UTF-8 bytes, cut after a sentence where possible."""
    parts, current = [], ""
    for piece in SENTENCE_END.split(text):
        while len(piece.encode("utf-8")) > limit:  # one sentence longer than a message
            cut = _cut(piece, limit)
            if current:
                parts.append(current)
                current = ""
            parts.append(piece[:cut])
            piece = piece[cut:]
        if len((current + piece).encode("utf-8")) > limit:
            parts.append(current)
            current = piece
        else:
            current += piece
    if current.strip():
        parts.append(current)
    return [p.strip("\n") for p in parts if p.strip()]


def _cut(text: str, limit: int) -> int:
    size = 0
    for i, ch in enumerate(text):
        size += len(ch.encode("utf-8"))
        if size > limit:
            return i
    return len(text)


def cdata_safe(text: str) -> str:
    """wechatpy puts Content in CDATA without escaping ]]>: split it so the XML stays whole."""
    return text.replace("]]>", "]]]]><![CDATA[>")


# --- one message, however often WeChat sends it -----------------------------------------------------


@dataclass
class Delivery:
    """The answer to one WeChat message, shared by its retries."""

    task: asyncio.Task
    started: float
    via_api: bool = False  # the passive window was missed: the answer goes by customer-service API
    rest_sent: bool = False


class WeChatEndpoint:
    def __init__(self, config: WeChatConfig, service: ConversationService, api: WeChatAPI):
        self.config, self.service, self.api = config, service, api
        self.crypto = WeChatCrypto(config.token, config.aes_key, config.appid) if config.aes_key else None
        self.deliveries: "OrderedDict[str, Delivery]" = OrderedDict()  # oldest first

    # -- HTTP ------------------------------------------------------------------------------

    async def verify(self, request: web.Request) -> web.Response:
        """Server configuration handshake: echo `echostr` when the signature is right."""
        if not self.config.enabled:
            return web.Response(status=503, text="WeChat is not configured")
        q = request.query
        if not self._signed(q):
            return web.Response(status=403, text="invalid signature")
        return web.Response(text=q.get("echostr", ""))

    async def receive(self, request: web.Request) -> web.Response:
        if not self.config.enabled:
            return web.Response(status=503, text="WeChat is not configured")
        q = request.query
        if not self._signed(q):
            return web.Response(status=403, text="invalid signature")
        if not self._fresh(q.get("timestamp", "")):
            return web.Response(status=403, text="stale timestamp")
        body = await request.read()
        if len(body) > 64 * 1024:
            return web.Response(status=413, text="message too large")
        if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
            return web.Response(status=400, text="XML with DTD or entities is not accepted")
        safe = q.get("encrypt_type", "raw").lower() == "aes"
        if not self.config.accepts(safe):
            return web.Response(status=403, text="this account accepts only encrypted messages" if not safe
                                else "encrypted messages are not configured")
        digest = hashlib.sha256(body).hexdigest()
        if not self.service.store.first_wechat_request(q.get("timestamp", ""), q.get("nonce", ""), digest,
                                                        keep=2 * MAX_CLOCK_SKEW):
            return web.Response(status=403, text="signature already used for another message")
        try:
            xml = self._decrypt(body, q) if safe else body.decode("utf-8")
            message = parse_message(xml)
        except (InvalidSignatureException, InvalidAppIdException):
            return web.Response(status=403, text="invalid msg_signature")
        except Exception:  # malformed XML, bad encoding, missing fields
            return web.Response(status=400, text="malformed message")
        if message is None:
            return web.Response(status=400, text="empty message")
        text = await self._answer(message)
        if text is None:
            return web.Response(text="success")
        reply = TextReply(source=message.target, target=message.source, content=cdata_safe(text)).render()
        if safe:
            reply = self.crypto.encrypt_message(reply, q.get("nonce", ""), q.get("timestamp"))
        return web.Response(text=reply, content_type="application/xml")

    def _signed(self, q) -> bool:
        try:
            check_signature(self.config.token, q.get("signature", ""), q.get("timestamp", ""), q.get("nonce", ""))
            return bool(q.get("signature"))
        except InvalidSignatureException:
            return False

    @staticmethod
    def _fresh(timestamp: str) -> bool:
        try:
            return abs(time.time() - int(timestamp)) <= MAX_CLOCK_SKEW
        except ValueError:
            return False

    def _decrypt(self, body: bytes, q) -> str:
        if self.crypto is None:
            raise InvalidSignatureException()
        return self.crypto.decrypt_message(body, q.get("msg_signature", ""), q.get("timestamp", ""), q.get("nonce", ""))

    # -- what to answer ---------------------------------------------------------------------

    async def _answer(self, message) -> Optional[str]:
        """The passive reply's text, or None for `success` (nothing, or the answer comes later)."""
        kind = message.type
        if kind == "event":
            event = getattr(message, "event", "")
            if event in ("subscribe", "subscribe_scan"):
                welcome = answers.capabilities(self.service.kb)[0]["text"]
                return "欢迎关注！" + welcome + "\n请直接输入您的问题。"
            return None  # unsubscribe and menu events: nothing to say
        if kind == "text":
            text = message.content or ""
        elif kind == "voice" and getattr(message, "recognition", None):
            text = message.recognition
        else:
            return NOT_TEXT
        key = str(message.id) if getattr(message, "id", None) else f"{message.source}:{message.create_time}"
        return await self._deliver(key, message.source, text)

    @staticmethod
    def _client_id(key: str) -> str:
        """The message's id for the record: a retry after a gateway restart is the same message."""
        return "wx" + hashlib.sha256(key.encode()).hexdigest()[:30]

    async def _deliver(self, key: str, openid: str, text: str) -> Optional[str]:
        delivery = self.deliveries.get(key)
        if delivery is None:
            delivery = Delivery(asyncio.ensure_future(self._bot_turn(openid, text, self._client_id(key))), time.monotonic())
            self.deliveries[key] = delivery
            self._forget_old()
        if delivery.via_api:
            return None  # an earlier request already handed this answer to the customer-service API
        remaining = self.config.budget - (time.monotonic() - delivery.started)
        try:
            parts = await asyncio.wait_for(asyncio.shield(delivery.task), max(0.05, remaining))
        except asyncio.TimeoutError:
            if not delivery.via_api:
                delivery.via_api = True
                delivery.task.add_done_callback(lambda t: asyncio.ensure_future(self._send_later(openid, t)))
            return None
        if len(parts) > 1 and not delivery.rest_sent:
            delivery.rest_sent = True
            asyncio.ensure_future(self._send_all(openid, parts[1:]))
        return parts[0] if parts else None

    async def _bot_turn(self, openid: str, text: str, client_id: Optional[str] = None) -> List[str]:
        conversation = self.service.store.conversation("wechat", openid)
        display = None
        choice = DIGIT_CHOICE.match(text.translate(FULLWIDTH_DIGITS))
        if choice:  # "2" picks the second option of the last numbered list
            buttons = self.service.store.last_buttons(conversation.id)
            index = int(choice.group(1)) - 1
            if 0 <= index < len(buttons):
                display, text = buttons[index].get("title"), buttons[index].get("payload") or buttons[index].get("title")
        try:
            outcome = await self.service.handle(conversation, text, display=display, client_id=client_id)
        except BadMessage as e:
            return [str(e)]
        return split_text(as_text(outcome.messages))

    async def _send_later(self, openid: str, task: asyncio.Task) -> None:
        if task.cancelled() or task.exception():
            return
        await self._send_all(openid, task.result())

    async def _send_all(self, openid: str, parts: List[str]) -> None:
        for part in parts:
            try:
                await self.api.send_text(openid, part)
            except Exception as e:  # logged; the answer is in the conversation record anyway
                log.warning("customer-service message to %s failed: %s", openid, e)
                return

    def _forget_old(self, keep: float = 120) -> None:
        """Drop answers older than WeChat's retry window (oldest first, so this stays cheap)."""
        now = time.monotonic()
        while self.deliveries:
            key, oldest = next(iter(self.deliveries.items()))
            if now - oldest.started <= keep or not oldest.task.done():
                break
            del self.deliveries[key]


FULLWIDTH_DIGITS = str.maketrans("１２３４５６７８９", "123456789")
