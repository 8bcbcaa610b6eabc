// The symbol table: click a header to sort (again: the other way), type to filter, click a row
// to pick the symbol. Cells are text, never HTML: a symbol named <script> stays text.
(function () {
  "use strict";
  var L = window.Lunar = window.Lunar || {};

  // spec: {columns: [{key, label, format}], rows: [[symbol, values…]]}; onPick(rowIndex).
  // `sort` ({by, descending}) is kept up to date, so a redrawn table can sort as the last did.
  L.symbolTable = function (el, spec, onPick, sort) {
    sort = sort || {};
    var sortBy = sort.by == null ? -1 : sort.by, descending = sort.descending !== false, filter = sort.filter || "";
    el.innerHTML = "";
    var input = el.appendChild(document.createElement("input"));
    input.type = "search"; input.placeholder = "filter symbols"; input.className = "filter";
    var table = el.appendChild(document.createElement("table"));
    table.className = "symbols";
    var head = table.createTHead().insertRow(), body = table.createTBody();
    spec.columns.forEach(function (c, k) {
      var th = document.createElement("th");
      th.textContent = c.label; th.dataset.key = c.key;
      th.onclick = function () { descending = sortBy === k ? !descending : k > 0; sortBy = k; sort.by = k; sort.descending = descending; fill(); };
      head.appendChild(th);
    });
    input.value = filter;
    input.oninput = function () { filter = sort.filter = input.value.toLowerCase(); fill(); };
    function fill() {
      var order = spec.rows.map(function (_, i) { return i; }).filter(function (i) { return String(spec.rows[i][0]).toLowerCase().indexOf(filter) >= 0; });
      if (sortBy >= 0) {
        order.sort(function (a, b) {
          var x = spec.rows[a][sortBy], y = spec.rows[b][sortBy];
          if (x == null || (typeof x === "number" && isNaN(x))) return 1;
          if (y == null || (typeof y === "number" && isNaN(y))) return -1;
          var d = typeof x === "number" ? x - y : String(x).localeCompare(String(y));
          return (descending ? -d : d) || a - b;
        });
      }
      Array.prototype.forEach.call(head.cells, function (th, k) { th.className = k === sortBy ? (descending ? "desc" : "asc") : ""; });
      body.innerHTML = "";
      order.forEach(function (i) {
        var tr = body.insertRow();
        spec.rows[i].forEach(function (v, k) {
          var td = tr.insertCell();
          td.textContent = spec.columns[k].format ? spec.columns[k].format(v) : v;
          if (typeof v === "number") { td.dataset.v = v; td.className = "n"; }
        });
        tr.onclick = function () { onPick(i); };
      });
    }
    fill();
  };
})();
