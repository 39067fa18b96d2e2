"""Attacks on a running gateway (issue 14), each performed for real; the gateway here runs
behind a pretend HTTPS proxy (TRUSTED_PROXIES=127.0.0.1), so X-Forwarded-For names the client."""
import concurrent.futures as cf
import re
import statistics
import time

import pytest
import requests

from bot import services
from console_helpers import ConsoleClient, add_staff
from gateway_helpers import post_json

ADMIN = ("chief", "chief-password-1")


@pytest.fixture(scope="module")
def gateway(running_bot, tmp_path_factory):
    var = tmp_path_factory.mktemp("secure")
    settings = services.Settings(var_dir=var, rasa_port=running_bot.settings.rasa_port, gateway_port=services.free_port(),
                                 actions_port=running_bot.settings.actions_port)
    assert add_staff(var, *ADMIN[:1], "admin", ADMIN[1]).returncode == 0
    env = settings.environment()
    env["TRUSTED_PROXIES"] = "127.0.0.1"
    gw = services.Process("gateway", [str(services.BIN / "python"), "-m", "bot", "gateway"], env,
                          var / "gateway.log", f"{settings.gateway_url}/healthz").start()
    gw.wait_ready()
    try:
        yield settings.gateway_url
    finally:
        gw.stop()


class Client(ConsoleClient):
    """A console visitor from one address (as the proxy reports it)."""

    def __init__(self, gateway: str, address: str):
        super().__init__(gateway)
        self.http.headers["X-Forwarded-For"] = address


def test_bogus_logins_do_not_stall_the_chat(gateway):
    """Attack: 32 parallel logins for accounts that do not exist. Hashing ran on the event loop
    and took /api/messages from ~40 ms to 4 s; now it runs off the loop, bounded."""
    def bogus(i):
        c = Client(gateway, f"203.0.113.{i % 4 + 1}")
        return c.login(f"nobody-{i}", "wrong-password").status_code

    latencies = []
    with cf.ThreadPoolExecutor(32) as pool:
        logins = [pool.submit(bogus, i) for i in range(128)]
        while not all(f.done() for f in logins):
            t0 = time.perf_counter()
            status = post_json(gateway + "/api/messages", {"sender": "chat-during-attack", "message": "监理锁怎么申请"})[0]
            latencies.append(time.perf_counter() - t0)
            assert status == 200
        codes = [f.result() for f in logins]
    assert set(codes) <= {401, 429}
    assert max(latencies) < 1.5, f"chat stalled: {sorted(latencies)[-3:]}"
    assert statistics.median(latencies) < 0.8


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
