import LunarData
import LunarSim

// How reports speak of the universe: what listed, delisted, joined and left in the window,
// each symbol's status, and the survivorship comparison. One wording for the console, the
// JSON summary, symbols.csv and the HTML report.

/// The same strategy on the full universe and on the survivors only (the symbols still listed
/// at the end): how much a survivors-only backtest would have flattered it.
public struct Survivorship: Sendable, Equatable {
    public var survivors: Int
    public var delisted: Int
    public var fullReturn: Double, survivorsReturn: Double
    public var fullCAGR: Double, survivorsCAGR: Double
    public var fullSharpe: Double, survivorsSharpe: Double
    public init(survivors: Int, delisted: Int, full: Metrics, survivorsOnly: Metrics) {
        self.survivors = survivors; self.delisted = delisted
        fullReturn = full.totalReturn; survivorsReturn = survivorsOnly.totalReturn
        fullCAGR = full.cagr; survivorsCAGR = survivorsOnly.cagr
        fullSharpe = full.sharpe; survivorsSharpe = survivorsOnly.sharpe
    }
    /// Survivors-only minus full universe, in total return (a fraction).
    public var bias: Double { survivorsReturn - fullReturn }
}

public enum UniverseReport {
    /// "12 listed · 30 delisted · 4 joined · 3 left", or nil when nothing happened.
    public static func line(_ panel: Panel) -> String? {
        let u = panel.universeSummary
        let parts = [(u.listed, "listed"), (u.delisted, "delisted"), (u.joined, "joined"), (u.left, "left")]
        guard parts.contains(where: { $0.0 > 0 }) || panel.universe.membership != nil else { return nil }
        var text = parts.map { "\($0.0) \($0.1)" }.joined(separator: " · ")
        if !u.membersWithoutData.isEmpty { text += " · \(u.membersWithoutData.count) members without data" }
        return text
    }

    /// Each symbol's status in the window: `delisted DATE`, `listed DATE`, `left the universe N
    /// times` (trades closed when it left), joined by "; "; empty when it traded the whole window.
    public static func statuses(_ r: RunReport) -> [String] {
        let daily = r.panel.isDaily
        var left = [Int](repeating: 0, count: r.panel.symbolCount)
        for t in r.trades where t.exitReason == .leftUniverse { left[t.symbol] += 1 }
        return r.panel.lifecycle.enumerated().map { s, life in
            var parts: [String] = []
            if life.firstBar > 0 { parts.append("listed " + Calendar.format(r.panel.timestamps[life.firstBar], daily: daily)) }
            if life.firstBar < 0 { parts.append("no data") }
            if life.delisted { parts.append("delisted " + Calendar.format(r.panel.timestamps[life.lastBar], daily: daily)) }
            if left[s] > 0 { parts.append(left[s] == 1 ? "left the universe once" : "left the universe \(left[s]) times") }
            return parts.joined(separator: "; ")
        }
    }

    /// The comparison in one line for the console and the HTML report.
    public static func line(_ s: Survivorship) -> String {
        "survivors only (\(s.survivors) symbols): " + MetricFormat.text("total_return", s.survivorsReturn) +
            " vs full universe (\(s.delisted) delisted): " + MetricFormat.text("total_return", s.fullReturn) +
            " · bias " + MetricFormat.text(s.bias, unit: .fraction, digits: 2) +
            " · Sharpe " + MetricFormat.text("sharpe", s.survivorsSharpe) + " vs " + MetricFormat.text("sharpe", s.fullSharpe)
    }

    /// The JSON members `universe` and, when compared, `survivorship`.
    static func json(_ r: RunReport) -> [String] {
        let u = r.panel.universeSummary
        var lines = ["  \"universe\": {\"symbols\": \(u.symbols), \"listed\": \(u.listed), \"delisted\": \(u.delisted), " +
                     "\"joined\": \(u.joined), \"left\": \(u.left), \"members_without_data\": \(u.membersWithoutData.count)}"]
        if let s = r.survivorship {
            lines.append("  \"survivorship\": {\"survivors\": \(s.survivors), \"delisted\": \(s.delisted), " +
                "\"total_return\": \(MetricFormat.json("total_return", s.fullReturn)), " +
                "\"survivors_total_return\": \(MetricFormat.json("total_return", s.survivorsReturn)), " +
                "\"cagr\": \(MetricFormat.json("cagr", s.fullCAGR)), \"survivors_cagr\": \(MetricFormat.json("cagr", s.survivorsCAGR)), " +
                "\"sharpe\": \(MetricFormat.json("sharpe", s.fullSharpe)), \"survivors_sharpe\": \(MetricFormat.json("sharpe", s.survivorsSharpe)), " +
                "\"bias\": \(MetricFormat.json("total_return", s.bias))}")
        }
        return lines
    }
}
