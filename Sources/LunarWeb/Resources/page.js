// The live page of `lunar watch --serve`: listens to the server's events and redraws. Every
// name from the strategy or the data goes in as text (textContent or Lunar.esc), never as HTML;
// the chart fragments are the report's HTML, escaped by the server.
(function () {
  "use strict";
  var L = window.Lunar, $ = function (id) { return document.getElementById(id); };
  var token = new URLSearchParams(location.search).get("token");
  var url = function (p) { return token ? p + (p.indexOf("?") < 0 ? "?" : "&") + "token=" + encodeURIComponent(token) : p; };
  var state = { result: null, symbol: 0, chart: null, sort: {} };

  var formats = {
    fraction: function (v) { return L.pct(v); }, ratio: function (v) { return L.num(v, 3); },
    count: function (v) { return v == null ? "n/a" : String(v); }, bars: function (v) { return v == null ? "n/a" : String(v); },
    money: function (v) { return L.num(v, 2); }, text: null,
  };

  function showResult(r) {
    state.result = r;
    $("error").hidden = true;
    $("name").textContent = r.strategy;
    $("sub").textContent = r.path + " · " + r.data + (r.settings ? " · " + r.settings : "");
    $("status").textContent = "run " + r.run + (r.changed.length ? " after saving " + r.changed.join(", ") : "") +
      " · " + (r.seconds * 1000).toFixed(1) + " ms";
    $("cards").innerHTML = r.cards.map(function (c) {
      var d = c.previous == null ? "" : '<div class="d ' + c.change + '">' + (c.change === "same" ? "unchanged" : "was " + L.esc(c.previous)) + "</div>";
      return '<div class="card" data-key="' + L.esc(c.key) + '"><div class="k">' + L.esc(c.label) + '</div><div class="v">' + L.esc(c.text) + "</div>" + d + "</div>";
    }).join("");
    $("equity").innerHTML = r.equity;
    $("drawdown").innerHTML = r.drawdown;
    $("months").innerHTML = r.months;
    var columns = r.table.columns.map(function (c) { return { key: c.key, label: c.label, format: formats[c.unit] }; });
    L.symbolTable($("symbols"), { columns: columns, rows: r.table.rows }, function (i) { state.symbol = i; loadSymbol(); }, state.sort);
    showParams(r.params);
    document.body.dataset.run = r.run;
    loadSymbol();
  }

  function showParams(params) {
    var box = $("params");
    if (box.dataset.names === params.map(function (p) { return p.name; }).join(",") && box.contains(document.activeElement)) return;
    box.dataset.names = params.map(function (p) { return p.name; }).join(",");
    box.innerHTML = "";
    params.forEach(function (p) {
      var label = box.appendChild(document.createElement("label"));
      label.appendChild(document.createTextNode(p.name + " "));
      var input = label.appendChild(document.createElement("input"));
      input.name = p.name;
      if (p.kind === "number") {
        input.type = "range"; input.min = p.min; input.max = p.max; input.step = p.step; input.value = p.value;
        if (!p.declared) label.title = "no declared range: ranges = { " + p.name + " = {min, max} } in the strategy sets one";
        var out = label.appendChild(document.createElement("output"));
        out.textContent = p.value;
        input.oninput = function () { out.textContent = input.value; };
        input.onchange = rerun;
      } else if (p.kind === "bool") {
        input.type = "checkbox"; input.checked = p.value === "true"; input.onchange = rerun;
      } else {
        input.value = p.value; input.onchange = rerun;
      }
    });
  }

  // Runs again with the page's parameters; the result arrives as the next event.
  function rerun() {
    var params = {};
    Array.prototype.forEach.call($("params").querySelectorAll("input"), function (i) {
      params[i.name] = i.type === "checkbox" ? String(i.checked) : i.value;
    });
    fetch(url("/api/run"), { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ params: params }) });
  }

  function loadSymbol() {
    var r = state.result, i = Math.min(state.symbol, r.table.rows.length - 1);
    if (i < 0) return;
    fetch(url("/api/symbol/" + i)).then(function (res) { return res.json(); }).then(function (d) {
      d.dates = r.dates;
      $("price-symbol").textContent = d.symbol;
      state.chart = L.priceChart($("price"), d, { mode: state.chart ? state.chart.mode() : undefined });
      $("price-mode").textContent = state.chart.mode() === "candles" ? "line" : "candles";
      document.body.dataset.symbol = d.symbol;
    });
  }

  $("price-mode").onclick = function () {
    if (!state.chart) return;
    state.chart.setMode(state.chart.mode() === "candles" ? "line" : "candles");
    $("price-mode").textContent = state.chart.mode() === "candles" ? "line" : "candles";
  };
  window.addEventListener("resize", function () { if (state.chart) state.chart.redraw(); });

  var events = new EventSource(url("/events"));
  events.addEventListener("result", function (e) { showResult(JSON.parse(e.data)); });
  events.addEventListener("failure", function (e) {
    var f = JSON.parse(e.data);
    $("error").hidden = false;
    $("error").textContent = f.message + "\n(the page keeps the last good result; fix and save to re-run)";
    document.body.dataset.error = "1";
  });
  events.addEventListener("result", function () { delete document.body.dataset.error; });
  events.onerror = function () { $("status").textContent = "disconnected from lunar watch; retrying…"; };
})();
