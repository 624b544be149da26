/* Dashboard: trend charts (Apache ECharts, vendored) and sortable tables. No network. */
(function () {
  "use strict";
  var lang = document.documentElement.lang === "en" ? "en-GB" : "vi-VN";
  var number = new Intl.NumberFormat(lang, { maximumFractionDigits: 2 });
  var compact = new Intl.NumberFormat(lang, { notation: "compact", maximumFractionDigits: 1 });

  function json(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function ddmm(iso) {
    return iso.slice(8, 10) + "/" + iso.slice(5, 7);
  }

  function line(name, data, color, style) {
    return {
      name: name, type: "line", data: data, showSymbol: false, connectNulls: false,
      color: color, lineStyle: Object.assign({ width: 2, color: color }, style || {}),
    };
  }

  function drawCharts() {
    var data = json("chart-data"), labels = json("chart-labels");
    if (!data || !labels || !window.echarts) return;
    var charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var d = data[el.getAttribute("data-chart")];
      if (!d) return;
      var percent = d.measure === "percent";
      var series = [line(labels.actual, d.actual, "#0b57a4", { width: 3 })];
      if (d.pace) series.push(line(labels.pace, d.pace, "#8a97a6", { type: "dotted" }));
      series.push(line(labels.forecast, d.forecast, "#d9822b", { type: "dashed" }));
      if (d.target !== null) {
        series.push(line(labels.target, d.days.map(function () { return d.target; }), "#b3261e", { width: 1.5 }));
      }
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption({
        animation: false,
        aria: { enabled: true },
        grid: { left: 4, right: 10, top: 34, bottom: 4, containLabel: true },
        legend: { top: 0, left: 0, itemWidth: 16, itemHeight: 8, textStyle: { fontSize: 11 } },
        tooltip: {
          // Drawn on the canvas: the HTML tooltip writes inline style attributes, which the
          // Content-Security-Policy refuses.
          trigger: "axis", confine: true, renderMode: "richText",
          valueFormatter: function (v) {
            return v === null || v === undefined ? "—" : number.format(v) + (percent ? "%" : "");
          },
        },
        xAxis: {
          type: "category", boundaryGap: false, data: d.days.map(ddmm),
          axisLabel: { hideOverlap: true, fontSize: 11 },
        },
        yAxis: {
          type: "value", scale: !percent, max: percent ? 100 : null, min: percent ? 0 : null,
          axisLabel: { fontSize: 11, formatter: function (v) { return percent ? v + "%" : compact.format(v); } },
        },
        series: series,
      });
      charts.push(chart);
    });
    var pending = null;
    window.addEventListener("resize", function () {
      clearTimeout(pending);
      pending = setTimeout(function () { charts.forEach(function (c) { c.resize(); }); }, 100);
    });
  }

  function sortable(table) {
    var heads = table.querySelectorAll("thead th");
    heads.forEach(function (th, column) {
      var button = th.querySelector("button");
      if (!button) return;
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var numeric = th.getAttribute("data-type") === "num";
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[column].getAttribute("data-v") || "";
          var y = b.cells[column].getAttribute("data-v") || "";
          if (numeric) {
            // Empty values (no target, no rate) go last whichever the direction.
            if (x === "" || y === "") return (x === "") - (y === "");
            return ascending ? x - y : y - x;
          }
          return ascending ? x.localeCompare(y, "vi") : y.localeCompare(x, "vi");
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }

  document.querySelectorAll("table.sortable").forEach(sortable);
  drawCharts();
})();
