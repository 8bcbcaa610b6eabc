import Foundation
import Lunar
import LunarData
import Testing

@Suite("Backtests: fused engine against the naive one")
struct FusedBacktestTests {
    static let strategies = ["strategies/sma_cross.lua", "strategies/rsi_reversion.lua",
                             "strategies/donchian_breakout.lua", "bench/workloads/w4_mixed.lua"]

    @Test("same trades and equity, any thread count", arguments: strategies)
    func sameResults(path: String) throws {
        let panel = Synthetic.panel(symbols: 37, bars: 600, seed: 9)
        var naive = BacktestOptions()
        naive.engine = .naive
        naive.simulation.fees = 0.001
        let reference = try Backtest.run(strategyPath: path, panel: panel, options: naive)
        for threads in [1, 3] {
            var fused = naive
            fused.engine = .fused
            fused.simulation.threads = threads
            let r = try Backtest.run(strategyPath: path, panel: panel, options: fused)
            #expect(r.trades == reference.trades, "\(path), \(threads) threads")
            #expect(r.equity == reference.equity, "\(path), \(threads) threads")
        }
        #expect(!reference.trades.isEmpty, "\(path) should trade on this panel")
    }

    @Test("--explain shows stages, buffers and the cut at rank")
    func explain() throws {
        let panel = Synthetic.panel(symbols: 20, bars: 300)
        let text = try Backtest.explain(strategyPath: "bench/workloads/w4_mixed.lua", panel: panel)
        #expect(text.contains("stage 0:") && text.contains("stage 1: 1 cross-sectional"))
        #expect(text.contains("→ entries") && text.contains("→ exits"))
        #expect(text.contains("estimated bytes touched"))
    }
}
