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
}
