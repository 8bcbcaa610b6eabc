import Foundation
import LunarData
import LunarSim

/// One self-contained HTML page (inline SVG, CSS and a few lines of JS; no network): equity and
/// drawdown against the benchmark, a monthly returns heatmap, a sortable per-symbol table and
/// the trade list.
public enum HTMLReport {
    /// The trade list shows at most this many rows (trades.csv has them all).
    public static let maxTradeRows = 5000

    public static func render(_ r: RunReport) -> String {
        let m = r.portfolio
        let daily = r.panel.isDaily
        let dates = r.panel.timestamps.map { Calendar.format($0, daily: daily) }
        let first = dates.first ?? "-", last = dates.last ?? "-"
        var h = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(esc(r.strategyName)) — Lunar report</title>
        <style>\(css)</style></head><body>
        <header><h1>\(esc(r.strategyName))</h1>
        <p class="sub">\(esc(r.strategyPath)) · \(r.panel.symbolCount) symbols × \(r.panel.barCount) bars · \(first) → \(last)</p>
        """
        if !r.params.isEmpty {
            h += "<p class=\"sub\">params: " + r.params.map { esc("\($0.0)=\($0.1)") }.joined(separator: " · ") + "</p>"
        }
        if !r.settings.isEmpty { h += "<p class=\"sub\">simulation: \(esc(r.settings))</p>" }
        if let u = UniverseReport.line(r.panel) { h += "<p class=\"sub\">universe: \(esc(u))</p>" }
        if let s = r.survivorship { h += "<p class=\"sub\">survivorship: \(esc(UniverseReport.line(s)))</p>" }
        if !r.libraries.isEmpty { h += "<p class=\"sub\">libraries: " + r.libraries.map(esc).joined(separator: " · ") + "</p>" }
        h += "</header>\n<section class=\"cards\">"
        func v(_ key: String) -> String { MetricFormat.text(key, m.value(key)) }
        let cards: [(String, String)] = [
            ("Total return", v("total_return")), ("Benchmark", v("benchmark_return")), ("CAGR", v("cagr")),
            ("Volatility", v("volatility")), ("Sharpe", v("sharpe")), ("Sortino", v("sortino")),
            ("Calmar", v("calmar")), ("Max drawdown", v("max_drawdown")), ("Longest drawdown", v("max_drawdown_bars")),
            ("Trades", "\(v("closed_trades")) closed, \(v("open_trades")) open"), ("Win rate", v("win_rate")),
            ("Profit factor", v("profit_factor")), ("Expectancy", v("expectancy")), ("SQN", v("sqn")),
            ("Exposure", v("exposure")), ("Turnover / yr", v("turnover")), ("Fees paid", v("fees_paid")),
            ("Alpha / yr", v("alpha")), ("Beta", v("beta")), ("Final equity", v("final_equity")),
        ]
        for (k, v) in cards { h += "<div class=\"card\"><div class=\"k\">\(esc(k))</div><div class=\"v\">\(esc(v))</div></div>" }
        h += "</section>\n"

        let charts = fragments(r)
        h += "<h2>Equity</h2>\n" + charts.equity
        h += "<h2>Drawdown</h2>\n" + charts.drawdown
        h += "<h2>Monthly returns</h2>\n" + charts.months
        h += "<h2>Symbols</h2>\n" + symbolTable(r)
        h += priceSection(r, dates: dates)
        h += "<h2>Trades</h2>\n" + tradeTable(r, dates: dates)
        h += "<footer>Lunar · all figures as defined in docs/semantics.md</footer>\n<script>\(js)</script>\n"
        h += ChartScripts.inline + "<script>\(priceJS)</script></body></html>\n"
        return h
    }

    /// Every symbol's prices, trades and position, embedded compactly (`PriceChartData.packed`)
    /// and drawn on demand by the same price chart as the live page: the symbol clicked in the
    /// table above.
    static func priceSection(_ r: RunReport, dates: [String]) -> String {
        guard r.panel.symbolCount > 0 else { return "" }
        let data: [String: Any] = ["dates": dates, "symbols": (0 ..< r.panel.symbolCount).map { PriceChartData.packed(r, symbol: $0) }]
        return "<h2>Prices and trades</h2>\n<p class=\"sub\">Click a symbol in the table above; the wheel zooms, dragging pans, " +
            "a marker shows its trade. <b id=\"price-symbol\"></b> <button id=\"price-mode\" type=\"button\">line</button></p>\n" +
            "<div id=\"price\" class=\"price\"></div>\n<script type=\"application/json\" id=\"lunar-prices\">" + scriptJSON(data) + "</script>\n"
    }

    /// JSON to embed in a `<script>` element: `<` escaped, so no value can end the element.
    public static func scriptJSON(_ object: Any) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("null".utf8)
        return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "<", with: "\\u003c")
    }

    // MARK: - charts

    /// The equity and drawdown charts (against the benchmark) and the monthly returns table, as
    /// HTML: the report's, and the live page's (`lunar watch --serve`).
    public static func fragments(_ r: RunReport) -> (equity: String, drawdown: String, months: String) {
        let dates = r.panel.timestamps.map { Calendar.format($0, daily: r.panel.isDaily) }
        let bench = r.benchmark.count == r.equity.count ? r.benchmark : []
        let benchLabel = r.benchmarkName.isEmpty ? "benchmark" : r.benchmarkName
        return (lineChart(series: [(r.equity, "#2563eb", "strategy"), (bench, "#9ca3af", benchLabel)], dates: dates, percent: false),
                lineChart(series: [(drawdown(r.equity), "#dc2626", "strategy"), (drawdown(bench), "#9ca3af", benchLabel)],
                          dates: dates, percent: true),
                monthly(r))
    }

    static func drawdown(_ v: [Double]) -> [Double] {
        var peak = -Double.infinity
        return v.map { x in peak = max(peak, x); return x / peak - 1 }
    }

    /// An SVG line chart of up to a few series sharing the y axis; at most ~1200 points each.
    static func lineChart(series: [([Double], String, String)], dates: [String], percent: Bool) -> String {
        let W = 1000.0, H = 260.0, left = 70.0, right = 10.0, top = 10.0, bottom = 26.0
        let used = series.filter { !$0.0.isEmpty }
        var lo = Double.infinity, hi = -Double.infinity
        for (s, _, _) in used { for x in s where x.isFinite { lo = min(lo, x); hi = max(hi, x) } }
        guard lo.isFinite, hi.isFinite, !dates.isEmpty else { return "<p class=\"sub\">no data</p>" }
        if percent { hi = max(hi, 0) }
        if hi == lo { hi += 1; lo -= 1 }
        let T = dates.count
        func x(_ t: Int) -> Double { left + (W - left - right) * (T > 1 ? Double(t) / Double(T - 1) : 0) }
        func y(_ v: Double) -> Double { top + (H - top - bottom) * (hi - v) / (hi - lo) }
        var svg = "<svg class=\"chart\" viewBox=\"0 0 \(Int(W)) \(Int(H))\" role=\"img\">"
        for i in 0 ... 4 {
            let v = lo + (hi - lo) * Double(i) / 4
            let yy = fmt(y(v))
            svg += "<line x1=\"\(Int(left))\" x2=\"\(Int(W - right))\" y1=\"\(yy)\" y2=\"\(yy)\" class=\"grid\"/>"
            svg += "<text x=\"\(Int(left) - 6)\" y=\"\(yy)\" class=\"ylab\">\(esc(percent ? pct(v, 1) : compact(v)))</text>"
        }
        for i in 0 ... 5 {
            let t = (T - 1) * i / 5
            let anchor = i == 0 ? "start" : (i == 5 ? "end" : "middle")   // keep the end labels inside the chart
            svg += "<text x=\(q(fmt(x(t)))) y=\"\(Int(H) - 6)\" class=\"xlab\" text-anchor=\"\(anchor)\">\(esc(dates[t]))</text>"
        }
        let step = max(1, T / 1200)
        for (s, color, _) in used.reversed() {
            var d = ""
            var pen = false
            for t in stride(from: 0, to: T, by: step) + (T > 0 && (T - 1) % step != 0 ? [T - 1] : []) {
                let v = s[t]
                if !v.isFinite { pen = false; continue }
                d += (pen ? "L" : "M") + fmt(x(t)) + "," + fmt(y(v))
                pen = true
            }
            svg += "<path d=\"\(d)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\"/>"
        }
        svg += "</svg>"
        var legend = "<div class=\"legend\">"
        for (_, color, name) in used { legend += "<span><i style=\"background:\(color)\"></i>\(esc(name))</span>" }
        return svg + legend + "</div>\n"
    }

    /// Years × months of portfolio returns (from month-end values), coloured red to green.
    static func monthly(_ r: RunReport) -> String {
        guard !r.equity.isEmpty else { return "" }
        // Month-end values, keyed by year*12 + month − 1.
        var ends: [(Int, Double)] = []
        for (t, ts) in r.panel.timestamps.enumerated() {
            let (y, mo, _) = Calendar.civilFromDays(ts >= 0 ? ts / 86_400 : (ts - 86_399) / 86_400)
            let key = y * 12 + mo - 1
            if let lastKey = ends.last?.0, lastKey == key { ends[ends.count - 1].1 = r.equity[t] } else { ends.append((key, r.equity[t])) }
        }
        var returns: [Int: Double] = [:]
        var prev = r.equity.isEmpty ? 0 : r.portfolio.finalEquity / (1 + r.portfolio.totalReturn)   // the initial value
        for (k, v) in ends { returns[k] = v / prev - 1; prev = v }
        let years = Array(Set(ends.map { $0.0 / 12 })).sorted()
        var h = "<table class=\"heat\"><thead><tr><th>Year</th>"
        for name in ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Year"] { h += "<th>\(name)</th>" }
        h += "</tr></thead><tbody>"
        for y in years {
            h += "<tr><th>\(y)</th>"
            var yearGrowth = 1.0, any = false
            for mo in 0 ..< 12 {
                if let v = returns[y * 12 + mo] {
                    yearGrowth *= 1 + v; any = true
                    h += "<td style=\"background:\(heat(v))\">\(esc(pct(v, 1)))</td>"
                } else {
                    h += "<td></td>"
                }
            }
            let yr = yearGrowth - 1
            h += any ? "<td style=\"background:\(heat(yr / 4))\"><b>\(esc(pct(yr, 1)))</b></td>" : "<td></td>"
            h += "</tr>"
        }
        return h + "</tbody></table>\n"
    }

    /// A colour for a return: red for losses, green for gains, saturating at ±10 %.
    static func heat(_ v: Double) -> String {
        guard v.isFinite else { return "#fff" }
        let a = min(1, abs(v) / 0.10)
        let (r, g, b) = v >= 0 ? (22, 163, 74) : (220, 38, 38)
        return "rgba(\(r),\(g),\(b),\(fmt(0.08 + 0.72 * a)))"
    }

    static func symbolTable(_ r: RunReport) -> String {
        let cols: [(String, String)] = [("Return", "total_return"), ("CAGR", "cagr"), ("Sharpe", "sharpe"), ("Max DD", "max_drawdown"),
                                        ("Trades", "closed_trades"), ("Open", "open_trades"), ("Win rate", "win_rate"),
                                        ("Profit factor", "profit_factor"), ("Exposure", "exposure"), ("Fees", "fees_paid")]
        var h = "<table class=\"sortable\"><thead><tr><th data-col=\"0\">Symbol</th><th data-col=\"1\">Status</th>"
        for (i, c) in cols.enumerated() { h += "<th data-col=\"\(i + 2)\">\(c.0)</th>" }
        h += "</tr></thead><tbody>"
        let status = UniverseReport.statuses(r)
        for (s, m) in r.symbolMetrics.enumerated() {
            h += "<tr data-s=\"\(s)\"><td>\(esc(r.panel.symbols[s]))</td><td>\(esc(status[s]))</td>"
            for (_, key) in cols {
                let v = m.value(key)
                h += "<td data-v=\"\(sortKey(v))\">\(esc(MetricFormat.text(key, v)))</td>"
            }
            h += "</tr>"
        }
        return h + "</tbody></table>\n"
    }

    static func tradeTable(_ r: RunReport, dates: [String]) -> String {
        let cols = ["Symbol", "Side", "Entry", "Exit", "Entry price", "Exit price", "Size", "PnL", "Return", "Fees", "Exit reason"]
        var h = ""
        if r.trades.count > maxTradeRows {
            h += "<p class=\"sub\">showing the first \(maxTradeRows) of \(r.trades.count) trades; trades.csv lists them all</p>"
        }
        h += "<table class=\"sortable\"><thead><tr>"
        for (i, c) in cols.enumerated() { h += "<th data-col=\"\(i)\">\(c)</th>" }
        h += "</tr></thead><tbody>"
        for t in r.trades.prefix(maxTradeRows) {
            h += "<tr\(t.isOpen ? " class=\"open\"" : "")><td>\(esc(r.panel.symbols[t.symbol]))</td><td>\(t.isShort ? "short" : "long")</td>"
            h += "<td>\(dates[t.entryBar])</td><td>\(t.isOpen ? "open" : dates[t.exitBar])</td>"
            let nums: [(String, Double)] = [(num(t.entryPrice, 4), t.entryPrice), (num(t.exitPrice, 4), t.exitPrice),
                                            (num(t.size, 4), t.size), (num(t.pnl, 2), t.pnl), (pct(t.returnFraction), t.returnFraction),
                                            (num(t.entryFees + t.exitFees, 2), t.entryFees + t.exitFees)]
            for (text, v) in nums { h += "<td data-v=\"\(sortKey(v))\" class=\"\(v < 0 ? "neg" : "")\">\(esc(text))</td>" }
            h += "<td>\(t.exitReason.rawValue)</td></tr>"
        }
        return h + "</tbody></table>\n"
    }

    // MARK: - formatting

    static func pct(_ v: Double, _ digits: Int = 2) -> String { MetricFormat.text(v, unit: .fraction, digits: digits) }
    static func num(_ v: Double, _ digits: Int) -> String { MetricFormat.text(v, unit: .ratio, digits: digits) }
    static func fmt(_ v: Double) -> String { ConsoleSummary.fixed(v, 1) }
    static func q(_ s: String) -> String { "\"" + s + "\"" }
    static func sortKey(_ v: Double) -> String { v.isNaN ? "-1e308" : (v.isInfinite ? (v > 0 ? "1e308" : "-1e308") : "\(v)") }
    static func compact(_ v: Double) -> String {
        let a = abs(v)
        if a >= 1e9 { return ConsoleSummary.fixed(v / 1e9, 1) + "B" }
        if a >= 1e6 { return ConsoleSummary.fixed(v / 1e6, 2) + "M" }
        if a >= 1e4 { return ConsoleSummary.fixed(v / 1e3, 0) + "k" }
        return ConsoleSummary.fixed(v, a >= 100 ? 0 : 2)
    }

    /// Text for HTML: `& < > "` escaped (the report's, and the live pages' titles).
    public static func esc(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }

    public static let css = """
    body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1100px;color:#111;padding:0 12px}
    h1{margin:0 0 4px;font-size:22px}h2{margin:28px 0 8px;font-size:17px}.sub{color:#555;margin:2px 0}
    .cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:8px;margin-top:16px}
    .card{border:1px solid #e5e7eb;border-radius:6px;padding:6px 10px}.k{color:#666;font-size:12px}.v{font-size:16px;font-weight:600}
    .chart{width:100%;height:auto;border:1px solid #e5e7eb;border-radius:6px}.grid{stroke:#eee}
    .ylab{font-size:11px;fill:#666;text-anchor:end;dominant-baseline:middle}.xlab{font-size:11px;fill:#666}
    .legend span{margin-right:16px;font-size:12px}.legend i{display:inline-block;width:12px;height:3px;margin-right:4px;vertical-align:middle}
    table{border-collapse:collapse;width:100%;font-size:12px;font-variant-numeric:tabular-nums}
    th,td{padding:3px 6px;border-bottom:1px solid #eee;text-align:right}th:first-child,td:first-child{text-align:left}
    .sortable th{cursor:pointer;user-select:none;background:#f9fafb;position:sticky;top:0}.sortable th:hover{background:#eef2ff}
    .heat td{text-align:center;min-width:52px}.neg{color:#b91c1c}tr.open td{font-style:italic}
    footer{margin:32px 0 8px;color:#888;font-size:12px}.price canvas{border:1px solid #e5e7eb;border-radius:6px;cursor:crosshair}
    """

    /// The price chart of the symbol clicked in the symbol table (charts/price.js draws it).
    static let priceJS = """
    (function(){
      var L=window.Lunar,el=document.getElementById("price"),data=JSON.parse(document.getElementById("lunar-prices").textContent),chart=null;
      var button=document.getElementById("price-mode");
      function show(i){
        var s=data.symbols[i],d={symbol:s.symbol,dates:data.dates,indicators:[],trades:s.trades,position:s.position};
        ["open","high","low","close"].forEach(function(k){if(s[k])d[k]=L.unpack(s[k])});
        document.getElementById("price-symbol").textContent=s.symbol;
        chart=L.priceChart(el,d,{mode:chart?chart.mode():undefined});
        button.textContent=chart.mode()==="candles"?"line":"candles";
      }
      button.addEventListener("click",function(){if(chart){chart.setMode(chart.mode()==="candles"?"line":"candles");button.textContent=chart.mode()==="candles"?"line":"candles"}});
      document.querySelectorAll("tr[data-s]").forEach(function(tr){tr.style.cursor="pointer";tr.addEventListener("click",function(){show(+tr.dataset.s)})});
      show(0);
    })();
    """

    /// Click a header to sort by it; click again to reverse.
    static let js = """
    document.querySelectorAll("table.sortable").forEach(function(t){
      t.querySelectorAll("th").forEach(function(th){
        th.addEventListener("click",function(){
          var i=+th.dataset.col,b=t.tBodies[0],rows=Array.prototype.slice.call(b.rows);
          var asc=th.dataset.dir!=="asc";t.querySelectorAll("th").forEach(function(h){delete h.dataset.dir});th.dataset.dir=asc?"asc":"desc";
          rows.sort(function(x,y){var a=x.cells[i],c=y.cells[i];var u=a.dataset.v,v=c.dataset.v;
            var r=(u!==undefined&&v!==undefined)?(+u)-(+v):a.textContent.localeCompare(c.textContent);return asc?r:-r});
          rows.forEach(function(r){b.appendChild(r)});
        });
      });
    });
    """
}
