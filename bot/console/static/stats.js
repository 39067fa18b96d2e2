/* Charts of the statistics page (Chart.js, served from this console, nothing from the internet). */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("stats-data").textContent);
  var color = "#1f5fa8";
  new Chart(document.getElementById("per-day"), {
    type: "bar",
    data: { labels: data.days.map(function (d) { return d.slice(5); }), datasets: [
      { label: "对话", data: data.days.map(function (d) { return data.per_day[d].conversations; }), backgroundColor: color },
      { label: "用户消息", data: data.days.map(function (d) { return data.per_day[d].messages; }), backgroundColor: "#9bb7d9" }] },
    options: { plugins: { title: { display: true, text: "每日对话和消息" } }, animation: false, responsive: true, maintainAspectRatio: false }
  });
  var channelNames = { web: "网页", wechat: "微信", api: "接口" };
  new Chart(document.getElementById("per-channel"), {
    type: "doughnut",
    data: { labels: Object.keys(data.channels).map(function (c) { return channelNames[c] || c; }),
            datasets: [{ data: Object.values(data.channels), backgroundColor: [color, "#3aa76d", "#f5a623", "#b3261e"] }] },
    options: { plugins: { title: { display: true, text: "各渠道对话" } }, animation: false, responsive: true, maintainAspectRatio: false }
  });
  new Chart(document.getElementById("intents"), {
    type: "bar",
    data: { labels: data.top_intents.map(function (p) { return p[0]; }),
            datasets: [{ label: "次数", data: data.top_intents.map(function (p) { return p[1]; }), backgroundColor: color }] },
    options: { indexAxis: "y", plugins: { title: { display: true, text: "常见意图" } }, animation: false, responsive: true, maintainAspectRatio: false }
  });
})();
