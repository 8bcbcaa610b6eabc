import Foundation
import Lunar
import LunarData
import LunarSim
import Testing

/// `Backtest.runTileFused` (each tile simulated as the executor hands over its signals as
/// bytes) against the same run with evaluation and simulation apart (the naive engine): every
/// number the result holds, bit for bit, for any thread count, on universes with delistings.
@Suite("Backtests: tile-fused simulation against evaluation then simulation")
struct TileFusedBacktestTests {
    static let strategies = ["strategies/sma_cross.lua", "strategies/rsi_reversion.lua",
                             "strategies/donchian_breakout.lua", "bench/workloads/w4_mixed.lua",
                             "bench/workloads/w5_indicators.lua"]

    static func options(_ engine: EngineKind, threads: Int) -> BacktestOptions {
        var o = BacktestOptions()
        o.engine = engine
        o.simulation.fees = 0.001
        o.simulation.threads = threads
        return o
    }

    @Test("the same result, any thread count", arguments: strategies)
    func sameResult(path: String) throws {
        // 45 symbols: five groups and a partial one; a tenth go bankrupt and are delisted.
        let panel = Synthetic.panel(symbols: 45, bars: 700, seed: 21, bankrupt: 0.1)
        let reference = try Backtest.run(strategyPath: path, panel: panel, options: Self.options(.naive, threads: 1))
        #expect(!reference.timings.fusedSimulation)
        #expect(!reference.trades.isEmpty, "\(path) should trade on this panel")
        for threads in [1, 2, 3] {
            let r = try Backtest.run(strategyPath: path, panel: panel, options: Self.options(.fused, threads: threads))
            #expect(r.timings.fusedSimulation, "\(path) should take the tile-fused path")
            #expect(r.trades == reference.trades, "\(path), \(threads) threads")
            #expect(r.equity.map(\.bitPattern) == reference.equity.map(\.bitPattern), "\(path), \(threads) threads")
            #expect(r.runs.map { $0.equity.map(\.bitPattern) } == reference.runs.map { $0.equity.map(\.bitPattern) })
            #expect(sameMetrics(r.symbolMetrics, reference.symbolMetrics), "\(path), \(threads) threads")
            #expect(sameMetrics([r.portfolio], [reference.portfolio]), "\(path), \(threads) threads")
        }
    }

    @Test("entries without exits stream alone")
    func entriesOnly() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lunar-tilefused-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("entries_only.lua").path
        try """
        local ta = require "ta"
        return strategy {
          name = "entries_only",
          signals = function(bars, p) return { entries = ta.crossover(ta.sma(bars.close, 5), ta.sma(bars.close, 20)) } end,
        }
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let panel = Synthetic.panel(symbols: 19, bars: 400, seed: 4, bankrupt: 0.2)
        let reference = try Backtest.run(strategyPath: path, panel: panel, options: Self.options(.naive, threads: 1))
        let r = try Backtest.run(strategyPath: path, panel: panel, options: Self.options(.fused, threads: 2))
        #expect(r.timings.fusedSimulation)
        #expect(r.trades == reference.trades && !r.trades.isEmpty)
        #expect(sameMetrics(r.symbolMetrics + [r.portfolio], reference.symbolMetrics + [reference.portfolio]))
    }

    @Test("tileFusion = false runs evaluation and simulation apart, with the same result")
    func switchedOff() throws {
        let panel = Synthetic.panel(symbols: 20, bars: 300, seed: 8)
        var o = Self.options(.fused, threads: 2)
        let fused = try Backtest.run(strategyPath: "strategies/sma_cross.lua", panel: panel, options: o)
        o.tileFusion = false
        let apart = try Backtest.run(strategyPath: "strategies/sma_cross.lua", panel: panel, options: o)
        #expect(fused.timings.fusedSimulation && !apart.timings.fusedSimulation)
        #expect(fused.trades == apart.trades && fused.equity == apart.equity)
        #expect(sameMetrics(fused.symbolMetrics + [fused.portfolio], apart.symbolMetrics + [apart.portfolio]))
    }

    @Test("settings the lean loop does not take run evaluation and simulation apart")
    func fallsBack() throws {
        let panel = Synthetic.panel(symbols: 12, bars: 300, seed: 2)
        for (name, value) in [("stop_loss", "0.05"), ("fill", "next_open")] {
            var o = Self.options(.fused, threads: 2)
            try o.override([name: value])
            let r = try Backtest.run(strategyPath: "strategies/sma_cross.lua", panel: panel, options: o)
            #expect(!r.timings.fusedSimulation, "\(name)")
            var n = o
            n.engine = .naive
            let reference = try Backtest.run(strategyPath: "strategies/sma_cross.lua", panel: panel, options: n)
            #expect(r.trades == reference.trades && sameMetrics([r.portfolio], [reference.portfolio]), "\(name)")
        }
    }
}

/// Metrics equal value for value, NaN included (`==` on a NaN field is false).
func sameMetrics(_ a: [Metrics], _ b: [Metrics]) -> Bool { "\(a)" == "\(b)" }
