"""Handlers of the staff console. Routes are wired in bot/gateway/app.py; access control is
the `console_guard` middleware: no console page, API or stream answers without a session,
every POST needs the session's CSRF token, and account pages are for admins only."""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
import time
from pathlib import Path
from typing import List, Optional, Tuple

import yaml
from aiohttp import web

from bot.cases import CaseStore, ImportFailed
from bot.console import pages
from bot.console.auth import LoginFailed, Session, StaffStore
from bot.console.insights import Insights
from bot.console.limits import Attempts, Busy, PasswordChecks
from bot.gateway.clients import client_address
from bot.gateway.service import CONSOLE, ConversationService

STATIC = Path(__file__).resolve().parent / "static"
COOKIE = "hd_console"
LOGIN_CSRF = "hd_login_csrf"
ADMIN_ONLY = ("/console/staff", "/console/audit")
OPEN = ("/console/login", "/console/static/")
CANNED = yaml.safe_load((Path(__file__).resolve().parent / "canned.yml").read_text(encoding="utf-8"))["canned"]
RELEASE_NOTE = "人工客服已结束本次服务，智能助手将继续为您解答。"
TIMEOUT_NOTE = "人工客服暂时没有回复，已为您转回智能助手，您可以继续提问。"


LOGIN_WINDOW = 15 * 60  # seconds over which failed logins are counted
FAILURES_PER_CLIENT = 20  # a client guessing at any accounts
FAILURES_PER_PAIR = 5  # a client guessing at one account
FAILURES_ALERT = 30  # one account guessed at from anywhere: the staff are told (the account is not locked)
LOGIN_TOKEN_AGE = 3600


class Console:
    """What the console handlers share, kept on the app (no module globals)."""

    def __init__(self, service: ConversationService, staff: StaffStore, cases: CaseStore, trusted_proxies=()):
        self.service, self.staff, self.cases = service, staff, cases
        self.insights = Insights(service.store.engine)
        self.trusted_proxies = tuple(trusted_proxies)
        self.failures = Attempts(LOGIN_WINDOW)
        self.checks = PasswordChecks()
        self.alerts: List[Tuple[float, str]] = []  # (when, text) for admins, newest last
        self._login_key = staff.secret("login_csrf")

    # -- login tokens: issued by us, so a client cannot pick its own cookie/form pair ------------

    def login_token(self) -> str:
        nonce, issued = secrets.token_urlsafe(12), str(int(time.time()))
        return f"{nonce}.{issued}.{self._mac(nonce, issued)}"

    def login_token_valid(self, token: str) -> bool:
        try:
            nonce, issued, mac = token.split(".")
            fresh = 0 <= time.time() - int(issued) <= LOGIN_TOKEN_AGE
        except ValueError:
            return False
        return fresh and hmac.compare_digest(mac, self._mac(nonce, issued))

    def _mac(self, nonce: str, issued: str) -> str:
        return hmac.new(self._login_key, f"{nonce}.{issued}".encode(), hashlib.sha256).hexdigest()[:32]

    # -- failed logins -------------------------------------------------------------------------

    def login_refused(self, client: str, name: str) -> Optional[str]:
        """Why this client may not try now, the same words whether the account exists or not."""
        for key, limit in ((f"client:{client}", FAILURES_PER_CLIENT), (f"pair:{client}:{name}", FAILURES_PER_PAIR)):
            if self.failures.count(key) >= limit:
                minutes = int(self.failures.retry_after(key) // 60) + 1
                return f"登录失败次数过多，请 {minutes} 分钟后再试（其他电脑上的登录不受影响）。"
        return None

    def login_failed(self, client: str, name: str) -> None:
        self.failures.add(f"client:{client}")
        self.failures.add(f"pair:{client}:{name}")
        if self.failures.add(f"account:{name}") == FAILURES_ALERT:
            text = f"账号“{name}”在 {LOGIN_WINDOW // 60} 分钟内登录失败 {FAILURES_ALERT} 次，可能有人在猜测密码；账号未被锁定，请留意。"
            self.alerts.append((time.time(), text))
            self.alerts = self.alerts[-20:]
            self.staff.record("system", "login_alert", name, text)

    def recent_alerts(self, hours: float = 24) -> List[str]:
        return [text for at, text in self.alerts if at > time.time() - hours * 3600]

    @property
    def store(self):
        return self.service.store


def console(request: web.Request) -> Console:
    return request.app["console"]


def session(request: web.Request) -> Session:
    return request["session"]


def _render(request: web.Request, html: str, status: int = 200) -> web.Response:
    return web.Response(text=html, content_type="text/html", status=status,
                        headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY",
                                 "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'"})


def _common(request: web.Request) -> dict:
    s = session(request)
    return {"who": s.staff, "csrf": s.csrf, "waiting": console(request).store.waiting_count()}


# --- access control -----------------------------------------------------------------------------


@web.middleware
async def console_guard(request: web.Request, handler):
    path = request.path
    if not path.startswith("/console") or path.startswith(OPEN):
        return await handler(request)
    s = console(request).staff.session(request.cookies.get(COOKIE, ""))
    if s is None:
        if request.method == "GET" and not path.startswith(("/console/api", "/console/events")):
            raise web.HTTPFound("/console/login")
        return web.json_response({"error": "请先登录"}, status=401)
    if request.method == "POST":
        sent = request.headers.get("X-CSRF-Token", "")
        if not sent and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            sent = (await request.post()).get("csrf", "")
        if not hmac.compare_digest(str(sent), s.csrf):
            return web.json_response({"error": "请求已过期或来源不明（CSRF 校验失败），请刷新页面后重试"}, status=403)
    if path.startswith(ADMIN_ONLY) and not s.staff.is_admin:
        return _render(request, pages.layout("无权限", pages.flash("只有管理员可以管理账号和查看审计日志"), s.staff, s.csrf), 403)
    request["session"] = s
    return await handler(request)


def _https(request: web.Request) -> bool:
    """The visitor's connection is HTTPS: ours, or the trusted proxy's (X-Forwarded-Proto), or
    COOKIE_SECURE says so; then the session cookies are Secure."""
    settings = request.app["settings"]
    proxied = request.remote in console(request).trusted_proxies and \
        request.headers.get("X-Forwarded-Proto", "").lower() == "https"
    return request.secure or proxied or settings.cookie_secure


def _login_form(request: web.Request, error: str = "", name: str = "", status: int = 200) -> web.Response:
    """The login page with a token we issued, also set as the cookie it must match."""
    token = console(request).login_token()
    response = _render(request, pages.login(token, error, name) if error or name else pages.login(token), status)
    response.set_cookie(LOGIN_CSRF, token, httponly=True, samesite="Strict", path="/console", secure=_https(request))
    return response


async def login_page(request: web.Request) -> web.Response:
    return _login_form(request)


async def login(request: web.Request) -> web.Response:
    """Checked in this order, cheapest first: our token (cookie and form alike), this client's
    failures, then the password, hashed off the event loop (429 at once when that is busy)."""
    form = await request.post()
    c = console(request)
    expected, name = request.cookies.get(LOGIN_CSRF, ""), str(form.get("name", "")).strip()[:64]
    if not c.login_token_valid(expected) or not hmac.compare_digest(str(form.get("csrf", "")), expected):
        return _login_form(request, "页面已过期，请重新登录", status=403)
    client = client_address(request, c.trusted_proxies)
    refused = c.login_refused(client, name)
    if refused:
        return _login_form(request, refused, name, status=429)
    try:
        who = await c.checks.run(c.staff.login, name, str(form.get("password", ""))[:1024])
    except Busy:
        return _login_form(request, "同时登录的人较多，请稍后再试", name, status=429)
    except LoginFailed as e:
        c.login_failed(client, name)
        return _login_form(request, str(e), name, status=401)
    c.failures.clear(f"pair:{client}:{name}")
    token, _ = c.staff.start_session(who)
    c.staff.record(who.name, "login")
    response = web.HTTPFound("/console")
    response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", path="/console", secure=_https(request),
                        max_age=12 * 3600)
    response.del_cookie(LOGIN_CSRF, path="/console")
    raise response


async def logout(request: web.Request) -> web.Response:
    console(request).staff.end_session(request.cookies.get(COOKIE, ""))
    response = web.HTTPFound("/console/login")
    response.del_cookie(COOKIE, path="/console")
    raise response


async def static(request: web.Request) -> web.FileResponse:
    name = request.match_info["name"]
    path = STATIC / name
    if "/" in name or not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers={"Cache-Control": "no-cache"})


# --- conversations and handoff --------------------------------------------------------------------


async def conversation_list(request: web.Request) -> web.Response:
    q = request.query
    who = session(request).staff
    filters = {"channel": q.get("channel") or None, "day": q.get("day") or None, "fallback": q.get("fallback") == "1",
               "status": q.get("status") or None, "mine": q.get("mine") == "1"}
    try:
        rows = console(request).store.search(channel=filters["channel"], day=filters["day"], fallback=filters["fallback"],
                                             status=filters["status"], assigned_to=who.name if filters["mine"] else None)
    except ValueError:
        rows = []
    alerts = console(request).recent_alerts() if who.is_admin else []
    for number, guesses, until in console(request).cases.resting_numbers():  # probing of one case number
        alerts.append(f"申请编号 {number} 近 15 分钟内被用 {guesses} 种不匹配的信息查询，在线查询已暂停至 "
                      f"{time.strftime('%H:%M', time.localtime(until))}；申请人本人转人工时，请协助核实后告知进度。")
    return _render(request, pages.conversations(rows, filters, alerts=alerts, **_common(request)))


def _conversation(request: web.Request):
    conv = console(request).store.fresh(request.match_info["id"])
    if conv is None:
        raise web.HTTPNotFound()
    return conv


async def conversation_page(request: web.Request) -> web.Response:
    conv = _conversation(request)
    history = console(request).store.history(conv.id)
    return _render(request, pages.conversation(conv, history, CANNED, **_common(request)))


async def take_over(request: web.Request) -> web.Response:
    c, conv, who = console(request), _conversation(request), session(request).staff
    if await c.service.take_over(conv, who.name):
        c.staff.record(who.name, "take_over", conv.id)
    raise web.HTTPFound(f"/console/c/{conv.id}")


async def release(request: web.Request) -> web.Response:
    c, conv, who = console(request), _conversation(request), session(request).staff
    if conv.status == "human" and conv.assigned_to not in (None, who.name) and not who.is_admin:
        return web.json_response({"error": f"这个对话由 {conv.assigned_to} 接管中，只有本人或管理员可以交回机器人"}, status=403)
    if await c.service.hand_back(conv, RELEASE_NOTE):
        c.staff.record(who.name, "hand_back", conv.id)
    raise web.HTTPFound(f"/console/c/{conv.id}")


async def reply(request: web.Request) -> web.Response:
    c, conv, who = console(request), _conversation(request), session(request).staff
    text = str((await request.post()).get("text", ""))
    if conv.status != "human" or conv.assigned_to != who.name:
        return web.json_response({"error": "请先接管这个对话"}, status=409)
    try:
        await c.service.agent_reply(conv, who.name, text)
    except ValueError as e:
        return web.json_response({"error": str(e)}, status=400)
    c.staff.record(who.name, "reply", conv.id, text[:200])
    if request.headers.get("X-CSRF-Token"):
        return web.json_response({"ok": True})
    raise web.HTTPFound(f"/console/c/{conv.id}")


async def summary(request: web.Request) -> web.Response:
    return web.json_response({"waiting": console(request).store.waiting_count()})


async def events(request: web.Request) -> web.StreamResponse:
    """Server-sent events: every new message and status change, for live pages."""
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store",
                                           "X-Accel-Buffering": "no"})
    await response.prepare(request)
    queue: asyncio.Queue = asyncio.Queue(maxsize=500)

    async def push(event: dict) -> None:
        if not queue.full():
            queue.put_nowait(event)

    hub = console(request).service.hub
    hub.subscribe(CONSOLE, push)
    try:
        await response.write(b": connected\n\n")
        while True:
            try:
                event = await asyncio.wait_for(queue.get(), 15)
            except asyncio.TimeoutError:
                await response.write(b": keep-alive\n\n")
                continue
            await response.write(f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode("utf-8"))
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        hub.unsubscribe(CONSOLE, push)
    return response


# --- cases ------------------------------------------------------------------------------------------


def _stages(request) -> list:
    return [s.name for s in console(request).cases.kb.stages]


async def case_list(request: web.Request, message: Optional[str] = None, kind: str = "ok") -> web.Response:
    q = request.query
    rows = console(request).cases.list(stage=q.get("stage") or None, search=q.get("q") or None, limit=200)
    return _render(request, pages.cases(rows, q.get("q", ""), q.get("stage", ""), _stages(request), message=message,
                                        kind=kind, **_common(request)))


async def case_page(request: web.Request) -> web.Response:
    c = console(request).cases
    case = c.get(request.match_info["case_no"])
    if case is None:
        raise web.HTTPNotFound()
    return _render(request, pages.case(case, c.history_of(case.case_no), _stages(request), message=request.query.get("ok"),
                                       **_common(request)))


async def change_stage(request: web.Request) -> web.Response:
    c, who = console(request), session(request).staff
    form = await request.post()
    try:
        case = c.cases.set_stage(request.match_info["case_no"], str(form.get("stage", "")), str(form.get("note", ""))[:500],
                                 source=f"console:{who.name}")
    except KeyError:
        raise web.HTTPNotFound()
    except ValueError as e:
        return web.json_response({"error": str(e)}, status=400)
    c.staff.record(who.name, "stage_change", case.case_no, f"{case.stage} {case.note}".strip())
    raise web.HTTPFound(f"/console/cases/{case.case_no}?ok=已改为{case.stage}")


async def import_cases(request: web.Request) -> web.Response:
    c, who = console(request), session(request).staff
    upload = (await request.post()).get("file")
    if upload is None or not hasattr(upload, "file"):
        return await case_list(request, "请选择要导入的 CSV 文件", "error")
    data = upload.file.read()
    try:  # in a worker thread: a big import must not stall the widget and WeChat
        result = await asyncio.get_running_loop().run_in_executor(
            None, lambda: c.cases.import_csv(data, source=f"console:{who.name}:{upload.filename}"))
    except ImportFailed as e:
        return await case_list(request, f"导入失败，案件库未做任何修改：\n{e}", "error")
    detail = f"新增 {result.added}，更新 {result.updated}（阶段变化 {result.stage_changes}），未变 {result.unchanged}"
    c.staff.record(who.name, "import", upload.filename or "", detail)
    return await case_list(request, f"导入完成：{detail}")


# --- learning and statistics ---------------------------------------------------------------------------


async def unanswered_page(request: web.Request) -> web.Response:
    intents = request.app["intents"]
    return _render(request, pages.unanswered(console(request).insights.groups(), intents, **_common(request)))


async def label(request: web.Request) -> web.Response:
    c, who = console(request), session(request).staff
    form = await request.post()
    intent = str(form.get("intent", ""))
    texts = [str(t) for t in form.getall("texts", [])][:100]
    if intent not in request.app["intents"] or not texts:
        return web.json_response({"error": "请选择有效的意图"}, status=400)
    c.insights.label(texts, intent, who.name)
    c.staff.record(who.name, "label", intent, " / ".join(texts)[:500])
    raise web.HTTPFound("/console/unanswered")


async def export(request: web.Request) -> web.Response:
    c = console(request)
    c.staff.record(session(request).staff.name, "export_nlu")
    return web.Response(text=c.insights.export_yaml(), content_type="application/x-yaml",
                        headers={"Content-Disposition": "attachment; filename=unanswered_nlu.yml"})


async def stats_page(request: web.Request) -> web.Response:
    return _render(request, pages.stats(console(request).insights.stats(), **_common(request)))


# --- accounts (admins) ----------------------------------------------------------------------------------


async def staff_page(request: web.Request, message: Optional[str] = None, kind: str = "ok") -> web.Response:
    return _render(request, pages.staff_page(console(request).staff.list(), message=message, kind=kind, **_common(request)))


async def add_staff(request: web.Request) -> web.Response:
    c, who = console(request), session(request).staff
    form = await request.post()
    try:
        added = c.staff.add(str(form.get("name", "")), str(form.get("role", "")), str(form.get("password", "")))
    except ValueError as e:
        return await staff_page(request, str(e), "error")
    c.staff.record(who.name, "staff_add", added.name, added.role)
    return await staff_page(request, f"已创建账号 {added.name}")


async def set_staff_active(request: web.Request) -> web.Response:
    c, who = console(request), session(request).staff
    name, action = request.match_info["name"], request.match_info["action"]
    if name == who.name:
        return await staff_page(request, "不能停用自己的账号", "error")
    c.staff.set_active(name, action == "enable")
    c.staff.record(who.name, f"staff_{action}", name)
    raise web.HTTPFound("/console/staff")


async def audit_page(request: web.Request) -> web.Response:
    return _render(request, pages.audit_page(console(request).staff.audit_log(), **_common(request)))


# --- unattended conversations go back to the bot ------------------------------------------------------------


async def return_unattended(app: web.Application, every: float = 15.0) -> None:
    import time
    c: Console = app["console"]
    timeout = app["settings"].handoff_timeout
    while True:
        await asyncio.sleep(every)
        try:
            for conv in c.store.unattended(time.time() - timeout):
                if await c.service.hand_back(conv, TIMEOUT_NOTE):
                    c.staff.record("system", "timeout_hand_back", conv.id)
        except Exception:  # never let the loop die
            import logging
            logging.getLogger(__name__).exception("returning unattended conversations failed")


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get("/console/login", login_page)
    r.add_post("/console/login", login)
    r.add_post("/console/logout", logout)
    r.add_get("/console/static/{name}", static)
    r.add_get("/console", conversation_list)
    r.add_get("/console/c/{id}", conversation_page)
    r.add_post("/console/c/{id}/take", take_over)
    r.add_post("/console/c/{id}/release", release)
    r.add_post("/console/c/{id}/reply", reply)
    r.add_get("/console/api/summary", summary)
    r.add_get("/console/events", events)
    r.add_get("/console/cases", case_list)
    r.add_post("/console/cases/import", import_cases)
    r.add_get("/console/cases/{case_no}", case_page)
    r.add_post("/console/cases/{case_no}/stage", change_stage)
    r.add_get("/console/unanswered", unanswered_page)
    r.add_post("/console/unanswered/label", label)
    r.add_get("/console/unanswered/export.yml", export)
    r.add_get("/console/stats", stats_page)
    r.add_get("/console/staff", staff_page)
    r.add_post("/console/staff", add_staff)
    r.add_post("/console/staff/{name}/{action:enable|disable}", set_staff_active)
    r.add_get("/console/audit", audit_page)
