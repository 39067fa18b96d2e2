"""The gateway against real Rasa: the API, the widget's WebSocket, the conversation record,
Rasa down and back, and bad or hostile input."""
import asyncio
import json
import time

import pytest

from bot import services
from bot.gateway.store import ConversationStore
from gateway_helpers import SwitchableProxy, http, post_json, ws_exchange


def api(bot, message, sender="api-test"):
    return post_json(bot.gateway + "/api/messages", {"sender": sender, "message": message})


def test_api_answers_like_rasa_and_keeps_the_conversation(running_bot):
    status, body, _ = api(running_bot, "延续注册怎么办理", "g-follow")
    assert status == 200 and body[0]["recipient_id"] == "g-follow" and "延续" in body[0]["text"]
    status, body, _ = api(running_bot, "那要带什么材料", "g-follow")
    assert "延续注册申请表" in body[0]["text"] and "一寸照" not in body[0]["text"]
    direct = [m for m in running_bot.send("延续注册怎么办理") if m.get("custom", {}).get("type") != "meta"]
    via_gateway = api(running_bot, "延续注册怎么办理", "g-compare")[1]
    assert [m.get("text") for m in direct] == [m.get("text") for m in via_gateway]
    assert [m.get("custom") for m in direct] == [m.get("custom") for m in via_gateway]


def test_api_senders_cannot_reach_other_channels(running_bot):
    # "api-x" at the gateway is Rasa's "api-api-x", never someone's WeChat or web conversation
    api(running_bot, "延续注册怎么办理", "victim")
    status, body, _ = api(running_bot, "那要带什么材料", "api-victim")
    assert "请问您要咨询哪项业务" in body[0]["text"]


def test_websocket_conversation_and_history(running_bot):
    events = asyncio.run(ws_exchange(running_bot.gateway, [{"type": "message", "id": "m1", "text": "初始注册要带什么材料"}]))
    session = events[0]["session"]
    bot = [e for e in events if e["type"] == "bot"][0]
    assert bot["reply_to"] == "m1" and "一寸照" in bot["messages"][0]["text"]
    assert any(e["type"] == "typing" for e in events)
    status, body, _ = http("GET", f"{running_bot.gateway}/api/sessions/{session}/messages")
    assert status == 200
    assert [m["direction"] for m in body["messages"]][:2] == ["in", "out"]
    assert body["messages"][0]["text"] == "初始注册要带什么材料" and body["messages"][0]["at"] > time.time() - 60


def test_resent_message_gets_the_first_answer_not_a_second_turn(running_bot):
    events = asyncio.run(ws_exchange(running_bot.gateway, [{"type": "message", "id": "dup1", "text": "我要办变更"}]))
    session = events[0]["session"]
    again = asyncio.run(ws_exchange(running_bot.gateway, [{"type": "message", "id": "dup1", "text": "我要办变更"}], session=session))
    assert again[0]["resumed"] is True
    first = [e for e in events if e["type"] == "bot"][0]["messages"]
    second = [e for e in again if e["type"] == "bot"][0]["messages"]
    assert [m["text"] for m in first] == [m["text"] for m in second]
    history = http("GET", f"{running_bot.gateway}/api/sessions/{session}/messages")[1]["messages"]
    assert [m["direction"] for m in history].count("in") == 1


def test_quick_reply_payload_is_recorded_with_what_the_button_said(running_bot):
    events = asyncio.run(ws_exchange(running_bot.gateway, [{"type": "message", "id": "q1", "text": "我要补办证书"}]))
    session = events[0]["session"]
    button = [e for e in events if e["type"] == "bot"][0]["messages"][0]["buttons"][0]
    events = asyncio.run(ws_exchange(running_bot.gateway, [{"type": "message", "id": "q2", "text": button["payload"],
                                                            "display": button["title"]}], session=session))
    assert "省级以上报刊" in [e for e in events if e["type"] == "bot"][0]["messages"][0]["text"]
    history = http("GET", f"{running_bot.gateway}/api/sessions/{session}/messages")[1]["messages"]
    assert history[-2 if history[-1]["direction"] == "out" else -1]["direction"] in ("in", "out")
    assert any(m.get("display") == button["title"] for m in history)


@pytest.mark.parametrize("body, status, message", [
    (b'{"sender": "x", "message": ""}', 400, "消息不能为空"),
    (b'{"sender": "x", "message": "   "}', 400, "消息不能为空"),
    (json.dumps({"sender": "x", "message": "问" * 1001}).encode(), 400, "最多 1000 个字"),
    (b'{"sender": "x", "message": 42}', 400, "消息必须是文字"),
    (b'{"sender": "", "message": "hi"}', 400, "sender"),
    (b'{"message": "hi"}', 400, "sender"),
    (b'{not json', 400, "请求格式错误"),
    (b'[1, 2]', 400, "JSON 对象"),
    (b'\xff\xfe\x00bad', 400, "UTF-8"),
    (b'{"sender": "x", "message": "' + b"a" * 70000 + b'"}', 413, "请求过大"),
])
def test_bad_input_gets_a_clear_error(running_bot, body, status, message):
    got, data, _ = http("POST", running_bot.gateway + "/api/messages", body)
    assert got == status and message in data["error"]


def test_unknown_session(running_bot):
    status, data, _ = http("GET", running_bot.gateway + "/api/sessions/nope/messages")
    assert status == 404 and "会话不存在" in data["error"]
    events = asyncio.run(ws_exchange(running_bot.gateway, [{"type": "message", "id": "u1", "text": "你好"}], session="nope"))
    assert events[0]["code"] == "unknown_session"
    assert events[1]["type"] == "session" and events[1]["session"] != "nope" and events[1]["resumed"] is False


def test_malformed_socket_frames_keep_the_connection(running_bot):
    events = asyncio.run(ws_exchange(running_bot.gateway, [
        "{oops", {"type": "message", "text": "没有id"}, {"type": "message", "id": "e1", "text": ""},
        {"type": "message", "id": "e2", "text": "问" * 1001}, {"type": "message", "id": "e3", "text": "你好"}], until_bot=1))
    errors = [e["error"] for e in events if e["type"] == "error"]
    assert "消息格式错误" in errors and "消息缺少有效的 id" in errors
    assert any("消息不能为空" in e for e in errors) and any("1000" in e for e in errors)
    assert [e for e in events if e["type"] == "bot"][0]["reply_to"] == "e3"


def test_html_is_kept_as_text(running_bot):
    hostile = "<script>alert('x')</script><img src=x onerror=alert(1)>"
    status, body, _ = api(running_bot, hostile, "g-html")
    assert status == 200
    store = ConversationStore(f"sqlite:///{running_bot.settings.var_dir / 'conversations.db'}")
    conversation = store.conversation("api", "g-html", create=False)
    assert store.history(conversation.id)[0]["text"] == hostile


def test_cross_site_origins_are_refused_unless_allowed(running_bot):
    status, data, _ = http("POST", running_bot.gateway + "/api/messages", b'{"sender":"o","message":"hi"}',
                           headers={"Content-Type": "application/json", "Origin": "https://evil.example"})
    assert status == 403
    status, _, headers = http("OPTIONS", running_bot.gateway + "/api/messages", None,
                              headers={"Origin": running_bot.gateway, "Access-Control-Request-Method": "POST"})
    assert status == 204 and headers["Access-Control-Allow-Origin"] == running_bot.gateway
    with pytest.raises(Exception):
        asyncio.run(ws_exchange(running_bot.gateway, [], origin="https://evil.example", until_bot=1, timeout=5))


@pytest.fixture
def gateway_behind_proxy(running_bot, tmp_path):
    """A second gateway whose Rasa is behind a proxy the test can switch off."""
    proxy = SwitchableProxy(running_bot.settings.rasa_url, services.free_port())
    proxy.up()
    settings = services.Settings(var_dir=tmp_path, rasa_port=proxy.port, gateway_port=services.free_port(),
                                 actions_port=running_bot.settings.actions_port)
    env = settings.environment()
    env["RASA_TIMEOUT"] = "2"
    gw = services.Process("gateway", [str(services.BIN / "python"), "-m", "bot", "gateway"], env,
                          tmp_path / "gateway.log", f"{settings.gateway_url}/healthz").start()
    gw.wait_ready()
    try:
        yield settings.gateway_url, proxy, tmp_path
    finally:
        gw.stop()
        proxy.close()


def test_rasa_down_slow_and_back(gateway_behind_proxy):
    gateway, proxy, var = gateway_behind_proxy
    sender = "g-outage"
    assert "一寸照" in post_json(gateway + "/api/messages", {"sender": sender, "message": "初始注册要带什么"})[1][0]["text"]
    proxy.down()
    started = time.monotonic()
    status, body, headers = post_json(gateway + "/api/messages", {"sender": sender, "message": "延续注册要带什么"})
    assert time.monotonic() - started < 5
    assert status == 200 and "服务暂时繁忙" in body[0]["text"] and "88381873" in body[0]["text"]
    assert headers.get("X-Helpdesk-Delivered") == "false"
    proxy.up()
    proxy.delay = 3  # slower than the gateway's 2 s budget
    started = time.monotonic()
    body = post_json(gateway + "/api/messages", {"sender": sender, "message": "注销注册要带什么"})[1]
    assert time.monotonic() - started < 4 and "服务暂时繁忙" in body[0]["text"]
    proxy.delay = 0
    time.sleep(1.5)  # let the slow request finish inside Rasa
    assert "贴条" in post_json(gateway + "/api/messages", {"sender": sender, "message": "延续注册审核通过后怎么办"})[1][0]["text"]
    store = ConversationStore(f"sqlite:///{var / 'conversations.db'}")
    history = store.history(store.conversation("api", sender, create=False).id)
    sent = [(m["text"], m["status"]) for m in history if m["direction"] == "in"]
    assert sent == [("初始注册要带什么", "ok"), ("延续注册要带什么", "undelivered"),
                    ("注销注册要带什么", "undelivered"), ("延续注册审核通过后怎么办", "ok")]
