import Foundation
import Lunar

/// The JSON the live page draws from. The equity and drawdown charts and the monthly table are
/// the report's own HTML (`HTMLReport.fragments`), so the page and report.html show the same
/// figures drawn by the same code; the price chart is `charts/price.js` in both.
enum LivePayload {
    /// The summary cards: metric key and label, in the report's order.
    static let cards: [(key: String, label: String)] = [
        ("total_return", "Total return"), ("benchmark_return", "Benchmark"), ("cagr", "CAGR"), ("sharpe", "Sharpe"),
        ("sortino", "Sortino"), ("max_drawdown", "Max drawdown"), ("volatility", "Volatility"), ("trades", "Trades"),
        ("win_rate", "Win rate"), ("profit_factor", "Profit factor"), ("exposure", "Exposure"), ("final_equity", "Final equity"),
    ]

    /// The symbol table's metric columns, after the symbol.
    static let columns: [(key: String, label: String)] = [
        ("total_return", "Return"), ("cagr", "CAGR"), ("sharpe", "Sharpe"), ("max_drawdown", "Max DD"),
        ("trades", "Trades"), ("win_rate", "Win rate"), ("exposure", "Exposure"),
    ]

    static func result(_ r: BacktestResult, previous: BacktestResult?, run: Int, changed: [String], seconds: Double) -> [String: Any] {
        let report = r.report
        let fragments = HTMLReport.fragments(report)
        let dates = r.panel.timestamps.map { Calendar.format($0, daily: r.panel.isDaily) }
        let cards: [[String: Any]] = cards.map { c in
            let now = r.portfolio.value(c.key), before = previous?.portfolio.value(c.key)
            var card: [String: Any] = ["key": c.key, "label": c.label, "text": MetricFormat.text(c.key, now)]
            if let before, let info = Metrics.info(c.key) {
                card["previous"] = MetricFormat.text(c.key, before)
                card["change"] = info.direction.judge(from: before, to: now).rawValue
            }
            return card
        }
        let params: [[String: Any]] = r.strategy.params.map { p in
            var out: [String: Any] = ["name": p.name, "value": p.value.description]
            switch p.value {
            case .number(let v):
                out["kind"] = "number"
                // Declared bounds, else a span around the default (the page says which).
                let range = r.strategy.ranges[p.name]
                out["min"] = range?.min ?? (v > 0 ? 0 : v * 3 - 1)
                out["max"] = range?.max ?? (v > 0 ? v * 3 : 1)
                out["step"] = range?.step ?? (v == v.rounded() ? 1 : abs(v) / 20)
                out["declared"] = range != nil
            case .bool: out["kind"] = "bool"
            case .string: out["kind"] = "string"
            }
            return out
        }
        let rows: [[Any]] = r.symbolMetrics.enumerated().map { s, m in
            [r.panel.symbols[s]] + columns.map { json(m.value($0.key)) }
        }
        return ["run": run, "seconds": seconds, "changed": changed.map { URL(fileURLWithPath: $0).lastPathComponent },
                "strategy": r.strategy.name, "path": r.strategy.path,
                "data": "\(r.panel.symbolCount) symbols × \(r.panel.barCount) bars · \(dates.first ?? "-") → \(dates.last ?? "-")",
                "settings": r.settingsSummary, "params": params, "cards": cards,
                "equity": fragments.equity, "drawdown": fragments.drawdown, "months": fragments.months,
                "table": ["columns": [["key": "symbol", "label": "Symbol", "unit": "text"]] + columns.map {
                              ["key": $0.key, "label": $0.label, "unit": Metrics.info($0.key)?.unit.rawValue ?? "ratio"]
                          },
                          "rows": rows],
                "dates": dates]
    }

    /// The named indicators of `r`'s strategy for one symbol: evaluated on that symbol alone,
    /// or on the whole universe when one of them is cross-sectional.
    static func indicators(_ r: BacktestResult, symbol s: Int) throws -> [(name: String, values: [Double])] {
        let named = r.strategy.indicators
        guard !named.isEmpty else { return [] }
        let nodes = named.map(\.node)
        let crossSectional = r.strategy.graph.isCrossSectional(nodes)
        let T = r.panel.barCount
        let panel = crossSectional ? r.panel : r.panel.selecting(symbols: [s])
        let values = try Evaluation.evaluate(r.strategy.graph, outputs: nodes, panel: panel, engine: .fused, threads: 1)
        let row = crossSectional ? s : 0
        return named.map { ($0.name, Array(values[$0.node]![row * T ..< (row + 1) * T])) }
    }

    static func json(_ v: Double) -> Any { v.isFinite ? v : NSNull() }

    /// Compact JSON text (no newline: one SSE data line), as report.html embeds it.
    static func json(_ object: Any) -> String { HTMLReport.scriptJSON(object) }
}
