// Lunar's charts, shared by the live page (lunar watch --serve) and report.html: one file per
// chart kind, plain scripts (no build step) that add their function to window.Lunar.
// This file: the canvas set-up every chart uses, number formats, and HTML escaping.
(function () {
  "use strict";
  var L = window.Lunar = window.Lunar || {};

  // A canvas filling `el`'s width at the device's pixel ratio (sharp on high-DPI screens).
  L.canvas = function (el, height) {
    var c = el.querySelector("canvas") || el.appendChild(document.createElement("canvas"));
    var w = Math.max(200, el.clientWidth || 800), r = window.devicePixelRatio || 1;
    c.width = Math.round(w * r); c.height = Math.round(height * r);
    c.style.width = w + "px"; c.style.height = height + "px";
    var ctx = c.getContext("2d");
    ctx.setTransform(r, 0, 0, r, 0, 0);
    return { canvas: c, ctx: ctx, w: w, h: height };
  };

  L.pct = function (v, d) { return v == null || !isFinite(v) ? "n/a" : (v * 100).toFixed(d == null ? 2 : d) + " %"; };
  L.num = function (v, d) { return v == null || !isFinite(v) ? "n/a" : v.toFixed(d == null ? 2 : d); };
  L.compact = function (v) {
    if (v == null || !isFinite(v)) return "n/a";
    var a = Math.abs(v);
    return a >= 1e9 ? (v / 1e9).toFixed(2) + "G" : a >= 1e6 ? (v / 1e6).toFixed(2) + "M" : a >= 1e4 ? (v / 1e3).toFixed(1) + "k" : v.toFixed(2);
  };
  // Text that goes into HTML: a strategy or symbol name may hold markup.
  L.esc = function (s) {
    return String(s).replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; });
  };
  // The range of the finite values of several series over [from, to).
  L.extent = function (series, from, to) {
    var lo = Infinity, hi = -Infinity;
    series.forEach(function (s) {
      if (!s) return;
      for (var t = from; t < to; t++) { var v = s[t]; if (v != null && isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; } }
    });
    if (!isFinite(lo)) { lo = 0; hi = 1; }
    if (hi === lo) { hi += 1; lo -= 1; }
    return [lo, hi];
  };
  // Float32 arrays packed as base64 (report.html embeds every symbol's prices this way); NaN stays NaN.
  L.unpack = function (b64) {
    var bin = atob(b64), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return Array.prototype.slice.call(new Float32Array(bytes.buffer));
  };
})();
