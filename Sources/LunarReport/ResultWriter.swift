import Foundation
import LunarData
import LunarSim

/// What a report needs to know about a run, independent of how it was produced.
public struct RunReport: Sendable {
    public var strategyName: String
    public var strategyPath: String
    public var params: [(String, String)]
    public var panel: Panel
    public var equity: [Double]
    public var portfolio: Metrics
    public var symbolMetrics: [Metrics]
    public var trades: [Trade]
    public var symbolEquity: [[Double]]
    /// The benchmark's value at each bar on the same scale as `equity` (empty when none).
    public var benchmark: [Double]
    public var benchmarkName: String
    /// The simulation settings in words (one line).
    public var settings: String

    public init(strategyName: String, strategyPath: String, params: [(String, String)], panel: Panel,
                equity: [Double], portfolio: Metrics, symbolMetrics: [Metrics], trades: [Trade], symbolEquity: [[Double]],
                benchmark: [Double] = [], benchmarkName: String = "", settings: String = "") {
        self.strategyName = strategyName; self.strategyPath = strategyPath; self.params = params
        self.panel = panel; self.equity = equity; self.portfolio = portfolio
        self.symbolMetrics = symbolMetrics; self.trades = trades; self.symbolEquity = symbolEquity
        self.benchmark = benchmark; self.benchmarkName = benchmarkName; self.settings = settings
    }
}

/// Writes summary.json, symbols.csv, trades.csv and equity.csv, each atomically.
public enum ResultWriter {
    public static func write(_ report: RunReport, to dir: String) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        func path(_ name: String) -> String { URL(fileURLWithPath: dir).appendingPathComponent(name).path }
        try AtomicFile.write(summaryJSON(report), to: path("summary.json"))
        try AtomicFile.write(symbolsCSV(report), to: path("symbols.csv"))
        try AtomicFile.write(tradesCSV(report), to: path("trades.csv"))
        try AtomicFile.write(equityCSV(report), to: path("equity.csv"))
        try AtomicFile.write(HTMLReport.render(report), to: path("report.html"))
    }

    /// Portfolio metrics as a JSON object (snake_case keys; counts and bars as integers; NaN as
    /// null), plus the run's identity.
    public static func summaryJSON(_ r: RunReport) -> String {
        var lines = ["  \"strategy\": \(jsonString(r.strategyName))",
                     "  \"strategy_path\": \(jsonString(r.strategyPath))",
                     "  \"params\": {" + r.params.map { "\(jsonString($0.0)): \(jsonString($0.1))" }.joined(separator: ", ") + "}",
                     "  \"symbols\": \(r.panel.symbolCount)",
                     "  \"bars\": \(r.panel.barCount)",
                     "  \"settings\": \(jsonString(r.settings))",
                     "  \"benchmark\": \(jsonString(r.benchmarkName))"]
        for (k, v) in r.portfolio.fields {
            lines.append("  \(jsonString(k)): \(MetricFormat.json(k, v))")
        }
        return "{\n" + lines.joined(separator: ",\n") + "\n}\n"
    }

    public static func symbolsCSV(_ r: RunReport) -> String {
        var out = "symbol," + r.portfolio.fields.map(\.0).joined(separator: ",") + "\n"
        for (s, m) in r.symbolMetrics.enumerated() {
            out += csvField(r.panel.symbols[s])
            for (_, v) in m.fields { out += "," + CSVWriter.formatNumber(v) }
            out += "\n"
        }
        return out
    }

    public static func tradesCSV(_ r: RunReport) -> String {
        var out = "symbol,status,direction,entry_date,exit_date,entry_bar,exit_bar,entry_price,exit_price,size,entry_fees,exit_fees,pnl,return,exit_reason\n"
        let dates = r.panel.timestamps.map { Calendar.format($0, daily: r.panel.isDaily) }
        for t in r.trades {
            let cells = [csvField(r.panel.symbols[t.symbol]), t.isOpen ? "open" : "closed", t.isShort ? "short" : "long",
                         dates[t.entryBar], dates[t.exitBar], String(t.entryBar), String(t.exitBar)] +
                [t.entryPrice, t.exitPrice, t.size, t.entryFees, t.exitFees, t.pnl, t.returnFraction].map(CSVWriter.formatNumber) +
                [t.exitReason.rawValue]
            out += cells.joined(separator: ",") + "\n"
        }
        return out
    }

    /// One row per bar: the date, the portfolio's value, then each symbol's sub-account.
    public static func equityCSV(_ r: RunReport) -> String {
        var out = "date,portfolio," + r.panel.symbols.map(csvField).joined(separator: ",") + "\n"
        out.reserveCapacity(r.equity.count * (r.symbolEquity.count + 1) * 18)
        for t in r.equity.indices {
            out += Calendar.format(r.panel.timestamps[t], daily: r.panel.isDaily)
            out += "," + CSVWriter.formatNumber(r.equity[t])
            for e in r.symbolEquity { out += "," + CSVWriter.formatNumber(e[t]) }
            out += "\n"
        }
        return out
    }

    static func csvField(_ s: String) -> String {
        s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    public static func jsonNumber(_ v: Double) -> String { v.isFinite ? "\(v)" : "null" }

    public static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}
