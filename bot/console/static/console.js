/* Live console: new messages and status changes arrive by server-sent events. */
(function () {
  "use strict";
  var csrf = (document.querySelector("meta[name=csrf]") || {}).content || "";
  var log = document.getElementById("messages");
  var current = log ? log.getAttribute("data-conversation") : null;
  var badge = document.querySelector("#waiting-badge b");
  var table = document.getElementById("conversations");
  var names = { "in": "用户", out: "机器人", agent: "人工", system: "系统" };

  function item(direction, text, who) {
    var li = document.createElement("li");
    li.className = direction;
    var w = document.createElement("span");
    w.className = "who";
    w.textContent = who || names[direction] || direction;
    var t = document.createElement("time");
    t.textContent = new Date().toLocaleString("zh-CN", { hour12: false });
    var body = document.createElement("div");
    body.className = "text";
    body.textContent = text;
    li.appendChild(w); li.appendChild(t); li.appendChild(body);
    log.appendChild(li);
    li.scrollIntoView({ block: "end" });
  }

  function refreshBadge() {
    fetch("/console/api/summary", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) { if (d && badge) badge.textContent = d.waiting; });
  }

  var reloadTimer = null;
  function refreshTable() {
    if (!table || reloadTimer) return;
    reloadTimer = setTimeout(function () {
      reloadTimer = null;
      fetch(location.href, { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("conversations");
        if (fresh) { table.replaceWith(fresh); table = fresh; }
      });
    }, 800);
  }

  if (window.EventSource) {
    var source = new EventSource("/console/events");
    source.onmessage = function (e) {
      var ev;
      try { ev = JSON.parse(e.data); } catch (err) { return; }
      if (ev.type === "status") { refreshBadge(); if (ev.conversation === current) location.reload(); }
      refreshTable();
      if (!log || ev.conversation !== current) return;
      if (ev.type === "user") item("in", ev.text);
      else if (ev.type === "agent") item("agent", ev.text, "人工（" + (ev.agent || "") + "）");
      else if (ev.type === "bot") (ev.messages || []).forEach(function (m) { if (m.text) item("out", m.text); });
    };
  }

  var canned = document.getElementById("canned");
  var text = document.getElementById("reply-text");
  if (canned && text) canned.addEventListener("change", function () { if (canned.value) { text.value = canned.value; text.focus(); } });

  var form = document.getElementById("reply-form");
  if (form) form.addEventListener("submit", function (e) {
    e.preventDefault();
    var body = new URLSearchParams({ text: text.value, csrf: csrf });
    fetch(form.action, { method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRF-Token": csrf } })
      .then(function (r) { if (r.ok) { text.value = ""; canned.value = ""; } else r.json().then(function (d) { alert(d.error || "发送失败"); }); });
  });
})();
