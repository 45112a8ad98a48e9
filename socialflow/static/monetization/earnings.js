/* Studio earnings chart (Chart.js 4 from npm, served as a static file): one stacked bar chart per
   currency of the earnings the page embeds with json_script, per day or month and by source. No
   HTML is built from data: labels and numbers go through Chart.js only. Amounts arrive in minor
   units and are drawn in the currency's units. */
(function () {
  "use strict";
  var COLOURS = {ad_revenue: "#3da5ff", membership: "#b57bff", tip: "#f0b429", revenue_share: "#35c07a", copyright_share: "#ff3d5a"};

  function draw(canvas, chart) {
    var scale = Math.pow(10, chart.exponent);
    return new Chart(canvas, {
      type: "bar",
      data: {
        labels: chart.labels,
        datasets: chart.series.map(function (s) {
          return {label: s.label, data: s.minor.map(function (m) { return m / scale; }), backgroundColor: COLOURS[s.source] || "#9aa3b2", stack: "earnings"};
        })
      },
      options: {
        interaction: {mode: "index", intersect: false},
        plugins: {tooltip: {callbacks: {label: function (ctx) { return ctx.dataset.label + ": " + ctx.parsed.y.toFixed(chart.exponent) + " " + chart.currency; }}}},
        scales: {x: {stacked: true, ticks: {maxTicksLimit: 15}}, y: {stacked: true, beginAtZero: true, title: {display: true, text: chart.currency}}}
      }
    });
  }

  function page() {
    if (!window.Chart) return;
    Chart.defaults.color = "#9aa3b2";
    Chart.defaults.borderColor = "#252a35";
    Chart.defaults.animation = false;
    Chart.defaults.maintainAspectRatio = false;
    var el = document.getElementById("earnings-charts");
    if (!el) return;
    var charts = JSON.parse(el.textContent);
    Array.prototype.forEach.call(document.querySelectorAll("canvas.earnings-chart"), function (canvas) {
      var chart = charts[Number(canvas.dataset.index)];
      if (chart) draw(canvas, chart);
    });
  }

  window.SocialFlowEarnings = {page: page, draw: draw};
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", page); else page();
})();
