import Foundation
import LunarData
import LunarEngine
import LunarGraph
import LunarTestSupport
import Testing

/// `bars:timeframe(tf)` against pandas: each period's aggregates (`resample` with bins closed
/// and labelled on the left) and the aligned values at every base bar (`merge_asof` backward on
/// each period's completion time), from tools/golden/resample_golden.py (pinned pandas; see
/// tools/golden/make_resample_golden.sh). Both engines are checked, exactly: aggregation is
/// first/max/min/last/sum over the same values in the same order.
@Suite("Timeframes against pandas")
struct ResampleGoldenTests {
    static let folder = Fixtures.path("Tests/Fixtures/golden/resample")
    static let fields = ["open", "high", "low", "close", "volume"]

    struct Case: Sendable, CustomStringConvertible {
        let name: String, data: String, timezone: String, timeframes: [String]
        var description: String { name }
    }
    static let cases = [
        Case(name: "synthetic", data: "Tests/Fixtures/golden/resample/synthetic_input.csv", timezone: "UTC", timeframes: ["1W", "1M"]),
        Case(name: "goog", data: "Tests/Fixtures/golden/btreal/GOOG.csv", timezone: "UTC", timeframes: ["1W", "1M"]),
        Case(name: "eurusd", data: "Tests/Fixtures/golden/btreal/EURUSD.csv", timezone: "America/New_York", timeframes: ["1D", "4h"]),
    ]

    /// Rows of a golden CSV as [column: text].
    static func rows(_ file: String) throws -> [[String: String]] {
        let text = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        return lines.dropFirst().map { line in
            Dictionary(uniqueKeysWithValues: zip(header, line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)))
        }
    }

    static func panel(_ c: Case) throws -> Panel {
        var p = try CSVLoader.load(path: Fixtures.path(c.data))
        p.hours = TradingHours(timezone: c.timezone)
        return p
    }

    static func same(_ a: Double, _ b: Double) -> Bool { a == b || (a.isNaN && b.isNaN) }

    @Test("each period's open, high, low, close and volume", arguments: cases)
    func periods(_ c: Case) throws {
        let panel = try Self.panel(c)
        for name in c.timeframes {
            let tf = try Timeframe(name)
            let g = Graph()
            let nodes = try Self.fields.map { try g.resample(g.field($0), to: tf) }
            let r = try panel.resampling(tf)
            let golden = try Self.rows("\(c.name)_\(name)_periods.csv")
            // Complete periods match pandas one for one (the forming last one is not in the file).
            let complete = r.lastIsComplete ? r.periodCount : r.periodCount - 1
            #expect(golden.count == complete * panel.symbolCount, "\(c.name) \(name): \(golden.count) rows")
            for engine in ["naive", "fused"] {
                let values = engine == "naive" ? try NaiveEvaluator(panel: panel).evaluate(g, outputs: nodes)
                                               : try FusedEngine.evaluate(g, outputs: nodes, panel: panel, options: PlanOptions(blockBars: 16))
                var bad: [String] = []
                for (i, row) in golden.enumerated() {
                    let s = try #require(panel.symbols.firstIndex(of: row["symbol"]!))
                    let p = i % complete
                    let done = panel.timestamps[r.ends[p] - 1]
                    if Calendar.format(done, daily: false).prefix(19) != row["completed_at"]!.replacingOccurrences(of: " ", with: "T").prefix(19) {
                        bad.append("period \(p) completes at \(Calendar.format(done, daily: false)), pandas \(row["completed_at"]!)")
                    }
                    for (k, f) in Self.fields.enumerated() {
                        let want = Double(row[f]!)!, got = values[nodes[k]]![s * r.periodCount + p]
                        if !Self.same(want, got) { bad.append("\(row["symbol"]!) \(row["period"]!) \(f): \(got) vs pandas \(want)") }
                    }
                }
                #expect(bad.count == 0, "\(c.name) \(name) \(engine): \(bad.count) differences, first \(Array(bad.prefix(3)))")
            }
        }
    }

    @Test("aligned values at every bar: the last period complete at its close", arguments: cases)
    func aligned(_ c: Case) throws {
        let panel = try Self.panel(c)
        let golden = try Self.rows("\(c.name)_aligned.csv")
        let T = panel.barCount
        var bar: [String: Int] = [:]
        for (t, ts) in panel.timestamps.enumerated() { bar[String(Calendar.format(ts, daily: false).prefix(19))] = t }
        for name in c.timeframes {
            let tf = try Timeframe(name)
            let g = Graph()
            let nodes = try Self.fields.map { g.aligned(try g.resample(g.field($0), to: tf)) }
            for engine in ["naive", "fused"] {
                let values = engine == "naive" ? try NaiveEvaluator(panel: panel).evaluate(g, outputs: nodes)
                                               : try FusedEngine.evaluate(g, outputs: nodes, panel: panel, options: PlanOptions(blockBars: 64, threads: 2))
                var bad: [String] = [], checked = 0
                for row in golden where row["tf"] == name {
                    let s = try #require(panel.symbols.firstIndex(of: row["symbol"]!))
                    let t = try #require(bar[row["utc"]!.replacingOccurrences(of: " ", with: "T")], "no bar at \(row["utc"]!)")
                    for (k, f) in Self.fields.enumerated() {
                        let want = Double(row[f]!)!, got = values[nodes[k]]![s * T + t]
                        if !Self.same(want, got) { bad.append("\(row["symbol"]!) \(row["utc"]!) \(f)@\(name): \(got) vs pandas \(want)") }
                    }
                    checked += 1
                }
                #expect(checked > 100)
                #expect(bad.count == 0, "\(c.name) \(name) \(engine): \(bad.count) differences, first \(Array(bad.prefix(3)))")
            }
        }
    }
}
