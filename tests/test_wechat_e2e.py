"""The /wechat endpoint end to end: a gateway configured for WeChat, the real Rasa behind a
switchable proxy, and a fake WeChat API server for customer-service messages."""
import concurrent.futures as cf
import re
import time
import urllib.parse
import uuid

import pytest
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto

from bot import services
from bot.gateway.store import ConversationStore
from gateway_helpers import SwitchableProxy, gateway_beside, http
from wechat_helpers import AES_KEY, APPID, SECRET, TOKEN, FakeWeChat, event_xml, signed_query, text_xml


@pytest.fixture(scope="module")
def wechat(running_bot, tmp_path_factory):
    var = tmp_path_factory.mktemp("wechat")
    fake = FakeWeChat(services.free_port())
    proxy = SwitchableProxy(running_bot.settings.rasa_url, services.free_port())
    proxy.up()
    settings = services.Settings(var_dir=var, rasa_port=proxy.port, gateway_port=services.free_port(),
                                 actions_port=running_bot.settings.actions_port)
    env = settings.environment()
    env.update(WECHAT_TOKEN=TOKEN, WECHAT_APPID=APPID, WECHAT_APPSECRET=SECRET, WECHAT_AES_KEY=AES_KEY,
               WECHAT_API_BASE=fake.base, WECHAT_BUDGET="1.5", RASA_TIMEOUT="6",
               WECHAT_MODE="compatible")  # both forms, as WeChat sends while an account switches to safe mode
    gw = services.Process("gateway", [str(services.BIN / "python"), "-m", "bot", "gateway"], env,
                          var / "gateway.log", f"{settings.gateway_url}/healthz").start()
    gw.wait_ready()
    store = ConversationStore(f"sqlite:///{var / 'conversations.db'}")
    try:
        yield settings.gateway_url + "/wechat", fake, proxy, store
    finally:
        gw.stop()
        proxy.close()
        fake.close()


def post(url, xml, query=None, timeout=10):
    q = query or signed_query()
    return http("POST", url + "?" + urllib.parse.urlencode(q), xml.encode("utf-8"),
                headers={"Content-Type": "text/xml"}, timeout=timeout)


def reply_content(body: str) -> str:
    return parse_message(body).content if body != "success" else "success"


def new_openid():
    return "o" + uuid.uuid4().hex[:27]


def msg_id():
    return int(time.time() * 1000) * 1000 + int(uuid.uuid4().int % 1000)


def in_messages(store, openid):
    conv = store.conversation("wechat", openid, create=False)
    return [m for m in store.history(conv.id) if m["direction"] == "in"] if conv else []


def test_handshake(wechat):
    url = wechat[0]
    q = signed_query()
    status, body, _ = http("GET", url + "?" + urllib.parse.urlencode({**q, "echostr": "hello-123"}))
    assert status == 200 and body == "hello-123"
    bad = {**q, "signature": "0" * 40, "echostr": "x"}
    assert http("GET", url + "?" + urllib.parse.urlencode(bad))[0] == 403


def test_plain_mode_question_answered_with_the_right_facts(wechat):
    url, _, _, store = wechat
    openid = new_openid()
    status, body, _ = post(url, text_xml(openid, "初始注册需要带什么材料", msg_id()))
    assert status == 200
    reply = parse_message(body)
    assert reply.target == "gh_helpdesk" or "一寸照原件" in reply.content
    assert "一寸照原件" in reply_content(body) and "省厅2号窗口" in reply_content(body)
    assert [m["text"] for m in in_messages(store, openid)] == ["初始注册需要带什么材料"]


def test_safe_mode(wechat):
    url, _, _, store = wechat
    crypto = WeChatCrypto(TOKEN, AES_KEY, APPID)
    openid, q = new_openid(), signed_query()
    encrypted = crypto.encrypt_message(text_xml(openid, "監理鎖壞了找誰", msg_id()), q["nonce"], q["timestamp"])
    enc = re.search(r"<Encrypt><!\[CDATA\[(.*?)\]\]></Encrypt>", encrypted).group(1)
    msg_sig = re.search(r"<MsgSignature><!\[CDATA\[(.*?)\]\]></MsgSignature>", encrypted).group(1)
    body_xml = f"<xml><ToUserName><![CDATA[gh_helpdesk]]></ToUserName><Encrypt><![CDATA[{enc}]]></Encrypt></xml>"
    status, body, _ = post(url, body_xml, {**q, "encrypt_type": "aes", "msg_signature": msg_sig})
    assert status == 200 and "<Encrypt>" in body
    m_sig = re.search(r"<MsgSignature><!\[CDATA\[(.*?)\]\]></MsgSignature>", body).group(1)
    ts = re.search(r"<TimeStamp>(\d+)</TimeStamp>", body).group(1)
    nonce = re.search(r"<Nonce><!\[CDATA\[(.*?)\]\]></Nonce>", body).group(1)
    plain = crypto.decrypt_message(body, m_sig, ts, nonce)
    assert "010-88381756" in parse_message(plain).content
    # a wrong msg_signature in safe mode is refused
    status, _, _ = post(url, body_xml, {**q, "encrypt_type": "aes", "msg_signature": "0" * 40})
    assert status == 403


@pytest.mark.parametrize("change", [
    lambda q: {**q, "signature": "0" * 40},
    lambda q: {k: v for k, v in q.items() if k != "signature"},
    lambda q: signed_query(timestamp=str(int(time.time()) - 3600)),   # a replay of an old message
])
def test_bad_signature_or_replay_never_reaches_the_bot(wechat, change):
    url, _, _, store = wechat
    openid = new_openid()
    status, _, _ = post(url, text_xml(openid, "初始注册需要带什么材料", msg_id()), change(signed_query()))
    assert status == 403
    assert in_messages(store, openid) == []


def test_hostile_xml(wechat):
    url, _, _, store = wechat
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
            '<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>'
            '<MsgType>text</MsgType><Content>&lol2;</Content><MsgId>1</MsgId></xml>')
    assert post(url, bomb)[0] == 400
    assert post(url, "<xml><not closed")[0] == 400
    assert post(url, "")[0] == 400


def test_three_concurrent_retries_make_one_bot_turn_and_the_same_answer(wechat):
    url, _, _, store = wechat
    openid, mid = new_openid(), msg_id()
    xml = text_xml(openid, "延续注册要准备哪些材料", mid)
    with cf.ThreadPoolExecutor(3) as pool:
        bodies = list(pool.map(lambda _: post(url, xml)[1], range(3)))
    contents = {reply_content(b) for b in bodies}
    assert len(contents) == 1 and "延续注册申请表原件" in contents.pop()
    assert len(in_messages(store, openid)) == 1


def test_slow_bot_answers_through_the_customer_service_api(wechat):
    url, fake, proxy, store = wechat
    openid = new_openid()
    proxy.delay = 3  # slower than the 1.5 s budget of this gateway
    try:
        started = time.monotonic()
        status, body, _ = post(url, text_xml(openid, "注销注册要交哪些东西", msg_id()))
        assert status == 200 and body == "success" and time.monotonic() - started < 2.5
        deadline = time.monotonic() + 15
        while not fake.to(openid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "解聘证明" in fake.to(openid)[0]
    finally:
        proxy.delay = 0


def test_long_answer_is_split(wechat):
    url, fake, _, _ = wechat
    openid = new_openid()
    status, body, _ = post(url, text_xml(openid, "初始注册、延续注册、转注册、企业更名的办理流程分别是什么", msg_id()))
    first = reply_content(body)
    assert len(first.encode("utf-8")) <= 2000
    deadline = time.monotonic() + 10
    while not fake.to(openid) and time.monotonic() < deadline:
        time.sleep(0.2)
    rest = fake.to(openid)
    assert rest and all(len(p.encode("utf-8")) <= 2000 for p in rest)
    assert "转注册" in first + "".join(rest)


def test_numbered_options(wechat):
    url, _, _, store = wechat
    openid = new_openid()
    body = post(url, text_xml(openid, "我要办变更", msg_id()))[1]
    assert "请回复数字选择" in reply_content(body) and "3. 企业更名" in reply_content(body)
    body = post(url, text_xml(openid, "3", msg_id()))[1]
    assert "营业执照" in reply_content(body)
    assert in_messages(store, openid)[-1].get("display") == "企业更名"


def test_events_and_other_message_types(wechat):
    url, _, _, store = wechat
    openid = new_openid()
    now = int(time.time())
    body = post(url, event_xml(openid, "subscribe", now))[1]
    assert "欢迎关注" in reply_content(body) and "初始注册" in reply_content(body)
    assert post(url, event_xml(openid, "unsubscribe", now + 1))[1] == "success"
    image = (f"<xml><ToUserName>gh</ToUserName><FromUserName>{openid}</FromUserName><CreateTime>{now}</CreateTime>"
             f"<MsgType>image</MsgType><PicUrl>http://x/y.jpg</PicUrl><MediaId>m</MediaId><MsgId>{msg_id()}</MsgId></xml>")
    assert "请直接输入您的问题" in reply_content(post(url, image)[1])
    voice = (f"<xml><ToUserName>gh</ToUserName><FromUserName>{openid}</FromUserName><CreateTime>{now}</CreateTime>"
             f"<MsgType>voice</MsgType><MediaId>m</MediaId><Format>amr</Format><Recognition>监理锁怎么申请</Recognition>"
             f"<MsgId>{msg_id()}</MsgId></xml>")
    assert "88381756" in reply_content(post(url, voice)[1])


def test_content_with_cdata_terminator_stays_valid_xml(wechat):
    url, _, _, _ = wechat
    body = post(url, text_xml(new_openid(), "你好]]&gt;<x>", msg_id()))[1]
    assert parse_message(body).content


from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(st.binary(max_size=300),
                      st.text(max_size=200).map(lambda t: text_xml("ofuzz", t.replace("]]>", ""), 1)),
                      st.text(max_size=200)))
def test_generated_bodies_never_break_the_endpoint(wechat, body):
    url = wechat[0]
    data = body if isinstance(body, bytes) else body.encode("utf-8", "surrogatepass")
    status, _, _ = http("POST", url + "?" + urllib.parse.urlencode(signed_query()), data,
                        headers={"Content-Type": "text/xml"})
    assert status in (200, 400), status


def test_huge_body_is_refused(wechat):
    status, _, _ = post(wechat[0], "<xml>" + "x" * (1024 * 1024) + "</xml>")
    assert status == 413


def test_agent_reply_reaches_a_wechat_user_by_customer_service_api(wechat):
    url, fake, _, store = wechat
    from bot.console.auth import StaffStore
    from console_helpers import ConsoleClient

    gateway = url.rsplit("/wechat", 1)[0]
    StaffStore(str(store.engine.url)).add("wx-agent", "agent", "wx-agent-pass")
    agent = ConsoleClient(gateway)
    assert agent.login("wx-agent", "wx-agent-pass").status_code == 302
    openid = new_openid()
    body = post(url, text_xml(openid, "转人工", msg_id()))[1]
    assert "人工客服" in reply_content(body)
    conv = store.conversation("wechat", openid, create=False)
    assert agent.post(f"/console/c/{conv.id}/take").status_code == 302
    assert post(url, text_xml(openid, "我的证书丢了", msg_id()))[1] == "success"  # the bot keeps quiet
    agent.post(f"/console/c/{conv.id}/reply", {"text": "您好，证书遗失需要办理遗失补办。"})
    deadline = time.monotonic() + 10
    while "您好，证书遗失需要办理遗失补办。" not in fake.to(openid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "您好，证书遗失需要办理遗失补办。" in fake.to(openid)


@pytest.fixture(scope="module")
def safe_mode(running_bot, tmp_path_factory):
    """A gateway with an AES key and no WECHAT_MODE: safe mode, the default once a key is set."""
    var = tmp_path_factory.mktemp("wechat-safe")
    gw, settings = gateway_beside(running_bot, var, WECHAT_TOKEN=TOKEN, WECHAT_APPID=APPID, WECHAT_APPSECRET=SECRET,
                                  WECHAT_AES_KEY=AES_KEY, WECHAT_MODE="")
    gw.start().wait_ready()
    try:
        yield settings.gateway_url + "/wechat", ConversationStore(f"sqlite:///{var / 'conversations.db'}")
    finally:
        gw.stop()


@pytest.mark.parametrize("encrypt_type", [None, "raw"])
def test_safe_mode_cannot_be_downgraded_to_plain_text(safe_mode, encrypt_type):
    """Attack: with a key configured, a correctly signed plain POST (no encrypt_type, or raw)
    speaks as any OpenID; safe mode must refuse it."""
    url, store = safe_mode
    openid, q = new_openid(), signed_query()
    if encrypt_type:
        q["encrypt_type"] = encrypt_type
    status, _, _ = post(url, text_xml(openid, "它现在到哪一步了", msg_id()), q)
    assert status == 403
    assert in_messages(store, openid) == []


def test_safe_mode_still_takes_encrypted_messages(safe_mode):
    url, store = safe_mode
    crypto = WeChatCrypto(TOKEN, AES_KEY, APPID)
    openid, q = new_openid(), signed_query()
    encrypted = crypto.encrypt_message(text_xml(openid, "监理锁怎么申请", msg_id()), q["nonce"], q["timestamp"])
    enc = re.search(r"<Encrypt><!\[CDATA\[(.*?)\]\]></Encrypt>", encrypted).group(1)
    msg_sig = re.search(r"<MsgSignature><!\[CDATA\[(.*?)\]\]></MsgSignature>", encrypted).group(1)
    body_xml = f"<xml><ToUserName><![CDATA[gh_helpdesk]]></ToUserName><Encrypt><![CDATA[{enc}]]></Encrypt></xml>"
    status, body, _ = post(url, body_xml, {**q, "encrypt_type": "aes", "msg_signature": msg_sig})
    assert status == 200 and "<Encrypt>" in body


def test_a_captured_signature_cannot_carry_another_message(wechat):
    """Attack: the plain signature covers only token, timestamp and nonce; one captured query
    string must not let anyone post other XML as another OpenID within the five minutes. WeChat's
    own retry (the same request again) still gets the first answer."""
    url, _, _, store = wechat
    victim, attacker, q = new_openid(), new_openid(), signed_query()
    first = text_xml(victim, "延续注册要带什么材料", msg_id())
    status, body, _ = post(url, first, q)
    assert status == 200 and "延续注册申请表原件" in reply_content(body)
    status, _, _ = post(url, text_xml(attacker, "它现在到哪一步了", msg_id()), q)
    assert status == 403
    assert in_messages(store, attacker) == []
    status, again, _ = post(url, first, q)  # the retry, unchanged
    assert status == 200 and reply_content(again) == reply_content(body)
    assert len(in_messages(store, victim)) == 1


def test_wechat_mode_is_checked_at_start():
    from bot.gateway.wechat import WeChatConfig
    assert WeChatConfig(token="t", aes_key=AES_KEY, mode="").mode == "safe"
    assert WeChatConfig(token="t", aes_key="", mode="").mode == "plain"
    with pytest.raises(ValueError):
        WeChatConfig(token="t", aes_key="", mode="safe")
    with pytest.raises(ValueError):
        WeChatConfig(token="t", aes_key=AES_KEY, mode="secure")


def test_a_retry_after_a_gateway_restart_is_one_message(running_bot, tmp_path):
    """Fault: a WeChat retry that reached a restarted gateway was recorded (and answered) twice."""
    gw, settings = gateway_beside(running_bot, tmp_path, WECHAT_TOKEN=TOKEN, WECHAT_AES_KEY="", WECHAT_MODE="")
    url, openid = settings.gateway_url + "/wechat", new_openid()
    xml = text_xml(openid, "注销注册要带什么", msg_id())
    try:
        gw.start().wait_ready()
        first = post(url, xml)
        gw.kill()
        gw.start().wait_ready()
        again = post(url, xml)  # WeChat retries with the same MsgId
        assert first[0] == again[0] == 200 and reply_content(first[1]) == reply_content(again[1])
        store = ConversationStore(f"sqlite:///{tmp_path / 'conversations.db'}")
        assert len(in_messages(store, openid)) == 1
    finally:
        gw.stop()
