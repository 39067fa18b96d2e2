"""A fake WeChat API server on loopback, and helpers to post signed messages like WeChat does."""
from __future__ import annotations

import hashlib
import secrets
import time
from typing import Optional

from bench.fake_wechat import APPID, SECRET, FakeWeChat  # noqa: F401

TOKEN = "helpdesk-test-token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def signature(token: str, timestamp: str, nonce: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()


def text_xml(openid: str, content: str, msg_id: int, create_time: Optional[int] = None) -> str:
    return (f"<xml><ToUserName><![CDATA[gh_helpdesk]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{create_time or int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>")


def event_xml(openid: str, event: str, create_time: int) -> str:
    return (f"<xml><ToUserName><![CDATA[gh_helpdesk]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            f"<Event><![CDATA[{event}]]></Event></xml>")


def signed_query(timestamp: Optional[str] = None, nonce: Optional[str] = None, token: str = TOKEN) -> dict:
    """A query string signed as WeChat signs it; a fresh nonce each time, as WeChat sends."""
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or str(secrets.randbelow(10 ** 9))
    return {"signature": signature(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce, "openid": "x"}


