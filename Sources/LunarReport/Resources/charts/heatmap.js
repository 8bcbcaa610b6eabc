// A sweep's heatmap: the ranking metric over two swept parameters (the best over any others),
// cells filling in as combinations finish; blank cells are still to run. Hover: the cell.
(function () {
  "use strict";
  var L = window.Lunar = window.Lunar || {};

  // spec: {x: [values], y: [values], xName, yName, cells: [[xi, yi, value]], metric, higherIsBetter}
  L.heatmap = function (el, spec) {
    var pad = { l: 70, r: 12, t: 8, b: 40 }, cell = Math.max(6, Math.min(36, Math.floor(700 / Math.max(spec.x.length, 1))));
    var height = pad.t + pad.b + cell * spec.y.length, hover = null;
    var grid = {};
    var lo = Infinity, hi = -Infinity;
    spec.cells.forEach(function (c) {
      grid[c[0] + ":" + c[1]] = c[2];
      if (c[2] != null && isFinite(c[2])) { lo = Math.min(lo, c[2]); hi = Math.max(hi, c[2]); }
    });
    function colour(v) {
      if (v == null || !isFinite(v)) return "#d1d5db";
      var f = hi > lo ? (v - lo) / (hi - lo) : 0.5;
      if (!spec.higherIsBetter) f = 1 - f;
      // Red (worst) through pale yellow to green (best).
      var r = f < 0.5 ? 220 : Math.round(220 - (f - 0.5) * 2 * 198), g = f < 0.5 ? Math.round(38 + f * 2 * 200) : Math.round(238 - (f - 0.5) * 2 * 75);
      return "rgb(" + r + "," + g + ",60)";
    }
    function draw() {
      var g = L.canvas(el, height), ctx = g.ctx;
      ctx.font = "11px system-ui, sans-serif";
      for (var yi = 0; yi < spec.y.length; yi++) {
        for (var xi = 0; xi < spec.x.length; xi++) {
          var key = xi + ":" + yi;
          ctx.fillStyle = key in grid ? colour(grid[key]) : "#f3f4f6";
          ctx.fillRect(pad.l + xi * cell, pad.t + yi * cell, cell - 1, cell - 1);
        }
      }
      ctx.fillStyle = "#6b7280"; ctx.textAlign = "right";
      var every = Math.max(1, Math.ceil(12 / cell));
      spec.y.forEach(function (v, yi) { if (yi % every === 0) ctx.fillText(v, pad.l - 6, pad.t + yi * cell + cell / 2 + 4); });
      ctx.textAlign = "center";
      spec.x.forEach(function (v, xi) { if (xi % every === 0) ctx.fillText(v, pad.l + xi * cell + cell / 2, pad.t + spec.y.length * cell + 14); });
      ctx.fillText(spec.xName, pad.l + spec.x.length * cell / 2, height - 6);
      ctx.save(); ctx.translate(12, pad.t + spec.y.length * cell / 2); ctx.rotate(-Math.PI / 2); ctx.fillText(spec.yName, 0, 0); ctx.restore();
      if (hover) {
        var v = grid[hover.x + ":" + hover.y];
        var text = spec.xName + "=" + spec.x[hover.x] + (spec.yName ? " " + spec.yName + "=" + spec.y[hover.y] : "") + "  " + spec.metric + " " +
          (hover.x + ":" + hover.y in grid ? L.num(v, 4) : "not run yet");
        ctx.textAlign = "left"; ctx.fillStyle = "rgba(17,24,39,0.9)";
        var w = ctx.measureText(text).width + 12, tx = Math.min(pad.l + hover.x * cell + cell, g.w - w - 4);
        ctx.fillRect(tx, Math.max(0, pad.t + hover.y * cell - 22), w, 20);
        ctx.fillStyle = "#fff"; ctx.fillText(text, tx + 6, Math.max(14, pad.t + hover.y * cell - 8));
      }
      g.canvas.onmousemove = function (e) {
        var r = g.canvas.getBoundingClientRect(), xi = Math.floor((e.clientX - r.left - pad.l) / cell), yi = Math.floor((e.clientY - r.top - pad.t) / cell);
        var next = xi >= 0 && yi >= 0 && xi < spec.x.length && yi < spec.y.length ? { x: xi, y: yi } : null;
        if (JSON.stringify(next) !== JSON.stringify(hover)) { hover = next; draw(); }
      };
    }
    draw();
    return { redraw: draw, filled: function () { return Object.keys(grid).length; } };
  };
})();
