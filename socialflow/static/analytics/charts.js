/* Studio analytics charts (Chart.js 4 from npm, served as a static file). Reads the report the page
   embeds with json_script; the realtime panel polls /api/v1/analytics/realtime. No HTML is built
   from data: labels and numbers go through Chart.js and textContent only. */
(function () {
  "use strict";
  var PALETTE = ["#3da5ff", "#ff3d5a", "#35c07a", "#f0b429", "#b57bff"];
  var SOURCE_LABELS = {feed: "Feed", search: "Search", profile: "Channel / profile", external: "External / direct", recommendation: "Recommendations"};

  function base() {
    if (!window.Chart) return false;
    Chart.defaults.color = "#9aa3b2";
    Chart.defaults.borderColor = "#252a35";
    Chart.defaults.animation = false; // drawn at once (and nothing moves for reduced-motion users)
    Chart.defaults.maintainAspectRatio = false;
    return true;
  }

  function read(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function daily(canvas, report) {
    return new Chart(canvas, {
      type: "line",
      data: {
        labels: report.days.map(function (d) { return d.day; }),
        datasets: [
          {label: "Views", data: report.days.map(function (d) { return d.views; }), borderColor: PALETTE[0], backgroundColor: PALETTE[0], yAxisID: "y", tension: 0.2},
          {label: "Watch time (hours)", data: report.days.map(function (d) { return +(d.watch_time_ms / 3600000).toFixed(3); }), borderColor: PALETTE[1], backgroundColor: PALETTE[1], yAxisID: "y1", tension: 0.2}
        ]
      },
      options: {
        interaction: {mode: "index", intersect: false},
        scales: {y: {beginAtZero: true, position: "left"}, y1: {beginAtZero: true, position: "right", grid: {drawOnChartArea: false}}}
      }
    });
  }

  function retention(canvas, report) {
    return new Chart(canvas, {
      type: "line",
      data: {
        labels: report.retention.map(function (p) { return p.percent + "%"; }),
        datasets: [{label: "Viewers still watching (%)", data: report.retention.map(function (p) { return +(p.viewers * 100).toFixed(1); }), borderColor: PALETTE[2], backgroundColor: "rgba(53,192,122,.25)", fill: true, stepped: true}]
      },
      options: {scales: {y: {beginAtZero: true, max: 100}}}
    });
  }

  function sources(canvas, report) {
    var keys = Object.keys(report.traffic_sources);
    return new Chart(canvas, {
      type: "doughnut",
      data: {
        labels: keys.map(function (k) { return SOURCE_LABELS[k] || k; }),
        datasets: [{data: keys.map(function (k) { return report.traffic_sources[k]; }), backgroundColor: PALETTE}]
      },
      options: {plugins: {legend: {position: "right"}}}
    });
  }

  function realtime(canvas, url, totalEl) {
    var chart = new Chart(canvas, {
      type: "bar",
      data: {labels: [], datasets: [{label: "Views per hour", data: [], backgroundColor: PALETTE[0]}, {label: "Sessions per hour", data: [], backgroundColor: PALETTE[3]}]},
      options: {scales: {x: {ticks: {maxTicksLimit: 12}}, y: {beginAtZero: true}}}
    });
    function tick() {
      fetch(url, {credentials: "same-origin", headers: {Accept: "application/json"}})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) return;
          chart.data.labels = data.hours.map(function (h) { return new Date(h.hour).toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"}); });
          chart.data.datasets[0].data = data.hours.map(function (h) { return h.views; });
          chart.data.datasets[1].data = data.hours.map(function (h) { return h.sessions; });
          chart.update();
          if (totalEl) totalEl.textContent = data.views + " views · " + data.sessions + " sessions in the last 48 hours";
        })
        .catch(function () { /* the next tick tries again */ });
    }
    tick();
    window.setInterval(tick, 30000);
    return chart;
  }

  function page() {
    if (!base()) return;
    var report = read("analytics-report");
    if (!report) return;
    var el;
    if ((el = document.getElementById("chart-daily"))) daily(el, report);
    if ((el = document.getElementById("chart-retention"))) retention(el, report);
    if ((el = document.getElementById("chart-sources"))) sources(el, report);
    if ((el = document.getElementById("chart-realtime"))) realtime(el, el.dataset.url, document.getElementById("realtime-total"));
  }

  window.SocialFlowAnalytics = {page: page, daily: daily, retention: retention, sources: sources, realtime: realtime};
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", page); else page();
})();
