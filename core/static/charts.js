/* QualityLine charts: draws every <figure data-chart="<id of a JSON block>"> with Chart.js (served from
   /static/vendor). The page carries the data in <script type="application/json"> blocks, so there is no
   inline script (CSP-friendly) and the table next to each chart keeps the page readable without JS.

   Spec (built by analytics/web/charts.py):
     {kind: "line" | "bar" | "scatter" | "interval", format: "percent" | "number" | "days" | "yuan",
      labels: [...], series: [{label, data: [...]}], horizontal: bool, height: px,
      x_title, y_title, min, max,
      scatter:  points: [{label, x, y}], guides: {x, y}   (dashed quadrant lines, e.g. IPA means)
      bar:      stacked (the series share one bar per category)
      interval: estimates, lows, highs, estimate_label, interval_label, guides: {x | y: target},
                targets (a mark per category, null: none), target_label} */
(function () {
  "use strict";

  var PALETTE = ["#0b4f8a", "#d9822b", "#1e6b34", "#b3261e", "#6a4c93", "#0f8b8d", "#8a5a00", "#55606e"];
  var FONT = '-apple-system, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei", ' +
    '"Segoe UI", Roboto, sans-serif';

  function formatter(format) {
    return function (value) {
      if (value === null || value === undefined || isNaN(value)) return "—";
      if (format === "percent") return (value * 100).toFixed(1) + "%";
      if (format === "days") return Number(value).toFixed(2);
      if (format === "yuan") return "¥" + Number(value).toLocaleString(undefined, {minimumFractionDigits: 2});
      return Number(value).toLocaleString();
    };
  }

  function tick(format) {
    if (format === "percent") return function (value) { return Math.round(value * 100) + "%"; };
    return function (value) { return Number(value).toLocaleString(); };
  }

  // Dashed reference lines at guides.x / guides.y in data units (IPA quadrant means, targets).
  var guideLines = {
    id: "qlGuides",
    afterDatasetsDraw: function (chart, args, options) {
      if (!options || (options.x === undefined && options.y === undefined)) return;
      var ctx = chart.ctx, area = chart.chartArea;
      ctx.save();
      ctx.strokeStyle = "#55606e";
      ctx.lineWidth = 1.5;
      ctx.setLineDash([6, 4]);
      ctx.beginPath();
      if (options.x !== undefined && options.x !== null) {
        var x = chart.scales.x.getPixelForValue(options.x);
        ctx.moveTo(x, area.top);
        ctx.lineTo(x, area.bottom);
      }
      if (options.y !== undefined && options.y !== null) {
        var y = chart.scales.y.getPixelForValue(options.y);
        ctx.moveTo(area.left, y);
        ctx.lineTo(area.right, y);
      }
      ctx.stroke();
      ctx.restore();
    }
  };

  // The name of each point next to it (IPA attributes); the table lists them too.
  var pointLabels = {
    id: "qlPointLabels",
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx;
      ctx.save();
      ctx.fillStyle = "#1c2733";
      ctx.font = "12px " + FONT;
      ctx.textBaseline = "middle";
      chart.data.datasets.forEach(function (dataset, d) {
        chart.getDatasetMeta(d).data.forEach(function (point, i) {
          var label = dataset.data[i] && dataset.data[i].label;
          if (!label) return;
          var right = point.x + 8 + ctx.measureText(label).width > chart.chartArea.right;
          ctx.textAlign = right ? "right" : "left";
          ctx.fillText(label, point.x + (right ? -8 : 8), point.y);
        });
      });
      ctx.restore();
    }
  };

  function valueScale(spec, title) {
    // Bars start at zero; intervals (an index of 70-90) and IPA means fit the axis to the data.
    var scale = {ticks: {callback: tick(spec.format)}, title: {display: !!title, text: title || ""},
      beginAtZero: spec.kind === "bar"};
    // Room around scatter points, so none sits on the frame with its label cut.
    if (spec.kind === "scatter") scale.grace = "12%";
    if (spec.min !== undefined && spec.min !== null) scale.min = spec.min;
    if (spec.max !== undefined && spec.max !== null) scale.max = spec.max;
    return scale;
  }

  // Long category names (departments) would squeeze a horizontal chart on a phone: shorten them there;
  // the table next to the chart has the full names.
  function shortLabel(value) {
    var label = this.getLabelForValue(value);
    return this.chart.width < 480 && label.length > 8 ? label.slice(0, 7) + "…" : label;
  }

  function axes(spec) {
    var value = valueScale(spec, spec.horizontal ? spec.x_title : spec.y_title);
    var category = {title: {display: !!(spec.horizontal ? spec.y_title : spec.x_title),
      text: (spec.horizontal ? spec.y_title : spec.x_title) || ""}};
    if (spec.horizontal) category.ticks = {callback: shortLabel};
    return spec.horizontal ? {x: value, y: category} : {x: category, y: value};
  }

  function tooltipLabel(spec) {
    var fmt = formatter(spec.format);
    return function (item) {
      var raw = item.raw;
      var text = Array.isArray(raw) ? fmt(raw[0]) + " – " + fmt(raw[1])
        : (raw && typeof raw === "object" && "x" in raw && spec.kind === "scatter")
          ? (raw.label ? raw.label + ": " : "") + fmt(raw.x) + ", " + fmt(raw.y)
          : fmt(spec.horizontal ? item.parsed.x : item.parsed.y);
      return (item.dataset.label ? item.dataset.label + ": " : "") + text;
    };
  }

  function seriesDatasets(spec, type) {
    return spec.series.map(function (series, i) {
      var colour = PALETTE[i % PALETTE.length];
      return {type: type, label: series.label, data: series.data, borderColor: colour,
        backgroundColor: type === "line" ? colour : colour + "cc", spanGaps: false, tension: 0.2,
        pointRadius: 3, borderWidth: 2};
    });
  }

  var BUILDERS = {
    line: function (spec) {
      return {type: "line", data: {labels: spec.labels, datasets: seriesDatasets(spec, "line")},
        options: {scales: axes(spec)}};
    },
    bar: function (spec) {
      var scales = axes(spec);
      if (spec.stacked) { scales.x.stacked = true; scales.y.stacked = true; }
      return {type: "bar", data: {labels: spec.labels, datasets: seriesDatasets(spec, "bar")},
        options: {indexAxis: spec.horizontal ? "y" : "x", scales: scales}};
    },
    scatter: function (spec) {
      var data = spec.points.map(function (p) { return {x: p.x, y: p.y, label: p.label}; });
      return {type: "scatter",
        data: {datasets: [{label: spec.series_label || "", data: data, backgroundColor: PALETTE[0],
          pointRadius: 5}]},
        options: {scales: {x: valueScale(spec, spec.x_title), y: valueScale(spec, spec.y_title)},
          plugins: {qlGuides: spec.guides || {}}},
        plugins: [guideLines, pointLabels]};
    },
    interval: function (spec) {
      var ranges = spec.lows.map(function (low, i) {
        return low === null || spec.highs[i] === null ? null : [low, spec.highs[i]];
      });
      var config = {type: "bar",
        data: {labels: spec.labels, datasets: [
          {type: "bar", label: spec.interval_label, data: ranges, backgroundColor: "rgba(11, 79, 138, .22)",
            borderColor: PALETTE[0], borderWidth: 1, barPercentage: 0.45, order: 2},
          {type: "line", label: spec.estimate_label, data: spec.estimates, showLine: false,
            pointStyle: "rectRot", pointRadius: 6, backgroundColor: PALETTE[1], borderColor: PALETTE[1],
            order: 1}]},
        options: {indexAxis: spec.horizontal ? "y" : "x", scales: axes(spec),
          plugins: {qlGuides: spec.guides || {}}},
        plugins: [guideLines]};
      if (spec.targets) {
        // A short bar across the category at each target (the targets differ between categories).
        config.data.datasets.push({type: "line", label: spec.target_label || "", data: spec.targets,
          showLine: false, pointStyle: "line", rotation: spec.horizontal ? 90 : 0, pointRadius: 10,
          borderWidth: 3, borderColor: PALETTE[3], backgroundColor: PALETTE[3], order: 0});
      }
      return config;
    }
  };

  function render(figure) {
    var source = document.getElementById(figure.getAttribute("data-chart"));
    var canvas = figure.querySelector("canvas");
    if (!source || !canvas || !window.Chart) return null;
    var spec = JSON.parse(source.textContent);
    var build = BUILDERS[spec.kind];
    if (!build) return null;
    var config = build(spec);
    config.options.plugins = Object.assign({
      legend: {display: spec.kind !== "scatter", position: "bottom"},
      tooltip: {callbacks: {label: tooltipLabel(spec)}}
    }, config.options.plugins || {});
    var box = canvas.parentNode;
    box.style.height = (spec.height || 300) + "px";  // set from JS: no inline style in the HTML
    box.hidden = false;
    return new window.Chart(canvas, config);
  }

  function renderAll(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll("figure[data-chart]"), render);
  }

  if (window.Chart) {
    window.Chart.defaults.font.family = FONT;
    window.Chart.defaults.color = "#1c2733";
    window.Chart.defaults.animation = false;  // dashboards are read, not watched; screenshots are stable
    window.Chart.defaults.maintainAspectRatio = false;
  }
  window.QLCharts = {render: render, renderAll: renderAll};
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { renderAll(document); });
  } else {
    renderAll(document);
  }
})();
