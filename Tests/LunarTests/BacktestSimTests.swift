import Foundation
import Lunar
import LunarData
import LunarEngine
import LunarReport
import LunarScript
import LunarSim
import LunarTestSupport
import Testing

/// End to end: Lua strategy → engine → simulator → metrics → reports, on the golden universe.
@Suite struct BacktestSimTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func path(_ p: String) -> String { root.appendingPathComponent(p).path }

    static func options(_ overrides: [String: String] = [:]) -> BacktestOptions {
        var o = BacktestOptions()
        o.stdlib = path("stdlib")
        o.simulation.capital = 600_000     // 10 000 per symbol, as the golden runs
        o.simulation.threads = 2
        try! o.override(overrides)
        return o
    }

    /// Writes a strategy file into a temporary folder.
    static func strategy(_ text: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lunar-sim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = dir.appendingPathComponent("s.lua")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    @Test("the engine's SMA(10)/SMA(50) crossover reproduces signals.csv and vectorbt's results")
    func smaCrossMatchesGolden() throws {
        let panel = try SimGolden.panel()
        let r = try Backtest.run(strategyPath: Self.path("strategies/sma_cross.lua"), panel: panel,
                                 options: Self.options(["fees": "0.001"]))
        // Trade entry/exit bars are exactly the golden signals (no bar has both, none is ignored
        // except exits while flat and entries while long).
        let summary = try SimGolden.records("vbt_default_summary.csv")
        for row in summary {
            let s = panel.symbolIndex(row["symbol"]!)!
            let m = r.symbolMetrics[s]
            #expect(isClose(m.totalReturn, Double(row["total_return"]!)!, rel: 1e-9), "\(row["symbol"]!)")
            #expect(m.closedTrades == Int(row["closed_trades"]!)! && m.openTrades == Int(row["open_trades"]!)!)
        }
        let (en, ex) = try SimGolden.signals(symbols: panel.symbols, bars: panel.barCount)
        for t in r.trades {
            #expect(en[t.symbol * panel.barCount + t.entryBar] == 1)
            if !t.isOpen { #expect(ex[t.symbol * panel.barCount + t.exitBar] == 1) }
        }
        #expect(r.trades.count == 427 && r.portfolio.openTrades == 28)
        #expect(!r.portfolio.alpha.isNaN && !r.portfolio.beta.isNaN)
    }

    @Test("the engine's crossover signals equal signals.csv, bar for bar")
    func smaCrossSignalsExact() throws {
        let panel = try SimGolden.panel()
        let def = try StrategyLoader.load(path: Self.path("strategies/sma_cross.lua"), fields: panel.fields.keys.sorted(),
                                          stdlib: Self.path("stdlib"))
        let en = def.outputs["entries"]!, ex = def.outputs["exits"]!
        let values = try NaiveEvaluator(panel: panel).evaluate(def.graph, outputs: [en, ex])
        let (gEn, gEx) = try SimGolden.signals(symbols: panel.symbols, bars: panel.barCount)
        let mine = (values[en]!.map { $0 == 1 ? 1.0 : 0 }, values[ex]!.map { $0 == 1 ? 1.0 : 0 })
        #expect(mine.0 == gEn)
        #expect(mine.1 == gEx)
        #expect(gEn.reduce(0, +) == 427 && gEx.reduce(0, +) == 429)
    }

    @Test("strategy-table fields configure the simulator; overrides win")
    func strategyFields() throws {
        let file = try Self.strategy("""
        local ta = require "ta"
        return strategy {
          fill = "next_open", integer = true, stop_loss = 0.05, take_profit = 0.1, fees = 0.001,
          signals = function(bars, p)
            local f, s = ta.sma(bars.close, 10), ta.sma(bars.close, 50)
            return { entries = ta.crossover(f, s), exits = ta.crossunder(f, s) }
          end,
        }
        """)
        let panel = try SimGolden.panel()
        let r = try Backtest.run(strategyPath: file, panel: panel, options: Self.options())
        #expect(r.simulationOptions.fill == .nextOpen && r.simulationOptions.integerUnits)
        #expect(r.simulationOptions.stopLoss == 0.05 && r.simulationOptions.fees == 0.001)
        #expect(r.trades.allSatisfy { $0.size == $0.size.rounded() })
        #expect(r.trades.contains { $0.exitReason == .stopLoss })
        let o = try Backtest.run(strategyPath: file, panel: panel, options: Self.options(["fill": "close", "stop_loss": "none"]))
        #expect(o.simulationOptions.fill == .close && o.simulationOptions.stopLoss == nil)
    }

    @Test("a Lua stop-and-reverse strategy (short_entries, reverse = true) reproduces vectorbt case D")
    func luaReverseMatchesGolden() throws {
        let file = try Self.strategy("""
        local ta = require "ta"
        return strategy {
          reverse = true, fees = 0.001,
          signals = function(bars, p)
            local f, s = ta.sma(bars.close, 10), ta.sma(bars.close, 50)
            return { entries = ta.crossover(f, s), short_entries = ta.crossunder(f, s) }
          end,
        }
        """)
        let panel = try SimGolden.panel()
        let r = try Backtest.run(strategyPath: file, panel: panel, options: Self.options())
        for row in try SimGolden.records("vbt_reverse_summary.csv") {
            let m = r.symbolMetrics[panel.symbolIndex(row["symbol"]!)!]
            #expect(isClose(m.totalReturn, Double(row["total_return"]!)!, rel: 1e-9), "\(row["symbol"]!)")
            #expect(m.closedTrades == Int(row["closed_trades"]!)! && m.openTrades == Int(row["open_trades"]!)!)
        }
        #expect(r.trades.filter(\.isShort).count > 400)
    }

    @Test("per-bar stop series from Lua")
    func luaStopSeries() throws {
        let file = try Self.strategy("""
        local ta = require "ta"
        return strategy {
          fees = 0.001,
          signals = function(bars, p)
            local f, s = ta.sma(bars.close, 10), ta.sma(bars.close, 50)
            return { entries = ta.crossover(f, s), exits = ta.crossunder(f, s),
                     stop_loss = bars.close / bars.close * 0.05, take_profit = bars.close / bars.close * 0.1 }
          end,
        }
        """)
        let panel = try SimGolden.panel()
        let r = try Backtest.run(strategyPath: file, panel: panel, options: Self.options())
        // The same fractions as vectorbt case C, given per bar instead of as options.
        for row in try SimGolden.records("vbt_stops_summary.csv") {
            let m = r.symbolMetrics[panel.symbolIndex(row["symbol"]!)!]
            #expect(isClose(m.totalReturn, Double(row["total_return"]!)!, rel: 1e-9), "\(row["symbol"]!)")
        }
    }

    @Test("bad strategy input gives clear errors")
    func badInput() throws {
        let panel = try SimGolden.panel().selecting(symbols: [0, 1])
        let floatEntries = try Self.strategy("return strategy { signals = function(bars) return { entries = bars.close } end }")
        #expect { try Backtest.run(strategyPath: floatEntries, panel: panel, options: Self.options()) } throws: { e in
            "\(e)".contains("must be a bool series")
        }
        let badFill = try Self.strategy("""
        return strategy { fill = "tomorrow", signals = function(bars) return { entries = bars.close:gt(1) } end }
        """)
        #expect { try Backtest.run(strategyPath: badFill, panel: panel, options: Self.options()) } throws: { e in
            "\(e)".contains("'fill' must be")
        }
        let badWeight = try Self.strategy("""
        return strategy { signals = function(bars) return { weight = bars.close / bars.close * 0.9 } end }
        """)
        #expect { try Backtest.run(strategyPath: badWeight, panel: panel, options: Self.options()) } throws: { e in
            "\(e)".contains("Σ|w| must be ≤ 1")
        }
        let ok = try Self.strategy("return strategy { signals = function(bars) return { entries = bars.close:gt(1) } end }")
        #expect { try Backtest.run(strategyPath: ok, panel: panel, options: Self.options(["fees": "-1"])) } throws: { e in
            (e as? SettingError) == SettingError(setting: "fees", value: "-1", expected: "a fraction in [0, 1)")
        }
        var bench = Self.options(); bench.simulation.benchmark = "NOPE"
        #expect(throws: (any Error).self) { try Backtest.run(strategyPath: ok, panel: panel, options: bench) }
    }

    @Test("momentum_topn holds at most 20 symbols, rebalanced on month starts, and writes a report")
    func momentumTopN() throws {
        let panel = try SimGolden.panel()
        let o = Self.options(["fees": "0.001", "benchmark": "SYM000"])
        let r = try Backtest.run(strategyPath: Self.path("strategies/momentum_topn.lua"), panel: panel, options: o)
        #expect(r.mode == .shared && r.simulationOptions.top == 20 && r.simulationOptions.rebalance == .monthly)
        let monthStarts = Set(Rebalance.monthly.schedule(panel.timestamps).enumerated().filter(\.element).map(\.offset))
        #expect(r.trades.allSatisfy { monthStarts.contains($0.entryBar) && ($0.isOpen || monthStarts.contains($0.exitBar)) })
        for t in 0 ..< panel.barCount {
            let held = r.trades.filter { $0.entryBar <= t && ($0.isOpen || t < $0.exitBar) }.count
            #expect(held <= 20)
        }
        #expect(r.trades.filter(\.isOpen).count == 20)
        // Per-symbol curves are capital + P&L: their gains add up to the portfolio's.
        let gains = r.runs.reduce(0.0) { $0 + $1.equity.last! - o.simulation.capital }
        #expect(abs(gains - (r.equity.last! - o.simulation.capital)) < 1e-6)
        #expect(r.benchmarkName == "SYM000")

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lunar-report-\(UUID().uuidString)").path
        try ResultWriter.write(r.report, to: dir)
        let html = try String(contentsOfFile: dir + "/report.html", encoding: .utf8)
        #expect(html.contains("<svg") && html.contains("Monthly returns") && html.contains("class=\"sortable\""))
        #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("src="))   // self-contained
        let json = try String(contentsOfFile: dir + "/summary.json", encoding: .utf8)
        for key in ["total_return", "cagr", "volatility", "sharpe", "max_drawdown", "trades", "win_rate", "final_equity",
                    "sortino", "calmar", "profit_factor", "sqn", "exposure", "turnover", "fees_paid", "alpha", "beta", "excess_return"] {
            #expect(json.contains("\"\(key)\":"), "\(key)")
        }
        let console = ConsoleSummary.render(r.report, elapsed: 0.1)
        #expect(console.split(separator: "\n").allSatisfy { $0.count <= 100 })
    }
}
