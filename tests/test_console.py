"""The staff console over real HTTP: access control, handoff, cases, learning, statistics."""
import asyncio
import json
import time

import pytest
import requests
import yaml

from bot import services
from bot.console.auth import StaffStore
from bot.console.insights import group
from bot.gateway.app import create_app
from bot.gateway.settings import GatewaySettings
from bot.gateway.store import ConversationStore
from console_helpers import ConsoleClient, add_staff
from gateway_helpers import post_json

ADMIN, AGENT = ("boss", "boss-password-1"), ("amy", "amy-password-1")


@pytest.fixture(scope="module")
def accounts(running_bot):
    var = running_bot.settings.var_dir
    for (name, password), role in ((ADMIN, "admin"), (AGENT, "agent"), (("locky", "locky-password"), "agent")):
        result = add_staff(var, name, role, password)
        assert result.returncode == 0, result.stderr
    return running_bot


@pytest.fixture
def admin(accounts):
    c = ConsoleClient(accounts.gateway)
    assert c.login(*ADMIN).status_code == 302
    return c


@pytest.fixture
def agent(accounts):
    c = ConsoleClient(accounts.gateway)
    assert c.login(*AGENT).status_code == 302
    return c


def store(bot) -> ConversationStore:
    return ConversationStore(f"sqlite:///{bot.settings.var_dir / 'conversations.db'}")


def console_routes():
    app = create_app(GatewaySettings(db_url="sqlite://", rasa_url="http://127.0.0.1:9"))
    for resource in app.router.resources():
        info = resource.get_info()
        path = info.get("path") or info.get("formatter")
        if path and path.startswith("/console") and not path.startswith(("/console/login", "/console/static")):
            for route in resource:
                yield route.method, path.replace("{id}", "x").replace("{case_no}", "ZJ1").replace("{name}", "amy") \
                    .replace("{action}", "disable")


@pytest.mark.parametrize("method, path", sorted(set(console_routes())))
def test_nothing_answers_without_login(accounts, method, path):
    response = requests.request(method, accounts.gateway + path, allow_redirects=False, timeout=10)
    if method == "GET" and not path.startswith(("/console/api", "/console/events")):
        assert response.status_code == 302 and response.headers["Location"].endswith("/console/login")
    else:
        assert response.status_code == 401


def test_passwords_are_salted_slow_hashes(accounts):
    staff = StaffStore(f"sqlite:///{accounts.settings.var_dir / 'conversations.db'}")
    with staff.engine.connect() as conn:
        rows = conn.exec_driver_sql("select name, password from staff").all()
    hashes = {name: pw for name, pw in rows}
    assert all(h.startswith("scrypt$16384$8$1$") for h in hashes.values())
    assert ADMIN[1] not in hashes[ADMIN[0]]
    assert len(set(hashes.values())) == len(hashes)


def test_session_cookie_flags(accounts):
    c = ConsoleClient(accounts.gateway)
    response = c.login(*AGENT)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/console" in cookie


def test_csrf_is_required_on_every_post(agent, admin):
    for path in ("/console/c/nope/take", "/console/cases/import", "/console/unanswered/label", "/console/logout"):
        assert agent.post(path, csrf=False).status_code == 403
        assert agent.post(path, {"csrf": "forged"}, csrf=False).status_code == 403
    assert admin.post("/console/staff", {"name": "x", "role": "agent", "password": "12345678"}, csrf=False).status_code == 403
    # and login itself needs the login page's token
    fresh = requests.Session()
    assert fresh.post(accounts_url(agent) + "/console/login", data={"name": AGENT[0], "password": AGENT[1]},
                      allow_redirects=False).status_code == 403


def accounts_url(client):
    return client.gateway


def test_repeated_failures_stop_that_client(accounts):
    c = ConsoleClient(accounts.gateway)
    for _ in range(5):
        assert "账号或密码错误" in c.login("locky", "wrong-password").text
    response = c.login("locky", "locky-password")
    assert response.status_code == 429 and "分钟后再试" in response.text


def test_agents_cannot_manage_accounts(agent, admin):
    assert agent.get("/console/staff").status_code == 403
    assert agent.get("/console/audit").status_code == 403
    assert agent.post("/console/staff", {"name": "mallory", "role": "admin", "password": "mallory-pass"}).status_code == 403
    assert admin.get("/console/staff").status_code == 200
    made = admin.post("/console/staff", {"name": "newbie", "role": "agent", "password": "newbie-pass-1"})
    assert made.status_code == 200 and "已创建账号 newbie" in made.text
    assert ConsoleClient(admin.gateway).login("newbie", "newbie-pass-1").status_code == 302


def test_asking_for_a_person_and_taking_over(accounts, agent):
    gw = accounts.gateway
    body = post_json(gw + "/api/messages", {"sender": "handoff-1", "message": "我要找人工客服"})[1]
    assert "人工客服" in body[0]["text"] and "88381873" in body[1]["text"]
    s = store(accounts)
    conv = s.conversation("api", "handoff-1", create=False)
    assert s.fresh(conv.id).status == "waiting" and s.fresh(conv.id).handoff_reason == "asked"
    assert f"/console/c/{conv.id}" in agent.get("/console?status=waiting").text
    assert json.loads(agent.get("/console/api/summary").text)["waiting"] >= 1
    assert agent.post(f"/console/c/{conv.id}/take").status_code == 302
    assert s.fresh(conv.id).status == "human" and s.fresh(conv.id).assigned_to == AGENT[0]
    tracker = requests.get(f"{accounts.settings.rasa_url}/conversations/api-handoff-1/tracker",
                           params={"token": accounts.settings.api_token()}, timeout=10).json()
    assert tracker["paused"] is True
    # the bot is quiet; the user's message reaches the agent's page
    assert post_json(gw + "/api/messages", {"sender": "handoff-1", "message": "初始注册要带什么"})[1] == []
    assert "初始注册要带什么" in agent.get(f"/console/c/{conv.id}").text
    assert agent.post(f"/console/c/{conv.id}/reply", {"text": "您好，我是人工客服"}).status_code == 302
    history = s.history(conv.id)
    assert history[-1]["direction"] == "agent" and history[-1]["agent"] == AGENT[0]
    assert agent.post(f"/console/c/{conv.id}/release").status_code == 302
    assert s.fresh(conv.id).status == "bot"
    assert "一寸照" in post_json(gw + "/api/messages", {"sender": "handoff-1", "message": "初始注册要带什么"})[1][0]["text"]


def test_two_failures_in_a_row_go_to_the_queue(accounts):
    gw = accounts.gateway
    for text in ("啊啊啊注册吧啦吧啦", "注册哦哦哦咿呀咿呀"):
        body = post_json(gw + "/api/messages", {"sender": "confused-1", "message": text})[1]
    assert any("已为您转接人工客服" in (m.get("text") or "") for m in body)
    s = store(accounts)
    conv = s.conversation("api", "confused-1", create=False)
    assert s.fresh(conv.id).status == "waiting" and s.fresh(conv.id).handoff_reason == "failed"


def test_agent_reply_reaches_the_web_widget_live(accounts, agent):
    import aiohttp

    async def scenario():
        url = accounts.gateway.replace("http", "ws", 1) + "/ws"
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(url) as ws:
                session = json.loads((await ws.receive()).data)["session"]
                await ws.send_str(json.dumps({"type": "message", "id": "h1", "text": "转人工"}))
                while json.loads((await ws.receive()).data)["type"] != "bot":
                    pass
                conv = store(accounts).conversation("web", session, create=False)
                await asyncio.get_running_loop().run_in_executor(None, lambda: agent.post(f"/console/c/{conv.id}/take"))
                await asyncio.get_running_loop().run_in_executor(
                    None, lambda: agent.post(f"/console/c/{conv.id}/reply", {"text": "您好，请问需要什么帮助？"}))
                while True:
                    event = json.loads((await asyncio.wait_for(ws.receive(), 10)).data)
                    if event["type"] == "agent":
                        return event
    event = asyncio.run(scenario())
    assert event["text"] == "您好，请问需要什么帮助？" and event["agent"] == AGENT[0]


def test_reply_needs_the_conversation_taken(accounts, agent):
    post_json(accounts.gateway + "/api/messages", {"sender": "not-taken", "message": "你好"})
    conv = store(accounts).conversation("api", "not-taken", create=False)
    assert agent.post(f"/console/c/{conv.id}/reply", {"text": "hi"}).status_code == 409


def test_live_events_stream(accounts, agent):
    with agent.http.get(accounts.gateway + "/console/events", stream=True, timeout=15) as stream:
        lines = (line.decode("utf-8") for line in stream.iter_lines())
        assert next(lines).startswith(":")
        post_json(accounts.gateway + "/api/messages", {"sender": "sse-1", "message": "监理锁怎么申请"})
        events = []
        for line in lines:
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
                if events[-1]["type"] == "bot":
                    break
    assert [e["type"] for e in events][:2] == ["user", "bot"] and "88381756" in events[1]["messages"][0]["text"]


def test_cases_search_stage_change_and_import(admin, accounts):
    page = admin.get("/console/cases?q=孙丽")
    assert "ZJ2026100004" in page.text
    assert admin.post("/console/cases/ZJ2026100010/stage", {"stage": "已公告", "note": "名单已公布"}).status_code == 302
    assert "已公告" in admin.get("/console/cases/ZJ2026100010").text
    assert "已公告" in accounts.text("查询进度，申请编号ZJ2026100010，姓名陈十")
    bad = b"case_no,name,id_last4,company,procedure,stage,updated_at,note\nZJ2026100006,x,1234,x,initial,done,x,\n"
    response = admin.post("/console/cases/import", files={"file": ("bad.csv", bad, "text/csv")})
    assert "导入失败" in response.text and "第2行" in response.text
    good = "case_no,name,id_last4,company,procedure,stage,updated_at,note\nZJ2026200001,钱七,7777,x,初始注册,已受理,2026-11-23,\n"
    response = admin.post("/console/cases/import", files={"file": ("good.csv", good.encode("gbk"), "text/csv")})
    assert "新增 1" in response.text
    log = admin.get("/console/audit").text
    for action in ("stage_change", "import", "login"):
        assert action in log


def test_unanswered_questions_are_grouped_labelled_and_exported(accounts, admin):
    for i, text in enumerate(["注册开发票的事", "注册开发票的事情", "注册开发票的事儿"]):
        post_json(accounts.gateway + "/api/messages", {"sender": f"loan-{i}", "message": text})
    page = admin.get("/console/unanswered").text
    assert "注册开发票的事" in page and "3 个对话" in page
    assert admin.post("/console/unanswered/label", {"intent": "out_of_scope",
                                                    "texts": ["注册开发票的事", "注册开发票的事情"]}).status_code == 302
    assert "已标注：out_of_scope" in admin.get("/console/unanswered").text
    exported = yaml.safe_load(admin.get("/console/unanswered/export.yml").text)
    examples = {b["intent"]: b["examples"] for b in exported["nlu"]}
    assert "- 注册开发票的事情" in examples["out_of_scope"]
    assert admin.post("/console/unanswered/label", {"intent": "no_such_intent", "texts": ["x"]}).status_code == 400


def test_grouping_by_similar_text():
    questions = [{"text": t, "conversation_id": str(i), "at": i} for i, t in enumerate(
        ["怎么开发票", "怎么开发票呀", "发票怎么开", "天气怎么样", "今天天气怎么样"])]
    groups = group(questions, {})
    texts = [sorted(g.texts) for g in groups]
    assert sorted(["怎么开发票", "怎么开发票呀"]) in texts
    assert any("今天天气怎么样" in t and "天气怎么样" in t for t in texts)


def test_statistics_page(agent):
    page = agent.get("/console/stats").text
    assert "未解答率" in page and "chart.umd.min.js" in page and "stats-data" in page
    assert agent.get("/console/static/chart.umd.min.js").status_code == 200


def test_unattended_conversation_goes_back_to_the_bot(running_bot, tmp_path):
    settings = services.Settings(var_dir=tmp_path, rasa_port=running_bot.settings.rasa_port,
                                 actions_port=running_bot.settings.actions_port, gateway_port=services.free_port())
    env = settings.environment()
    env.update(HANDOFF_TIMEOUT="1", HANDOFF_CHECK_EVERY="0.3", RASA_API_TOKEN=running_bot.settings.api_token())
    gw = services.Process("gateway", [str(services.BIN / "python"), "-m", "bot", "gateway"], env,
                          tmp_path / "gw.log", f"{settings.gateway_url}/healthz").start()
    gw.wait_ready()
    try:
        post_json(settings.gateway_url + "/api/messages", {"sender": "lonely", "message": "转人工"})
        s = ConversationStore(f"sqlite:///{tmp_path / 'conversations.db'}")
        conv = s.conversation("api", "lonely", create=False)
        assert s.fresh(conv.id).status == "waiting"
        deadline = time.monotonic() + 10
        while "转回智能助手" not in s.history(conv.id)[-1]["text"] and time.monotonic() < deadline:
            time.sleep(0.2)
        assert s.fresh(conv.id).status == "bot"
        assert "转回智能助手" in s.history(conv.id)[-1]["text"]
    finally:
        gw.stop()
