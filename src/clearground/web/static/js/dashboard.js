// Draw each figure's chart (Chart.js, served from /static/vendor) from the JSON next to it.
// The same numbers are in the table below each chart and in its CSV: without JavaScript (or
// without the vendored library) the page still shows every number.
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") { return; }
  var colours = ["#0b5cad", "#e07b00", "#1e6b35", "#a4161a", "#6f42c1", "#00838f", "#6d4c41", "#546e7a"];
  var lang = (window.CLEARGROUND && window.CLEARGROUND.lang) || "en";
  var locale = lang === "uk" ? "uk-UA" : "en-GB";
  var number = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  var print = window.matchMedia && window.matchMedia("print").matches;
  var charts = [];
  document.querySelectorAll("script.chart-data").forEach(function (node) {
    var spec = JSON.parse(node.textContent);
    var canvas = document.querySelector('canvas.chart[data-figure="' + node.dataset.figure + '"]');
    if (!canvas) { return; }
    var valueAxis = spec.horizontal ? "x" : "y";
    var scales = { x: { stacked: spec.stacked }, y: { stacked: spec.stacked } };
    scales[valueAxis].beginAtZero = true;
    // whole numbers only: counts have no halves, and areas are shown to the m²
    scales[valueAxis].ticks = { precision: 0, callback: function (v) { return number.format(v); } };
    charts.push(new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: spec.labels,
        datasets: spec.series.map(function (s, i) {
          return { label: s.label, data: s.data, backgroundColor: colours[i % colours.length] };
        })
      },
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: print ? false : { duration: 300 },
        scales: scales,
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            callbacks: {
              label: function (ctx) { return ctx.dataset.label + ": " + number.format(ctx.raw); }
            }
          }
        }
      }
    }));
  });
  // redraw at the paper's width before printing, and back after
  window.addEventListener("beforeprint", function () { charts.forEach(function (c) { c.resize(); }); });
  window.addEventListener("afterprint", function () { charts.forEach(function (c) { c.resize(); }); });
  document.documentElement.dataset.chartsDrawn = String(charts.length);
})();
