"""HTML of the console pages. Every value goes through markupsafe, so text from users,
staff or the case store is always escaped."""
from __future__ import annotations

import json
import time
from typing import Iterable, List, Optional

from markupsafe import Markup

from bot.console.auth import Staff
from bot.routes import LABELS as ROUTE_LABELS

CHANNELS = {"web": "网页", "wechat": "微信", "api": "接口"}
STATUS = {"bot": "机器人", "waiting": "等待人工", "human": "人工处理中", None: "机器人"}
DIRECTION = {"in": "用户", "out": "机器人", "agent": "人工", "system": "系统"}


def when(ts: Optional[float]) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts)) if ts else ""


def layout(title: str, body: Markup, who: Optional[Staff], csrf: str = "", waiting: int = 0,
           scripts: Iterable[str] = ()) -> str:
    nav = Markup("")
    if who:
        links = [("/console", "对话"), ("/console/cases", "案件"), ("/console/unanswered", "未解答问题"), ("/console/stats", "统计")]
        if who.is_admin:
            links += [("/console/staff", "账号"), ("/console/audit", "审计日志")]
        nav = Markup("<nav aria-label='控制台'>{links}<a class='waiting' href='/console?status=waiting' id='waiting-badge'>"
                     "等待人工：<b>{waiting}</b></a><span class='who'>{name}（{role}）</span>"
                     "<form method='post' action='/console/logout' class='inline'>{csrf_field}<button>退出</button></form></nav>").format(
            links=Markup("").join(Markup("<a href='{}'>{}</a>").format(href, label) for href, label in links),
            waiting=waiting, name=who.name, role="管理员" if who.is_admin else "客服", csrf_field=csrf_input(csrf))
    script_tags = Markup("").join(Markup("<script src='{}' defer></script>").format(s) for s in scripts)
    return str(Markup("""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="csrf" content="{csrf}">
<title>{title} · 注册监理工程师咨询控制台</title><link rel="stylesheet" href="/console/static/console.css">{scripts}</head>
<body><header><h1>注册监理工程师咨询控制台</h1>{nav}</header><main><h2>{title}</h2>{body}</main></body></html>""").format(
        csrf=csrf, title=title, nav=nav, body=body, scripts=script_tags))


def csrf_input(csrf: str) -> Markup:
    return Markup("<input type='hidden' name='csrf' value='{}'>").format(csrf)


def flash(message: Optional[str], kind: str = "error") -> Markup:
    return Markup("<p class='flash {}' role='alert'>{}</p>").format(kind, message) if message else Markup("")


def login(csrf: str, error: Optional[str] = None, name: str = "") -> str:
    body = Markup("""{flash}<form method="post" action="/console/login" class="card narrow">{csrf}
<label>账号 <input name="name" value="{name}" autocomplete="username" required autofocus></label>
<label>密码 <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">登录</button></form>""").format(flash=flash(error), csrf=csrf_input(csrf), name=name)
    return layout("登录", body, None, csrf)


def conversations(rows: List[dict], filters: dict, who: Staff, csrf: str, waiting: int, alerts: Iterable[str] = ()) -> str:
    options = Markup("").join(Markup("<option value='{}'{}>{}</option>").format(k, Markup(" selected") if filters.get("channel") == k else "", v)
                              for k, v in [("", "全部渠道"), *CHANNELS.items()])
    check = lambda key: Markup(" checked") if filters.get(key) else ""
    form = Markup("""<form class="filters" method="get" action="/console">
<label>渠道 <select name="channel">{options}</select></label>
<label>日期 <input type="date" name="day" value="{day}"></label>
<label><input type="checkbox" name="fallback" value="1"{fb}> 含未解答</label>
<label><input type="checkbox" name="status" value="waiting"{wt}> 等待人工</label>
<label><input type="checkbox" name="mine" value="1"{mine}> 我处理的</label>
<button type="submit">筛选</button></form>""").format(options=options, day=filters.get("day") or "", fb=check("fallback"),
                                                    wt=Markup(" checked") if filters.get("status") == "waiting" else "", mine=check("mine"))
    body_rows = Markup("").join(Markup(
        "<tr class='{cls}'><td><a href='/console/c/{id}'>{when}</a></td><td>{channel}</td><td>{user}</td><td>{status}</td>"
        "<td>{agent}</td><td>{count}</td><td class='last'>{last}</td></tr>").format(
            cls=r.get("status") or "bot", id=r["id"], when=when(r["last_at"]), channel=CHANNELS.get(r["channel"], r["channel"]),
            user=_short(r["user_id"]), status=STATUS.get(r.get("status"), r.get("status")), agent=r.get("assigned_to") or "",
            count=r["messages"], last=_short(r["last_text"], 40)) for r in rows)
    table = Markup("""<table id="conversations"><thead><tr><th>最近消息</th><th>渠道</th><th>用户</th><th>状态</th>
<th>客服</th><th>消息数</th><th>最后一条</th></tr></thead><tbody>{rows}</tbody></table>""").format(
        rows=body_rows or Markup("<tr><td colspan='7'>没有符合条件的对话</td></tr>"))
    warnings = Markup("").join(flash(text, "warning") for text in alerts)  # 账号 boss 被反复尝试登录
    return layout("对话", warnings + form + table, who, csrf, waiting, scripts=["/console/static/console.js"])


def conversation(conv, history: List[dict], canned: List[str], who: Staff, csrf: str, waiting: int) -> str:
    status = conv.status or "bot"
    actions = Markup("")
    if status in ("bot", "waiting"):
        actions += Markup("<form method='post' action='/console/c/{id}/take' class='inline'>{c}<button>接管对话</button></form>").format(id=conv.id, c=csrf_input(csrf))
    if status in ("waiting", "human"):
        actions += Markup("<form method='post' action='/console/c/{id}/release' class='inline'>{c}<button>交回机器人</button></form>").format(id=conv.id, c=csrf_input(csrf))
    reply = Markup("")
    if status == "human":
        canned_options = Markup("").join(Markup("<option>{}</option>").format(c) for c in canned)
        reply = Markup("""<form method="post" action="/console/c/{id}/reply" class="reply" id="reply-form">{c}
<label>常用回复 <select id="canned"><option value="">（选择后可修改）</option>{options}</select></label>
<label>回复用户 <textarea name="text" id="reply-text" rows="3" maxlength="1000" required></textarea></label>
<button type="submit">发送</button></form>""").format(id=conv.id, c=csrf_input(csrf), options=canned_options)
    info = Markup("<p class='meta' id='conv-status' data-status='{s}'>渠道：{ch} · 用户：{u} · 状态：<b>{st}</b>{agent}{reason}</p>").format(
        s=status, ch=CHANNELS.get(conv.channel, conv.channel), u=conv.user_id, st=STATUS.get(status, status),
        agent=Markup(" · 客服：{}").format(conv.assigned_to) if conv.assigned_to else "",
        reason=Markup(" · 原因：{}").format({"asked": "用户要求人工", "failed": "连续两次未能解答"}.get(conv.handoff_reason, conv.handoff_reason))
        if conv.handoff_reason and status == "waiting" else "")
    items = Markup("").join(message_item(m) for m in history)
    body = info + actions + Markup("<ol class='messages' id='messages' role='log' aria-live='polite' data-conversation='{}'>{}</ol>").format(conv.id, items) + reply
    return layout("对话详情", body, who, csrf, waiting, scripts=["/console/static/console.js"])


def message_item(m: dict) -> Markup:
    direction = m.get("direction", "out")
    label = DIRECTION.get(direction, direction)
    if direction == "agent" and m.get("agent"):
        label = f"人工（{m['agent']}）"
    nlu = Markup("")
    if direction == "out" and m.get("intent"):
        route = ROUTE_LABELS.get(m.get("route") or "", "")
        nlu = Markup("<span class='nlu'>意图 {} · 置信度 {:.2f}{}{}</span>").format(
            m["intent"], float(m.get("confidence") or 0), f" · 答复：{route}" if route else "",
            Markup(" · <b>未解答</b>") if m.get("fallback") else "")
    text = m.get("display") or m.get("text") or ""
    if not text and m.get("custom"):
        text = "[" + str(m["custom"].get("title") or m["custom"].get("type", "卡片")) + "]"
    buttons = Markup("")
    if m.get("buttons"):
        buttons = Markup("<span class='buttons'>{}</span>").format(" | ".join(b.get("title", "") for b in m["buttons"]))
    return Markup("<li class='{d}'><span class='who'>{label}</span><time>{at}</time>{nlu}<div class='text'>{text}</div>{buttons}</li>").format(
        d=direction, label=label, at=when(m.get("at")), nlu=nlu, text=text, buttons=buttons)


def cases(rows, search: str, stage: str, stages: List[str], who: Staff, csrf: str, waiting: int,
          message: Optional[str] = None, kind: str = "ok") -> str:
    stage_options = Markup("").join(Markup("<option value='{v}'{s}>{t}</option>").format(v=s, s=Markup(" selected") if s == stage else "", t=s or "全部阶段")
                                    for s in ["", *stages])
    body = flash(message, kind) + Markup("""<form class="filters" method="get" action="/console/cases">
<label>编号或姓名 <input name="q" value="{q}"></label><label>阶段 <select name="stage">{opts}</select></label>
<button>查找</button></form>
<form class="card" method="post" action="/console/cases/import" enctype="multipart/form-data">{c}
<label>导入 CSV（表头 case_no,name,id_last4,company,procedure,stage,updated_at,note；全部行无误才导入）
<input type="file" name="file" accept=".csv,text/csv" required></label><button>导入</button></form>""").format(
        q=search, opts=stage_options, c=csrf_input(csrf))
    trs = Markup("").join(Markup("<tr><td><a href='/console/cases/{n}'>{n}</a></td><td>{name}</td><td>{p}</td><td>{s}</td><td>{u}</td><td>{co}</td></tr>").format(
        n=c.case_no, name=c.name, p=c.procedure, s=c.stage, u=c.updated_at, co=c.company) for c in rows)
    body += Markup("<table><thead><tr><th>申请编号</th><th>姓名</th><th>业务</th><th>阶段</th><th>更新</th><th>单位</th></tr></thead><tbody>{}</tbody></table>").format(
        trs or Markup("<tr><td colspan='6'>没有案件</td></tr>"))
    return layout("案件", body, who, csrf, waiting)


def case(c, history: List[dict], stages: List[str], who: Staff, csrf: str, waiting: int, message: Optional[str] = None) -> str:
    details = Markup("<dl class='card'>{}</dl>").format(Markup("").join(Markup("<dt>{}</dt><dd>{}</dd>").format(k, v) for k, v in [
        ("申请编号", c.case_no), ("姓名", c.name), ("身份证后四位", c.id_last4), ("单位", c.company), ("业务", c.procedure),
        ("阶段", c.stage), ("更新日期", c.updated_at), ("说明", c.note)]))
    options = Markup("").join(Markup("<option{}>{}</option>").format(Markup(" selected") if s == c.stage else "", s) for s in stages)
    form = Markup("""<form method="post" action="/console/cases/{n}/stage" class="card">{csrf}
<label>新阶段 <select name="stage">{options}</select></label><label>说明 <input name="note" value="{note}" maxlength="500"></label>
<button>修改阶段</button></form>""").format(n=c.case_no, csrf=csrf_input(csrf), options=options, note=c.note)
    hist = Markup("").join(Markup("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>").format(
        when(h["recorded_at"]), h["updated_at"], h["stage"], h["note"], h["source"]) for h in history)
    body = flash(message, "ok") + details + form + Markup("<h3>阶段历史</h3><table><thead><tr><th>记录时间</th><th>日期</th><th>阶段</th><th>说明</th><th>来源</th></tr></thead><tbody>{}</tbody></table>").format(hist)
    return layout(f"案件 {c.case_no}", body, who, csrf, waiting)


def unanswered(groups, intents: List[str], who: Staff, csrf: str, waiting: int) -> str:
    items = Markup("")
    for g in groups:
        options = Markup("").join(Markup("<option{}>{}</option>").format(Markup(" selected") if i == g.intent else "", i) for i in intents)
        texts = Markup("").join(Markup("<li>{}<input type='hidden' name='texts' value='{}'></li>").format(t, t) for t in g.texts[:20])
        items += Markup("""<section class="card group"><h3>{text} <small>（{n} 个对话，{k} 种说法，最近 {last}）</small></h3>
<form method="post" action="/console/unanswered/label">{csrf}<ul>{texts}</ul>
<label>正确的意图 <select name="intent">{options}</select></label><button>标注</button>{done}</form></section>""").format(
            text=g.text, n=len(g.conversations), k=len(g.texts), last=when(g.last_at), csrf=csrf_input(csrf), texts=texts,
            options=options,
            done=Markup(" <span class='ok'>已标注：{}</span>").format(g.intent) if g.intent else "")
    body = Markup("<p><a href='/console/unanswered/export.yml' download>导出已标注的问题（Rasa NLU YAML）</a></p>") + (items or Markup("<p>暂无未解答的问题。</p>"))
    return layout("未解答问题", body, who, csrf, waiting)


def stats(figures: dict, who: Staff, csrf: str, waiting: int) -> str:
    cards = Markup("").join(Markup("<div class='figure'><b>{}</b><span>{}</span></div>").format(v, k) for k, v in [
        ("对话数（14天）", figures["conversations"]), ("机器人回答", figures["bot_turns"]),
        ("未解答率", f"{figures['fallback_rate'] * 100:.1f}%"), ("转人工率", f"{figures['handoff_rate'] * 100:.1f}%"),
        ("回答时间中位数", f"{figures['answer_ms_p50']} ms" if figures["answer_ms_p50"] is not None else "—")])
    data = Markup("<script type='application/json' id='stats-data'>{}</script>").format(
        Markup(json.dumps(figures, ensure_ascii=False).replace("<", "\\u003c")))
    charts = Markup("").join(Markup("<div class='chart'><canvas id='{}' role='img' aria-label='{}'></canvas></div>").format(i, label)
                             for i, label in [("per-day", "每日对话和消息数"), ("per-channel", "各渠道对话数"), ("intents", "常见意图")])
    body = Markup("<div class='figures'>{}</div><div class='charts'>{}</div>{}").format(cards, charts, data)
    return layout("统计", body, who, csrf, waiting, scripts=["/console/static/chart.umd.min.js", "/console/static/stats.js"])


def staff_page(accounts: List[dict], who: Staff, csrf: str, waiting: int, message: Optional[str] = None, kind: str = "ok") -> str:
    rows = Markup("").join(Markup("<tr><td>{n}</td><td>{r}</td><td>{a}</td><td>{form}</td></tr>").format(
        n=a["name"], r="管理员" if a["role"] == "admin" else "客服", a="启用" if a["active"] else "停用",
        form=Markup("<form method='post' action='/console/staff/{n}/{act}' class='inline'>{c}<button>{label}</button></form>").format(
            n=a["name"], act="disable" if a["active"] else "enable", c=csrf_input(csrf), label="停用" if a["active"] else "启用")
        if a["name"] != who.name else "") for a in accounts)
    body = flash(message, kind) + Markup("""<table><thead><tr><th>账号</th><th>角色</th><th>状态</th><th></th></tr></thead><tbody>{rows}</tbody></table>
<form method="post" action="/console/staff" class="card narrow">{c}<h3>新建账号</h3>
<label>账号 <input name="name" required></label><label>角色 <select name="role"><option value="agent">客服</option><option value="admin">管理员</option></select></label>
<label>初始密码（至少 8 位）<input name="password" type="password" minlength="8" required autocomplete="new-password"></label><button>创建</button></form>""").format(rows=rows, c=csrf_input(csrf))
    return layout("账号", body, who, csrf, waiting)


def audit_page(entries: List[dict], who: Staff, csrf: str, waiting: int) -> str:
    rows = Markup("").join(Markup("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>").format(
        when(e["at"]), e["staff"], e["action"], e["target"], e["detail"]) for e in entries)
    return layout("审计日志", Markup("<table><thead><tr><th>时间</th><th>人员</th><th>操作</th><th>对象</th><th>详情</th></tr></thead><tbody>{}</tbody></table>").format(rows), who, csrf, waiting)


def _short(text: str, size: int = 16) -> str:
    text = str(text or "")
    return text if len(text) <= size else text[: size - 1] + "…"
