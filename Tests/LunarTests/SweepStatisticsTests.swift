import Foundation
import LunarData
import LunarStats
import LunarTestSupport
import Testing
@testable import Lunar

/// A sweep's statistics are LunarStats' functions of its combinations' equity curves.
@Suite struct SweepStatisticsTests {
    @Test func theStatisticsOfARealSweep() throws {
        let panel = Synthetic.panel(symbols: 12, bars: 900, seed: 5)
        var o = BacktestOptions()
        o.stdlib = Fixtures.stdlib
        let space = [try ParamSpace.parse("fast=5:25:5"), try ParamSpace.parse("slow=40,60,80")]
        let result = try Sweep.run(strategyPath: Fixtures.path("strategies/sma_cross.lua"), panel: panel, options: o,
                                   request: SweepRequest(space: space))
        let s = try SweepStatistics(result, space: space, barsPerYear: 252, resamples: 300)
        #expect(s.trials == 15)
        let returns = SweepStatistics.returns(result.rows[0].equity)
        #expect(returns.count == 899)
        let m = ReturnMoments(returns)
        #expect(s.probabilisticSharpe == SharpeInference.probabilistic(m))
        let variance = SharpeInference.variance(ofSharpes: result.rows.map { ReturnMoments(SweepStatistics.returns($0.equity)).sharpe })
        #expect(s.deflatedSharpe == SharpeInference.deflated(m, trials: 15, variance: variance))
        #expect(s.deflatedSharpe <= s.probabilisticSharpe)                 // deflating never helps
        let pbo = try BacktestOverfitting(returns: result.rows.map { SweepStatistics.returns($0.equity) })
        #expect(s.overfitting?.probability == pbo.probability)
        for i in [s.sharpeInterval, s.cagrInterval, s.drawdownInterval] { #expect(i.low <= i.high) }
        #expect(s.drawdownInterval.high <= 0)
        #expect(s.plateau != nil && (1 ... 8).contains(s.plateau!.neighbours))
        // Seeded: the same sweep gives the same intervals.
        let again = try SweepStatistics(result, space: space, barsPerYear: 252, resamples: 300)
        #expect(again.sharpeInterval.low == s.sharpeInterval.low && again.cagrInterval.high == s.cagrInterval.high)
    }

    /// Recorded sweeps of the same strategy on the same data add up as trials; the DSR falls.
    @Test func earlierSweepsInTheHistoryCountAsTrials() throws {
        let panel = Synthetic.panel(symbols: 8, bars: 600, seed: 9)
        var o = BacktestOptions()
        o.stdlib = Fixtures.stdlib
        let space = [try ParamSpace.parse("fast=5:20:5"), try ParamSpace.parse("slow=40,60")]
        let path = Fixtures.path("strategies/sma_cross.lua")
        let result = try Sweep.run(strategyPath: path, panel: panel, options: o, request: SweepRequest(space: space))
        let history = Fixtures.tempDir() + "/runs.sqlite"
        let data = DataOrigin(spec: "synthetic:8:600:9")
        var first = try SweepHistory.record(result, strategyPath: path, panel: panel, options: o, data: data)
        #expect(first.kind == "sweep" && first.trials == 8 && first.params == ["fast": result.rows[0].params[0].value, "slow": result.rows[0].params[1].value])
        #expect(try SweepHistory.earlier(for: first, history: history).isEmpty)
        let alone = try SweepStatistics(result, space: space, barsPerYear: 252, resamples: 100)
        first.statistics = alone.recorded
        try RunHistory(path: history).record(first)
        let earlier = try SweepHistory.earlier(for: first, history: history)
        #expect(earlier.count == 1 && earlier[0].trials == 8)
        let today = String(first.createdAt.prefix(10))
        let again = try SweepStatistics(result, space: space, barsPerYear: 252, earlier: earlier, today: today, resamples: 100)
        #expect(again.trials == 16 && again.earlierTrials == 8 && again.trialsBeforeToday == 0)
        #expect(again.deflatedSharpe < alone.deflatedSharpe)
        let tomorrow = try SweepStatistics(result, space: space, barsPerYear: 252, earlier: earlier, today: "9999-12-31", resamples: 100)
        #expect(tomorrow.trialsBeforeToday == 8)
        // Other data: no earlier trials.
        var other = first; other.dataHash = "different"
        #expect(try SweepHistory.earlier(for: other, history: history).isEmpty)
        // The record replays as the chosen combination's run.
        let stored = try RunHistory(path: history).run(id: 1)
        #expect(stored.kind == "sweep" && stored.statistics["psr"] != nil)
    }
}
