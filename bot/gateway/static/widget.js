/*
 * jianli-helpdesk chat widget. Embed with one tag:
 *   <script src="https://GATEWAY/widget.js" defer></script>
 * optionally preceded by
 *   <script>window.JianliHelpdeskConfig = {title: "…", color: "#…", gateway: "https://GATEWAY", greeting: "…"}</script>
 *
 * Talks to the gateway over a WebSocket; keeps the session id and unsent messages in
 * localStorage, so a reload shows the conversation again and nothing typed offline is lost.
 * Everything shown is inserted as text (never as HTML).
 */
(function () {
  "use strict";
  if (window.__jianliHelpdeskLoaded) return;
  window.__jianliHelpdeskLoaded = true;

  var script = document.currentScript;
  var scriptOrigin = script && script.src ? new URL(script.src, location.href).origin : location.origin;
  var config = Object.assign({
    title: "注册监理工程师在线咨询",
    color: "#1f5fa8",
    gateway: scriptOrigin,
    greeting: "您好！我可以解答注册监理工程师各项注册业务的流程、材料、领证和咨询电话，也可以帮您查询申请进度。",
    open: false
  }, window.JianliHelpdeskConfig || {});
  var gateway = String(config.gateway).replace(/\/+$/, "");
  var KEY = "jianli-helpdesk:" + gateway;
  var PHONE = /(0\d{2,3}-\d{7,8})/g;
  var URL_RE = /(https?:\/\/[^\s<>"'，。；）]+)/g;

  // ---- persistent state ----------------------------------------------------------------
  function load(name, fallback) {
    try { var v = localStorage.getItem(KEY + ":" + name); return v === null ? fallback : JSON.parse(v); }
    catch (e) { return fallback; }
  }
  function save(name, value) {
    try { localStorage.setItem(KEY + ":" + name, JSON.stringify(value)); } catch (e) { /* private mode */ }
  }
  var session = load("session", null);
  var outbox = load("outbox", []);   // [{id, text, display}] not yet answered

  // ---- DOM ----------------------------------------------------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "class") node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }

  var css = el("link", { rel: "stylesheet", href: gateway + "/widget.css" });
  document.head.appendChild(css);

  var root = el("div", { class: "jh-root", "data-jianli-helpdesk": "" });
  root.style.setProperty("--jh-color", config.color);
  var launcher = el("button", { class: "jh-launcher", type: "button", "aria-label": "打开在线咨询", "aria-expanded": "false",
                                 "aria-controls": "jh-panel", text: "在线咨询" });
  var titleId = "jh-title";
  var closeBtn = el("button", { class: "jh-close", type: "button", "aria-label": "关闭在线咨询", text: "×" });
  var humanBtn = el("button", { class: "jh-human", type: "button", "aria-label": "转人工客服", text: "转人工" });
  var badge = el("span", { class: "jh-badge", "aria-hidden": "true" });
  badge.hidden = true;
  var limitLine = el("div", { class: "jh-limit", role: "status", "aria-live": "polite" });
  limitLine.hidden = true;
  var statusLine = el("div", { class: "jh-status", role: "status", "aria-live": "polite" });
  var log = el("div", { class: "jh-log", role: "log", "aria-live": "polite", "aria-label": "对话记录", tabindex: "0" });
  var typing = el("div", { class: "jh-typing", "aria-hidden": "true" }, [el("span"), el("span"), el("span")]);
  var MAX_CHARS = 1000;   // the gateway refuses longer messages: say so while typing, cut nothing silently
  var input = el("textarea", { class: "jh-input", id: "jh-input", rows: "1",
                               placeholder: "请输入您的问题，按回车发送", "aria-label": "输入您的问题" });
  var sendBtn = el("button", { class: "jh-send", type: "submit", "aria-label": "发送", text: "发送" });
  var form = el("form", { class: "jh-form" }, [el("label", { class: "jh-sr", for: "jh-input", text: "输入您的问题" }), input, sendBtn]);
  var panel = el("section", { class: "jh-panel", id: "jh-panel", role: "dialog", "aria-labelledby": titleId, hidden: "" }, [
    el("header", { class: "jh-header" }, [el("h2", { id: titleId, text: config.title }), humanBtn, closeBtn]),
    statusLine, log, typing, limitLine, form
  ]);
  root.appendChild(panel);
  launcher.appendChild(badge);
  root.appendChild(launcher);
  typing.hidden = true;

  function mount() { document.body.appendChild(root); }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);

  // ---- rendering --------------------------------------------------------------------------------
  function richText(text) {
    // phone numbers become tel: links, addresses open in a new tab; all else is plain text
    var frag = document.createDocumentFragment();
    String(text || "").split(URL_RE).forEach(function (part, i) {
      if (i % 2 === 1) {
        frag.appendChild(el("a", { href: part, target: "_blank", rel: "noopener noreferrer nofollow", text: part }));
        return;
      }
      part.split(PHONE).forEach(function (piece, j) {
        if (j % 2 === 1) frag.appendChild(el("a", { href: "tel:" + piece.replace(/-/g, ""), class: "jh-tel", text: piece }));
        else if (piece) frag.appendChild(document.createTextNode(piece));
      });
    });
    return frag;
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function clock(at) {
    var d = at ? new Date(at * 1000) : new Date();
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
  }

  function bubble(who, text, extraClass, at) {
    var b = el("div", { class: "jh-msg jh-" + who + (extraClass ? " " + extraClass : "") });
    b.appendChild(richText(text));
    if (who !== "notice") b.appendChild(el("time", { class: "jh-time", text: clock(at) }));
    log.appendChild(b);
    scrollDown();
    return b;
  }

  // ---- unread answers while the panel is closed: a badge on the launcher and in the page title ----
  var unread = 0, baseTitle = document.title;
  function showUnread() {
    badge.textContent = unread > 99 ? "99+" : String(unread);
    badge.hidden = unread === 0;
    launcher.setAttribute("aria-label", unread ? "打开在线咨询（" + unread + "条未读消息）" : "打开在线咨询");
    document.title = unread ? "(" + unread + ") " + baseTitle : baseTitle;
  }
  function arrived() { if (panel.hidden) { unread += 1; showUnread(); } }

  function timeline(payload) {
    var steps = (payload && payload.steps) || [];
    var list = el("ol", { class: "jh-timeline", "aria-label": payload.title || "办理进度" });
    var current = -1;
    steps.forEach(function (s, i) { if (s.current) current = i; });
    steps.forEach(function (s, i) {
      var state = current < 0 ? "" : (i < current ? " jh-done" : (i === current ? " jh-current" : ""));
      var item = el("li", { class: "jh-step" + state });
      item.appendChild(el("span", { class: "jh-dot", "aria-hidden": "true" }));
      item.appendChild(el("span", { class: "jh-stage", text: String(s.stage || "") }));
      if (i === current) item.appendChild(el("span", { class: "jh-sr", text: "（当前阶段）" }));
      list.appendChild(item);
    });
    var wrap = el("div", { class: "jh-msg jh-bot jh-card" }, [payload.title ? el("div", { class: "jh-card-title", text: String(payload.title) }) : null, list]);
    log.appendChild(wrap);
    scrollDown();
  }

  var lastButtons = null;
  function buttons(list) {
    if (lastButtons) lastButtons.remove();
    var row = el("div", { class: "jh-buttons", role: "group", "aria-label": "快捷回复" });
    list.forEach(function (b) {
      var btn = el("button", { type: "button", class: "jh-quick", text: String(b.title || b.payload || "") });
      btn.addEventListener("click", function () { send(String(b.payload || b.title), String(b.title || "")); input.focus(); });
      row.appendChild(btn);
    });
    log.appendChild(row);
    lastButtons = row;
    scrollDown();
  }

  function renderBot(messages, live, at) {
    var quick = [];
    (messages || []).forEach(function (m) {
      if (m.text) bubble("bot", m.text, null, at);
      if (m.custom && m.custom.type === "timeline") timeline(m.custom);
      if (m.buttons && m.buttons.length) quick = m.buttons;
    });
    if (live && quick.length) buttons(quick);   // quick replies come last, under the whole answer
  }

  function renderHistory(items) {
    // a message the server already has (answered before the connection dropped) is not resent
    var known = {};
    items.forEach(function (m) { if (m.client_id) known[m.client_id] = true; });
    outbox = outbox.filter(function (m) { return !known[m.id]; });
    save("outbox", outbox.map(strip));
    log.textContent = "";
    lastButtons = null;
    bubble("bot", config.greeting);
    var lastUserIndex = 0;
    items.forEach(function (m, i) { if (m.direction === "in") lastUserIndex = i; });
    items.forEach(function (m, index) {
      if (m.direction === "in") bubble("user", m.display || m.text, null, m.at);
      else if (m.direction === "agent") bubble("agent", m.text, null, m.at);
      else if (m.direction === "system") bubble("notice", m.text);   // 工作人员已接入 / 已转回智能助手 / busy
      else renderBot([m], index >= lastUserIndex, m.at);
    });
    outbox.forEach(function (m) { m.node = bubble("user", m.display || m.text, "jh-pending"); });
  }

  // ---- connection -------------------------------------------------------------------------------
  var ws = null, retry = 0, historyLoaded = false, agentOn = false;

  function setStatus(text) { statusLine.textContent = text || ""; statusLine.hidden = !text; }

  function connect() {
    var url = gateway.replace(/^http/, "ws") + "/ws" + (session ? "?session=" + encodeURIComponent(session) : "");
    setStatus(retry ? "连接已断开，正在重新连接…" : "");
    try { ws = new WebSocket(url); } catch (e) { scheduleReconnect(); return; }
    ws.onmessage = function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      onServer(data);
    };
    ws.onopen = function () { retry = 0; setStatus(""); };
    ws.onclose = function () { ws = null; typing.hidden = true; scheduleReconnect(); };
    ws.onerror = function () { /* onclose follows */ };
  }

  function scheduleReconnect() {
    retry += 1;
    setStatus(outbox.length ? "网络已断开，消息将在恢复连接后自动发送…" : "连接已断开，正在重新连接…");
    setTimeout(connect, Math.min(10000, 500 * Math.pow(2, Math.min(retry, 5))));
  }

  function onServer(data) {
    if (data.type === "session") {
      var changed = data.session !== session;
      session = data.session;
      save("session", session);
      loadHistory();   // also after a reconnect: replies and agent messages sent meanwhile
    } else if (data.type === "typing") {
      typing.hidden = !data.on;
      scrollDown();
    } else if (data.type === "bot") {
      typing.hidden = true;
      var pending = outbox.filter(function (m) { return m.id === data.reply_to; })[0];
      if (pending) {
        if (pending.node) pending.node.classList.remove("jh-pending");
        outbox = outbox.filter(function (m) { return m !== pending; });
        save("outbox", outbox.map(strip));
      }
      renderBot(data.messages, true);
      arrived();
    } else if (data.type === "agent") {
      bubble("agent", data.text);
      arrived();
    } else if (data.type === "status") {
      if (data.status === "human") bubble("notice", "工作人员已接入");
      else if (data.status === "bot" && agentOn) bubble("notice", "已转回智能助手");
      agentOn = data.status === "human";
    } else if (data.type === "user") {
      bubble("user", data.text);   // the same conversation typed in another tab
    } else if (data.type === "error") {
      if (data.id) {
        var bad = outbox.filter(function (m) { return m.id === data.id; })[0];
        if (bad) {
          if (bad.node) bad.node.classList.add("jh-failed");
          outbox = outbox.filter(function (m) { return m !== bad; });
          save("outbox", outbox.map(strip));
        }
      }
      bubble("notice", data.error);
    }
  }

  function loadHistory() {
    fetch(gateway + "/api/sessions/" + encodeURIComponent(session) + "/messages")
      .then(function (r) { return r.ok ? r.json() : { messages: [] }; })
      .then(function (data) { historyLoaded = true; renderHistory(data.messages || []); flush(); })
      .catch(function () { historyLoaded = true; renderHistory([]); flush(); });
  }

  function strip(m) { return { id: m.id, text: m.text, display: m.display }; }

  function flush() {
    if (!ws || ws.readyState !== 1) return;
    outbox.forEach(function (m) {
      ws.send(JSON.stringify({ type: "message", id: m.id, text: m.text, display: m.display }));
    });
    if (outbox.length) typing.hidden = false;
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    return Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
  }

  function send(text, display) {
    text = String(text || "").trim();
    if (!text) return false;
    if (text.length > MAX_CHARS) { bubble("notice", "消息过长：最多 1000 个字，请分几次发送。"); return false; }
    if (lastButtons) { lastButtons.remove(); lastButtons = null; }
    var m = { id: newId(), text: text, display: display && display !== text ? display : undefined };
    m.node = bubble("user", m.display || text, "jh-pending");
    outbox.push(m);
    save("outbox", outbox.map(strip));
    if (ws && ws.readyState === 1) {
      ws.send(JSON.stringify({ type: "message", id: m.id, text: m.text, display: m.display }));
      typing.hidden = false;
      scrollDown();
    } else {
      setStatus("网络已断开，消息将在恢复连接后自动发送…");
    }
    return true;
  }

  // ---- interaction -------------------------------------------------------------------------------
  function openPanel() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    root.classList.add("jh-open");
    unread = 0;
    showUnread();
    if (!ws) connect();
    scrollDown();   // always at the latest message, also after a reload or answers that came while closed
    input.focus();
  }
  function closePanel() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    root.classList.remove("jh-open");
    launcher.focus();
  }
  launcher.addEventListener("click", function () { panel.hidden ? openPanel() : closePanel(); });
  closeBtn.addEventListener("click", closePanel);
  humanBtn.addEventListener("click", function () { send("转人工"); input.focus(); });
  panel.addEventListener("keydown", function (e) {
    if (e.key === "Escape") closePanel();
    if (e.key === "Tab" && window.matchMedia("(max-width: 480px)").matches) {
      // the panel fills the phone's screen: Tab goes round inside it, not to the page behind
      var stops = Array.prototype.filter.call(panel.querySelectorAll("button, textarea, [tabindex='0']"),
                                              function (n) { return !n.disabled && n.offsetParent !== null; });
      var first = stops[0], last = stops[stops.length - 1];
      if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
      else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
    }
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (!send(input.value)) return;   // too long: the text stays in the box to be shortened
    input.value = "";
    input.style.height = "";
  });
  input.addEventListener("keydown", function (e) {
    // Enter sends, Shift+Enter is a new line; never while an IME (拼音) is composing
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });
  input.addEventListener("input", function () {
    input.style.height = "";
    input.style.height = Math.min(input.scrollHeight, 120) + "px";
    var over = input.value.length > MAX_CHARS;
    limitLine.textContent = over ? "已输入 " + input.value.length + " 字，超过 1000 字的上限，请删减或分几次发送。" : "";
    limitLine.hidden = !over;
    sendBtn.disabled = over;
  });

  window.JianliHelpdesk = { open: openPanel, close: closePanel, send: send };
  if (config.open || session) {
    // a returning visitor's conversation is ready when they open the panel
    connect();
    if (config.open) openPanel();
  }
})();
