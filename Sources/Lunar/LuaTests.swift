import Foundation
import LunarData
import LunarEngine
import LunarGraph
import LunarScript

/// `lunar test`: runs `*_test.lua` files with the naive evaluator and the simulator behind the
/// Lua assertion API, and renders the results for people (console) and CI (JUnit XML).
public enum LuaTests {
    /// Runs every `*_test.lua` under `paths`, one fresh Lua state per file.
    public static func run(paths: [String], libraries: LibrarySettings,
                           limits: ScriptLimits = ScriptLimits()) throws -> [LuaTestFileResult] {
        let host = EngineTestHost()
        return try LuaTestRunner.discover(paths).map {
            LuaTestRunner.run(file: $0, settings: libraries, host: host, limits: limits)
        }
    }

    /// One line per test, failures with their message, and a total.
    public static func render(_ results: [LuaTestFileResult]) -> String {
        var out = "", passed = 0, failed = 0, seconds = 0.0
        for r in results {
            out += r.file + "\n"
            if let e = r.loadError {
                out += "  ✗ (file did not load)\n" + indent(e) + "\n"
                failed += 1
            }
            if r.cases.isEmpty && r.loadError == nil { out += "  (no tests: declare them with test(\"name\", function() ... end))\n" }
            for c in r.cases {
                seconds += c.seconds
                if let f = c.failure {
                    failed += 1
                    out += "  ✗ \(c.name)\n" + indent(f) + "\n"
                } else {
                    passed += 1
                    out += "  ✓ \(c.name)\n"
                }
            }
        }
        let ms = (seconds * 1000).rounded()
        out += "\n\(passed) passed, \(failed) failed in \(results.count) file\(results.count == 1 ? "" : "s") (\(Int(ms)) ms)\n"
        return out
    }

    private static func indent(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { "      " + $0 }.joined(separator: "\n")
    }

    /// JUnit XML as Jenkins, GitLab and GitHub's test reporters read it: one `testsuite` per file.
    public static func junit(_ results: [LuaTestFileResult]) -> String {
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        let tests = results.reduce(0) { $0 + $1.cases.count + ($1.loadError == nil ? 0 : 1) }
        let failures = results.reduce(0) { $0 + $1.failed }
        out += "<testsuites name=\"lunar test\" tests=\"\(tests)\" failures=\"\(failures)\">\n"
        for r in results {
            let time = r.cases.reduce(0) { $0 + $1.seconds }
            out += "  <testsuite name=\"\(xml(r.file))\" tests=\"\(r.cases.count + (r.loadError == nil ? 0 : 1))\" " +
                "failures=\"\(r.failed)\" time=\"\(String(format: "%.6f", time))\">\n"
            if let e = r.loadError {
                out += "    <testcase name=\"(load)\" classname=\"\(xml(r.file))\" time=\"0\">\n"
                out += "      <failure message=\"\(xml(firstLine(e)))\">\(xml(e))</failure>\n    </testcase>\n"
            }
            for c in r.cases {
                out += "    <testcase name=\"\(xml(c.name))\" classname=\"\(xml(r.file))\" time=\"\(String(format: "%.6f", c.seconds))\""
                if let f = c.failure {
                    out += ">\n      <failure message=\"\(xml(firstLine(f)))\">\(xml(f))</failure>\n    </testcase>\n"
                } else {
                    out += "/>\n"
                }
            }
            out += "  </testsuite>\n"
        }
        return out + "</testsuites>\n"
    }

    private static func firstLine(_ s: String) -> String { String(s.split(separator: "\n").first ?? "") }

    static func xml(_ s: String) -> String {
        var out = ""
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "\n", "\t": out.unicodeScalars.append(ch)
            // XML 1.0 forbids most control characters even when escaped.
            case _ where ch.value < 0x20: out += " "
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}

/// The engine behind the Lua test API: the naive evaluator (the oracle) and `Backtest.run`.
final class EngineTestHost: ScriptTestHost {
    func panel(_ p: InlinePanel) throws -> Panel {
        var fields: [String: [Double]] = [:]
        for (name, perSymbol) in p.fields { fields[name] = perSymbol.flatMap { $0 } }
        // Daily bars from 2020-01-02, like the test fixtures; the dates matter only to annualization.
        let day = Calendar.daysFromCivil(2020, 1, 2)
        return try Panel(symbols: p.symbols, timestamps: (0 ..< p.barCount).map { (day + Int64($0)) * 86_400 }, fields: fields)
    }

    func evaluate(_ graph: Graph, _ node: NodeID, on inline: InlinePanel) throws -> [[Double]] {
        let p = try panel(inline)
        let values = try NaiveEvaluator(panel: p).evaluate(graph, outputs: [node])[node]!
        let T = p.barCount
        return (0 ..< p.symbolCount).map { Array(values[$0 * T ..< ($0 + 1) * T]) }
    }

    func runStrategy(path: String, on inline: InlinePanel, params: [String: String], capital: Double?, fees: Double?,
                     libraries: LibrarySettings) throws -> StrategyRunRecord {
        var options = BacktestOptions()
        options.params = params
        options.stdlib = libraries.stdlib
        options.libraries = libraries
        if let capital { options.simulation.capital = capital }
        if let fees { options.simulation.fees = fees }
        let r = try Backtest.run(strategyPath: path, panel: try panel(inline), options: options)
        let trades = r.trades.map { t in
            StrategyRunRecord.TradeRecord(symbol: r.panel.symbols[t.symbol], values: [
                ("entry_bar", Double(t.entryBar + 1)), ("exit_bar", Double(t.exitBar + 1)),
                ("entry_price", t.entryPrice), ("exit_price", t.exitPrice), ("size", t.size),
                ("pnl", t.pnl), ("return", t.returnFraction), ("fees", t.entryFees + t.exitFees),
            ], isOpen: t.isOpen)
        }
        return StrategyRunRecord(trades: trades, metrics: r.portfolio.fields)
    }
}
