// One symbol's price chart: candles or a line, the strategy's named indicators over it, entry
// and exit markers (hover: the trade and its return), the position in a pane below. The wheel
// zooms around the pointer, dragging pans; only the visible bars are drawn, and when there are
// more bars than pixels each pixel column draws one bar's worth (high-low span, last close),
// so 10,000 bars stay as quick as 500.
(function () {
  "use strict";
  var L = window.Lunar = window.Lunar || {};
  var COLORS = ["#f59e0b", "#8b5cf6", "#10b981", "#ec4899", "#0ea5e9", "#84cc16"];

  // data: {symbol, dates, open, high, low, close, indicators: [{name, values}],
  //        trades: [{entry, exit, entryPrice, exitPrice, return, short, open}], position: [units per bar]}
  L.priceChart = function (el, data, options) {
    options = options || {};
    var mode = options.mode || (data.open && data.high && data.low ? "candles" : "line");
    var T = data.close.length, from = 0, to = T, hover = null, drag = null;
    var priceH = options.height || 300, posH = 70, pad = { l: 64, r: 10, t: 10, b: 22 };
    var height = priceH + posH + pad.b;
    var markers = [];

    function draw() {
      var g = L.canvas(el, height), ctx = g.ctx, W = g.w, plotW = W - pad.l - pad.r;
      var n = Math.max(1, to - from), perPx = n / plotW;
      var x = function (t) { return pad.l + (t - from + 0.5) * plotW / n; };
      var ext = L.extent([mode === "candles" ? data.high : data.close, mode === "candles" ? data.low : null]
        .concat(data.indicators.map(function (i) { return i.values; })), from, to);
      var y = function (v) { return pad.t + (priceH - pad.t - 6) * (ext[1] - v) / (ext[1] - ext[0]); };
      ctx.font = "11px system-ui, sans-serif"; ctx.lineWidth = 1;
      ctx.strokeStyle = "#e5e7eb"; ctx.fillStyle = "#6b7280"; ctx.textAlign = "right";
      for (var i = 0; i <= 4; i++) {
        var v = ext[0] + (ext[1] - ext[0]) * i / 4, yy = Math.round(y(v)) + 0.5;
        ctx.beginPath(); ctx.moveTo(pad.l, yy); ctx.lineTo(W - pad.r, yy); ctx.stroke();
        ctx.fillText(L.compact(v), pad.l - 6, yy + 4);
      }
      ctx.textAlign = "center";
      for (var k = 0; k <= 5; k++) { var t0 = Math.min(to - 1, from + Math.round((n - 1) * k / 5)); ctx.fillText(data.dates[t0], Math.min(Math.max(x(t0), pad.l + 30), W - 40), height - 6); }
      ctx.save(); ctx.beginPath(); ctx.rect(pad.l, 0, plotW, priceH); ctx.clip();
      // Bars: one per bar when they are wider than a pixel, else one per pixel column.
      var cols = perPx > 1 ? Math.ceil(plotW) : n;
      for (var c = 0; c < cols; c++) {
        var a = perPx > 1 ? from + Math.floor(c * perPx) : from + c, b = perPx > 1 ? Math.min(to, from + Math.floor((c + 1) * perPx)) : a + 1;
        if (b <= a) continue;
        var cl = data.close[b - 1];
        if (mode === "candles") {
          var hi = -Infinity, lo = Infinity, op = data.open[a];
          for (var t = a; t < b; t++) { if (data.high[t] > hi) hi = data.high[t]; if (data.low[t] < lo) lo = data.low[t]; }
          if (!isFinite(hi) || !isFinite(cl)) continue;
          var up = cl >= op, xc = perPx > 1 ? pad.l + c + 0.5 : x(a), bw = Math.max(1, plotW / n * 0.7);
          ctx.strokeStyle = ctx.fillStyle = up ? "#16a34a" : "#dc2626";
          ctx.beginPath(); ctx.moveTo(xc, y(hi)); ctx.lineTo(xc, y(lo)); ctx.stroke();
          if (perPx <= 1) ctx.fillRect(xc - bw / 2, Math.min(y(op), y(cl)), bw, Math.max(1, Math.abs(y(op) - y(cl))));
        }
      }
      function path(values, color, width) {
        ctx.strokeStyle = color; ctx.lineWidth = width; ctx.beginPath();
        var pen = false, step = Math.max(1, Math.floor(perPx / 2));
        for (var t = from; t < to; t += step) {
          var v = values[t];
          if (v == null || !isFinite(v)) { pen = false; continue; }
          if (pen) ctx.lineTo(x(t), y(v)); else ctx.moveTo(x(t), y(v));
          pen = true;
        }
        ctx.stroke();
      }
      if (mode === "line") path(data.close, "#111827", 1.2);
      data.indicators.forEach(function (ind, k) { path(ind.values, COLORS[k % COLORS.length], 1.2); });
      // Markers: ▲ entry (long) / ▼ entry (short) below/above the bar, ● exit.
      markers = [];
      data.trades.forEach(function (tr) {
        [["entry", tr.entry, tr.entryPrice], ["exit", tr.exit, tr.exitPrice]].forEach(function (m) {
          if (m[1] < from || m[1] >= to || (m[0] === "exit" && tr.open)) return;
          var mx = x(m[1]), my = y(m[2]);
          ctx.fillStyle = m[0] === "entry" ? (tr.short ? "#dc2626" : "#16a34a") : "#2563eb";
          ctx.beginPath();
          if (m[0] === "entry") { var s = tr.short ? -1 : 1; ctx.moveTo(mx, my + 4 * s); ctx.lineTo(mx - 5, my + 12 * s); ctx.lineTo(mx + 5, my + 12 * s); }
          else ctx.arc(mx, my, 4, 0, 2 * Math.PI);
          ctx.fill();
          markers.push({ x: mx, y: my, kind: m[0], trade: tr });
        });
      });
      ctx.restore();
      // The position pane: units held after each bar (short below the line).
      var pos = data.position || [], pe = L.extent([pos], from, to), top = priceH + 4, ph = posH - 8;
      pe[0] = Math.min(pe[0], 0); pe[1] = Math.max(pe[1], 0);
      var py = function (v) { return top + ph * (pe[1] - v) / (pe[1] - pe[0] || 1); };
      ctx.strokeStyle = "#e5e7eb"; ctx.beginPath(); ctx.moveTo(pad.l, Math.round(py(0)) + 0.5); ctx.lineTo(W - pad.r, Math.round(py(0)) + 0.5); ctx.stroke();
      ctx.fillStyle = "rgba(37,99,235,0.35)";
      for (var cc = 0; cc < cols; cc++) {
        var ta = perPx > 1 ? from + Math.floor(cc * perPx) : from + cc, u = pos[ta] || 0;
        if (!u) continue;
        var xa = perPx > 1 ? pad.l + cc : x(ta) - plotW / n / 2, wa = perPx > 1 ? 1 : plotW / n;
        ctx.fillRect(xa, Math.min(py(0), py(u)), wa, Math.abs(py(u) - py(0)));
      }
      ctx.fillStyle = "#6b7280"; ctx.textAlign = "right"; ctx.fillText("position", pad.l - 6, top + 12);
      if (hover) {
        var tr = hover.trade, text = (tr.short ? "short " : "long ") + data.dates[tr.entry] + " @ " + L.num(tr.entryPrice) +
          (tr.open ? " (open)" : " → " + data.dates[tr.exit] + " @ " + L.num(tr.exitPrice)) + "   return " + L.pct(tr["return"]);
        ctx.font = "12px system-ui, sans-serif"; ctx.textAlign = "left";
        var tw = ctx.measureText(text).width + 12, tx = Math.min(hover.x + 10, W - tw - 4), ty = Math.max(hover.y - 28, 2);
        ctx.fillStyle = "rgba(17,24,39,0.9)"; ctx.fillRect(tx, ty, tw, 20);
        ctx.fillStyle = "#fff"; ctx.fillText(text, tx + 6, ty + 14);
      }
      var c2 = g.canvas;
      c2.onwheel = function (e) {
        e.preventDefault();
        var r = c2.getBoundingClientRect(), at = from + (e.clientX - r.left - pad.l) / plotW * n;
        var k = e.deltaY > 0 ? 1.25 : 0.8, m = Math.max(20, Math.min(T, Math.round(n * k)));
        from = Math.round(Math.max(0, Math.min(T - m, at - (at - from) * m / n))); to = from + m; draw();
      };
      c2.onmousedown = function (e) { drag = { x: e.clientX, from: from }; };
      window.onmouseup = function () { drag = null; };
      c2.onmousemove = function (e) {
        var r = c2.getBoundingClientRect(), mx = e.clientX - r.left, my = e.clientY - r.top;
        if (drag) {
          var shift = Math.round((drag.x - e.clientX) / plotW * n);
          from = Math.max(0, Math.min(T - n, drag.from + shift)); to = from + n; draw(); return;
        }
        var near = null;
        markers.forEach(function (m) { if (Math.abs(m.x - mx) < 7 && Math.abs(m.y - my) < 14) near = m; });
        if (near !== hover) { hover = near; draw(); }
      };
    }
    draw();
    return {
      setMode: function (m) { mode = m; draw(); },
      mode: function () { return mode; },
      zoom: function (a, b) { from = Math.max(0, a); to = Math.min(T, b); draw(); },
      redraw: draw,
    };
  };

  // The units held after each bar, from the trades (long positive, short negative).
  L.positions = function (trades, bars) {
    var p = new Array(bars).fill(0);
    trades.forEach(function (tr) {
      var end = tr.open ? tr.exit + 1 : tr.exit;
      for (var t = tr.entry; t < end && t < bars; t++) p[t] += tr.short ? -tr.size : tr.size;
    });
    return p;
  };
})();
