import LunarData
import LunarSim

/// The summary printed after a run: portfolio metrics, then the best and worst symbols.
/// Fits in 100 columns.
public enum ConsoleSummary {
    public static func render(_ r: RunReport, elapsed: Double? = nil, top: Int = 5) -> String {
        let m = r.portfolio
        let first = r.panel.timestamps.first.map { Calendar.format($0, daily: r.panel.isDaily) } ?? "-"
        let last = r.panel.timestamps.last.map { Calendar.format($0, daily: r.panel.isDaily) } ?? "-"
        var out = fit("\(r.strategyName)  (\(r.strategyPath))") + "\n"
        // Parameters wrap at 100 columns.
        var paramLine = "params   "
        for (k, v) in r.params {
            let item = fit("\(k)=\(v)", 91)
            if paramLine.count > 9 && paramLine.count + 2 + item.count > 100 { out += paramLine + "\n"; paramLine = "         " }
            paramLine += (paramLine.count > 9 ? "  " : "") + item
        }
        if !r.params.isEmpty { out += paramLine + "\n" }
        out += "data     \(r.panel.symbolCount) symbols × \(r.panel.barCount) bars, \(first) → \(last)\n"
        if !r.settings.isEmpty { out += fit("sim      " + r.settings) + "\n" }
        if let u = UniverseReport.line(r.panel) { out += fit("universe " + u) + "\n" }
        if let s = r.survivorship { out += fit("bias     " + UniverseReport.line(s)) + "\n" }
        out += "\n"
        let bench = r.benchmarkName.isEmpty ? "Benchmark" : "vs " + String(r.benchmarkName.prefix(13))
        // Three columns of (label, value) pairs, 33 columns each: 99 in all. Values in their units.
        func v(_ key: String, digits: Int? = nil) -> String { MetricFormat.text(key, m.value(key), digits: digits) }
        let rows: [[(String, String)]] = [
            [("Total return", v("total_return")), ("Trades", "\(m.closedTrades) + \(m.openTrades) open"), (bench, v("benchmark_return"))],
            [("CAGR", v("cagr")), ("Win rate", v("win_rate")), ("Excess return", v("excess_return"))],
            [("Volatility", v("volatility")), ("Profit factor", v("profit_factor")), ("Alpha / yr", v("alpha"))],
            [("Sharpe", v("sharpe")), ("Expectancy", v("expectancy")), ("Beta", v("beta"))],
            [("Sortino", v("sortino")), ("Avg win / loss", v("avg_win", digits: 0) + " / " + v("avg_loss", digits: 0)), ("Exposure", v("exposure"))],
            [("Calmar", v("calmar")), ("Best / worst", v("best_trade", digits: 0) + " / " + v("worst_trade", digits: 0)), ("Turnover / yr", v("turnover"))],
            [("Max drawdown", v("max_drawdown")), ("SQN", v("sqn")), ("Fees paid", v("fees_paid"))],
            [("Longest DD", v("max_drawdown_bars")), ("", ""), ("Final equity", v("final_equity"))],
        ]
        for row in rows {
            var line = ""
            for (k, v) in row { line += k.isEmpty ? String(repeating: " ", count: 33) : pad(k, 15) + leftPad(v, 16) + "  " }
            while line.hasSuffix(" ") { line.removeLast() }
            out += line + "\n"
        }
        let ranked = r.symbolMetrics.indices.filter { !r.symbolMetrics[$0].totalReturn.isNaN }
            .sorted { r.symbolMetrics[$0].totalReturn > r.symbolMetrics[$1].totalReturn }
        if ranked.count > 1 {
            let n = max(1, min(top, ranked.count / 2))
            out += "\n" + pad("Best symbols", 33) + "Worst symbols\n"
            let best = Array(ranked.prefix(n)), worst = Array(ranked.suffix(n).reversed())
            for i in 0 ..< n {
                out += pad(line(r, best[i]), 33) + line(r, worst[i]) + "\n"
            }
        }
        if let elapsed { out += "\n" + "ran in \(fixed(elapsed * 1000, 1)) ms\n" }
        return out
    }

    static func line(_ r: RunReport, _ s: Int) -> String {
        let m = r.symbolMetrics[s]
        return pad(String(r.panel.symbols[s].prefix(12)), 12) + leftPad(MetricFormat.text("total_return", m.totalReturn), 10) + leftPad("\(m.trades) tr", 8)
    }

    /// Cuts `s` to `width` columns, ending in "…" when cut.
    static func fit(_ s: String, _ width: Int = 100) -> String { s.count <= width ? s : String(s.prefix(width - 1)) + "…" }

    /// A fraction as a percentage (see `MetricFormat`, which shows each metric in its own unit).
    public static func percent(_ v: Double, _ digits: Int = 2) -> String { MetricFormat.text(v, unit: .fraction, digits: digits) }

    public static func fixed(_ v: Double, _ digits: Int) -> String {
        guard v.isFinite else { return "n/a" }
        var p = 1.0
        for _ in 0 ..< digits { p *= 10 }
        let scaled = (abs(v) * p).rounded()
        let intPart = Int64(scaled / p)
        var frac = String(Int64(scaled) - intPart * Int64(p))
        while frac.count < digits { frac = "0" + frac }
        let sign = v < 0 && scaled > 0 ? "-" : ""
        return digits == 0 ? sign + String(intPart) : "\(sign)\(intPart).\(frac)"
    }

    /// `s` left-aligned in `w` columns (with one space after it when it fills them).
    public static func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s + " " : s + String(repeating: " ", count: w - s.count) }
    /// `s` right-aligned in `w` columns.
    public static func leftPad(_ s: String, _ w: Int) -> String { s.count >= w ? s : String(repeating: " ", count: w - s.count) + s }
}
