"""Attacks on a running gateway (issue 14), each performed for real; the gateway here runs
behind a pretend HTTPS proxy (TRUSTED_PROXIES=127.0.0.1), so X-Forwarded-For names the client."""
import json
import re
import statistics
import subprocess
import sys
import time

import pytest
import requests

from bot import services
from console_helpers import ConsoleClient, add_staff
from gateway_helpers import gateway_beside, http, post_json

ADMIN = ("chief", "chief-password-1")
AGENTS = (("ann", "ann-password-1"), ("bob", "bob-password-1"))


@pytest.fixture(scope="module")
def gateway(running_bot, tmp_path_factory):
    var = tmp_path_factory.mktemp("secure")
    assert add_staff(var, *ADMIN[:1], "admin", ADMIN[1]).returncode == 0
    for agent in AGENTS:
        assert add_staff(var, agent[0], "agent", agent[1]).returncode == 0
    gw, settings = gateway_beside(running_bot, var, TRUSTED_PROXIES="127.0.0.1",
                                  CASES_DB_URL=f"sqlite:///{running_bot.settings.var_dir / 'cases.db'}")  # the action server's
    VARS.append((var, str(settings.gateway_port)))
    gw.start()
    gw.wait_ready()
    try:
        yield settings.gateway_url
    finally:
        gw.stop()


def _store(gateway_url):
    from bot.gateway.store import ConversationStore
    port = gateway_url.rsplit(":", 1)[1]
    var = next(p for p in VARS if p[1] == port)[0]
    return ConversationStore(f"sqlite:///{var / 'conversations.db'}")


VARS = []


class Client(ConsoleClient):
    """A console visitor from one address (as the proxy reports it)."""

    def __init__(self, gateway: str, address: str):
        super().__init__(gateway)
        self.http.headers["X-Forwarded-For"] = address


ATTACK = r"""
import concurrent.futures as cf, re, sys, urllib.parse, urllib.request, http.cookiejar
gateway = sys.argv[1]
def bogus(i):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("X-Forwarded-For", f"203.0.113.{i % 32 + 1}")]
    page = opener.open(gateway + "/console/login").read().decode()
    token = re.search(r"name='csrf' value='([^']+)'", page).group(1)
    form = urllib.parse.urlencode({"csrf": token, "name": f"nobody-{i}", "password": "wrong-password"}).encode()
    try:
        opener.open(gateway + "/console/login", form)
    except urllib.error.HTTPError as e:
        return e.code
    return 200
with cf.ThreadPoolExecutor(64) as pool:
    codes = list(pool.map(bogus, range(512)))
print(sorted(set(codes)))
"""


def test_bogus_logins_do_not_stall_the_chat(gateway):
    """Attack: 64 parallel logins for accounts that do not exist, from another process (32 took
    /api/messages from ~40 ms to 4 s when hashing ran on the event loop); now it runs off the loop,
    bounded, and the chat keeps answering."""
    attack = subprocess.Popen([sys.executable, "-c", ATTACK, gateway], stdout=subprocess.PIPE, text=True)
    latencies = []
    while attack.poll() is None or len(latencies) < 5:
        t0 = time.perf_counter()
        status = post_json(gateway + "/api/messages", {"sender": "chat-during-attack", "message": "监理锁怎么申请"})[0]
        latencies.append(time.perf_counter() - t0)
        assert status == 200
    codes = attack.communicate()[0]
    assert attack.returncode == 0 and set(json.loads(codes)) <= {401, 429}, codes
    # measured here: ~0.07 s median, ~0.7 s worst with the fix; ~2 s median, ~2.7 s worst without
    assert statistics.median(latencies) < 0.5 and max(latencies) < 2.0, f"chat stalled: {sorted(latencies)}"


def test_a_login_token_the_client_picked_is_refused(gateway):
    """Attack: the login CSRF check took any cookie/form pair the client chose."""
    s = requests.Session()
    s.cookies.set("hd_login_csrf", "attacker-chosen", path="/console")
    r = s.post(gateway + "/console/login", data={"csrf": "attacker-chosen", "name": ADMIN[0], "password": ADMIN[1]},
               allow_redirects=False)
    assert r.status_code == 403 and "hd_console" not in r.cookies


def test_a_guesser_is_stopped_without_locking_the_owner_out(gateway):
    """Attack: five wrong passwords locked any account, the admin's too, and only real
    accounts locked (which told the attacker which exist)."""
    guesser = Client(gateway, "198.51.100.10")
    answers = [guesser.login(ADMIN[0], f"guess-{i}") for i in range(6)]
    assert [r.status_code for r in answers] == [401] * 5 + [429]
    unknown = Client(gateway, "198.51.100.11")
    other = [unknown.login("no-such-chief", f"guess-{i}") for i in range(6)]
    assert [r.status_code for r in other] == [401] * 5 + [429]
    text = lambda r: re.sub(r"\d+ 分钟", "N 分钟", re.search(r"<p class='flash[^>]*>(.*?)</p>", r.text).group(1))
    assert text(answers[0]) == text(other[0]) and text(answers[-1]) == text(other[-1])  # nothing told apart
    assert "分钟后再试" in text(answers[-1])
    assert Client(gateway, "192.0.2.50").login(*ADMIN).status_code == 302  # the owner, elsewhere


def test_an_account_guessed_at_from_many_places_alerts_the_staff(gateway):
    for i in range(30):
        Client(gateway, f"100.64.{i // 200}.{i % 200 + 1}").login(ADMIN[0], "still-guessing")
    admin = Client(gateway, "192.0.2.51")
    assert admin.login(*ADMIN).status_code == 302
    page = admin.get("/console").text
    assert "可能有人在猜测密码" in page and ADMIN[0] in page
    assert "login_alert" in admin.get("/console/audit").text


def test_without_api_keys_the_api_answers_this_machine_only(gateway):
    """Attack: /api/messages took any sender from anyone; without API_KEYS it is loopback only
    (a request through the trusted proxy counts by its forwarded address)."""
    body = {"sender": "someone-else", "message": "那我现在可以去领了吗"}
    status, text, _ = http("POST", gateway + "/api/messages", json.dumps(body).encode(),
                           headers={"Content-Type": "application/json", "X-Forwarded-For": "203.0.113.9"})
    assert status == 403 and "API_KEYS" in json.dumps(text, ensure_ascii=False)
    assert post_json(gateway + "/api/messages", {"sender": "local", "message": "监理锁怎么申请"})[0] == 200


@pytest.fixture(scope="module")
def keyed(running_bot, tmp_path_factory):
    var = tmp_path_factory.mktemp("keyed")
    assert add_staff(var, ADMIN[0], "admin", ADMIN[1]).returncode == 0
    gw, settings = gateway_beside(running_bot, var, API_KEYS="key-of-client-one,key-of-client-two", TRUSTED_PROXIES="127.0.0.1",
                                  CASES_DB_URL=f"sqlite:///{running_bot.settings.var_dir / 'cases.db'}")  # the action server's
    gw.start()
    gw.wait_ready()
    try:
        yield settings.gateway_url
    finally:
        gw.stop()


def _ask(url, key, sender, message):
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {key}"} if key else {})}
    status, body, _ = http("POST", url + "/api/messages", json.dumps({"sender": sender, "message": message}).encode(),
                           headers=headers)
    return status, json.dumps(body, ensure_ascii=False)


def test_with_api_keys_each_key_has_its_own_senders(keyed):
    """Attack: after one user's lookup, anyone posting as that sender got the stage."""
    assert _ask(keyed, None, "s1", "你好")[0] == 401
    assert _ask(keyed, "not-a-key", "s1", "你好")[0] == 401
    status, text = _ask(keyed, "key-of-client-one", "shared-id", "查询 ZJ2026000101 王小明")
    assert status == 200 and "已公告" in text
    status, text = _ask(keyed, "key-of-client-two", "shared-id", "那我现在可以去领了吗")
    assert status == 200 and "已公告" not in text and "王小明" not in text


def test_a_flood_of_new_sessions_is_limited_and_never_buries_the_console(gateway):
    """Attack: 3,000 anonymous POST /api/sessions were all accepted and listed in the console."""
    made = [http("POST", gateway + "/api/sessions", b"", headers={"X-Forwarded-For": "203.0.113.77"}) for _ in range(40)]
    codes = [status for status, _, _ in made]
    assert codes.count(200) == 30 and codes[30:] == [429] * 10
    assert http("POST", gateway + "/api/sessions", b"", headers={"X-Forwarded-For": "203.0.113.78"})[0] == 200
    admin = Client(gateway, "192.0.2.60")
    assert admin.login(*ADMIN).status_code == 302
    page = admin.get("/console").text
    assert not any(body["session"][:8] in page for status, body, _ in made if status == 200)



def test_the_same_origin_check_does_not_trust_the_host_header(gateway):
    """Attack: Host and Origin both evil.example passed the same-origin check."""
    status, _, _ = http("POST", gateway + "/api/messages", json.dumps({"sender": "x", "message": "你好"}).encode(),
                        headers={"Content-Type": "application/json", "Origin": "http://evil.example",
                                 "Host": "evil.example"})
    assert status == 403
    own = gateway.replace("127.0.0.1", "localhost")
    status, _, _ = http("POST", gateway + "/api/messages", json.dumps({"sender": "x", "message": "你好"}).encode(),
                        headers={"Content-Type": "application/json", "Origin": own})
    assert status == 200


@pytest.mark.parametrize("sender", ["\u202egnp.exe", "staff\u200bspoof", "a\u2066b", "\ufeffx"])
def test_sender_ids_that_spoof_what_staff_see_are_refused(gateway, sender):
    status, body, _ = http("POST", gateway + "/api/messages", json.dumps({"sender": sender, "message": "你好"}).encode(),
                           headers={"Content-Type": "application/json"})
    assert status == 400


def test_session_cookies_are_secure_behind_the_tls_proxy(gateway):
    c = Client(gateway, "192.0.2.70")
    c.http.headers["X-Forwarded-Proto"] = "https"
    page = c.http.get(gateway + "/console/login")
    assert "secure" in page.headers["Set-Cookie"].lower()
    plain = requests.get(gateway + "/console/login")
    assert "secure" not in plain.headers["Set-Cookie"].lower()


def test_an_agent_cannot_hand_back_a_conversation_another_agent_holds(gateway):
    sender = "handoff-" + str(time.time())
    post_json(gateway + "/api/messages", {"sender": sender, "message": "我要转人工"})
    conv = _store(gateway).conversation("api", sender, create=False)
    ann, bob, chief = (Client(gateway, f"192.0.2.8{i}") for i in range(3))
    assert ann.login(*AGENTS[0]).status_code == 302 and bob.login(*AGENTS[1]).status_code == 302
    assert chief.login(*ADMIN).status_code == 302
    assert ann.post(f"/console/c/{conv.id}/take").status_code == 302
    assert bob.post(f"/console/c/{conv.id}/release").status_code == 403
    assert _store(gateway).by_id(conv.id).assigned_to == "ann"
    assert chief.post(f"/console/c/{conv.id}/release").status_code == 302
    assert _store(gateway).by_id(conv.id).status == "bot"



def test_rasas_rest_channel_answers_the_gateway_only(running_bot, gateway):
    """Attack: Rasa's REST webhook took any sender and metadata without authentication, past the
    gateway's limits and record (a 10,000-character message took 2.4 s of Rasa's time)."""
    url = running_bot.settings.rasa_url + "/webhooks/rest/webhook"
    body = json.dumps({"sender": "direct", "message": "监理锁怎么申请", "metadata": {"channel": "web"}}).encode()
    assert http("POST", url, body, headers={"Content-Type": "application/json"})[0] == 403
    assert http("POST", url, body, headers={"Content-Type": "application/json", "X-Helpdesk-Channel-Secret": "guess"})[0] == 403
    secret = {"Content-Type": "application/json", "X-Helpdesk-Channel-Secret": running_bot.settings.channel_secret()}
    huge = json.dumps({"sender": "direct", "message": "注册" * 5000}).encode()
    t0 = time.perf_counter()
    assert http("POST", url, huge, headers=secret)[0] == 413
    assert time.perf_counter() - t0 < 1.0
    assert http("POST", url, body, headers=secret)[0] == 200
    assert post_json(gateway + "/api/messages", {"sender": "through-gateway", "message": "监理锁怎么申请"})[0] == 200


def test_the_normaliser_keeps_no_more_than_the_gateway_allows():
    from bot.normalise import MAX_LENGTH, normalise
    assert len(normalise("注册" * 5000)) <= MAX_LENGTH


def test_a_case_guessed_at_rests_with_its_owner_told_and_the_staff_shown(keyed, running_bot):
    """Attack: five wrong names from fresh senders locked a case for its real owner, silently.
    Now one client making up senders is stopped as a client; a number guessed at from many
    clients rests, its owner is told why and what to do, and the console shows it."""
    from bot.cases import CaseStore
    CaseStore(f"sqlite:///{running_bot.settings.var_dir / 'cases.db'}").import_csv(
        "case_no,name,id_last4,company,procedure,stage,updated_at,note\n"
        "ZJ2026009901,钱多多,4321,测试监理有限公司,转注册,已受理,2026-11-20,\n".encode(), source="security test")

    def ask(sender, name, address=None, number="ZJ2026009901"):
        headers = {"Content-Type": "application/json", "Authorization": "Bearer key-of-client-one",
                   **({"X-Forwarded-For": address} if address else {})}
        body = json.dumps({"sender": sender, "message": f"查询 {number} {name}"}).encode()
        return json.dumps(http("POST", keyed + "/api/messages", body, headers=headers)[1], ensure_ascii=False)

    for i in range(10):  # one address, ten made-up senders, ten numbers
        ask(f"made-up-{i}-{time.time()}", "张三", "203.0.113.200", number=f"ZJ20990099{i:02d}")
    assert "次数过多" in ask(f"made-up-x-{time.time()}", "钱多多", "203.0.113.200")  # that client is stopped
    assert "已受理" in ask("owner-1", "钱多多", "198.51.100.200")  # and nobody else
    for i, name in enumerate(("张三", "李四", "王五", "赵六", "钱七", "孙八", "周九", "吴十", "郑一", "冯二")):
        ask(f"spread-{i}-{time.time()}", name, f"203.0.113.{10 + i}")  # ten guesses at one number from ten places
    owner = ask("owner-2", "钱多多", "198.51.100.201")
    assert "暂停在线查询" in owner and "转人工" in owner and "已受理" not in owner  # rests, and the owner is told
    chief = Client(keyed, "192.0.2.90")
    assert chief.login(*ADMIN).status_code == 302
    assert "ZJ2026009901" in chief.get("/console").text  # the staff see it


def test_connections_that_send_nothing_are_closed(running_bot, tmp_path):
    """Attack: sockets opened and left silent (or headers sent a byte at a time) were kept for
    ever; now closed after GATEWAY_SILENT_TIMEOUT, while a real request is served as before."""
    import socket
    gw, settings = gateway_beside(running_bot, tmp_path, GATEWAY_SILENT_TIMEOUT=2)
    gw.start()
    try:
        gw.wait_ready()
        silent = socket.create_connection(("127.0.0.1", settings.gateway_port))
        slow = socket.create_connection(("127.0.0.1", settings.gateway_port))
        slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # and never the end of the headers
        for s in (silent, slow):
            s.settimeout(10)
            t0 = time.monotonic()
            assert s.recv(1024) == b"", "the server kept a silent connection"
            print("closed after", round(time.monotonic() - t0, 1))
            s.close()
        assert http("GET", settings.gateway_url + "/healthz")[0] == 200
    finally:
        gw.stop()
