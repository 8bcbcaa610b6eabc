import Foundation
import LunarData
import LunarStats

/// What a sweep's winner is worth once the search that found it is accounted for (issue 20):
/// the Probabilistic and Deflated Sharpe Ratios of the chosen combination, the Probability of
/// Backtest Overfitting over all combinations, bootstrap intervals of its Sharpe ratio, CAGR
/// and maximum drawdown, and how much of its score its grid neighbours share. Computed from
/// the portfolio equity of every combination (`SweepRow.equity`).
public struct SweepStatistics: Sendable {
    public struct Interval: Sendable { public let low: Double, high: Double }

    /// Combinations tried: this sweep's, plus those of earlier sweeps of the same strategy on
    /// the same data in the run history (`earlierTrials`, of which `trialsBeforeToday` were
    /// recorded before today, UTC). The DSR deflates by all of them.
    public let trials: Int
    /// "sweep" or "walkforward".
    public let kind: String
    public let earlierTrials: Int
    public let trialsBeforeToday: Int
    /// The chosen combination's per-period Sharpe ratio and its PSR against 0.
    public let sharpe: Double
    public let probabilisticSharpe: Double
    /// The annualized Sharpe ratio the PSR is measured against.
    public let benchmarkSharpe: Double
    /// The variance of the trials' per-period Sharpe ratios, the Sharpe ratio the best of that
    /// many unskilled trials reaches by luck, and the chosen one's PSR against it.
    public let sharpeVariance: Double
    public let expectedMaximumSharpe: Double
    public let deflatedSharpe: Double
    /// CSCV over 16 blocks; nil when there are too few bars or trials (`overfittingProblem` says why).
    public let overfitting: BacktestOverfitting?
    public let overfittingProblem: String?
    /// 90 % stationary-bootstrap intervals (annualized Sharpe, CAGR, max drawdown ≤ 0) and the
    /// automatic mean block length they used (at least 1 bar).
    public let sharpeInterval: Interval, cagrInterval: Interval, drawdownInterval: Interval
    public let block: Double
    /// The ranking metric over the chosen combination's grid neighbourhood.
    public let plateau: Plateau?

    /// - Parameters:
    ///   - benchmarkSharpe: the annualized Sharpe ratio the PSR is measured against (0).
    ///   - blocks: the PBO's CSCV blocks (16).
    public init(_ result: SweepResult, space: [ParamSpace], barsPerYear: Double, earlier: [(createdAt: String, trials: Int)] = [],
                today: String = String(ISO8601DateFormatter().string(from: Date()).prefix(10)),
                benchmarkSharpe: Double = 0, blocks: Int = 16, seed: UInt64 = 42, resamples: Int = 1000) throws {
        guard !result.rows.isEmpty else { throw StatsError("a sweep without combinations has no statistics") }
        let returns = result.rows.map { SweepStatistics.returns($0.equity) }
        kind = "sweep"
        earlierTrials = earlier.reduce(0) { $0 + $1.trials }
        trialsBeforeToday = earlier.filter { $0.createdAt.prefix(10) < today }.reduce(0) { $0 + $1.trials }
        trials = result.rows.count + earlierTrials
        let moments = ReturnMoments(returns[0])
        sharpe = moments.sharpe
        probabilisticSharpe = SharpeInference.probabilistic(moments, benchmark: benchmarkSharpe / barsPerYear.squareRoot())
        self.benchmarkSharpe = benchmarkSharpe
        sharpeVariance = SharpeInference.variance(ofSharpes: returns.map { ReturnMoments($0).sharpe })
        expectedMaximumSharpe = SharpeInference.expectedMaximum(trials: trials, variance: sharpeVariance)
        deflatedSharpe = SharpeInference.deflated(moments, trials: trials, variance: sharpeVariance)
        do { overfitting = try BacktestOverfitting(returns: returns, blocks: blocks); overfittingProblem = nil } catch {
            overfitting = nil; overfittingProblem = "\(error)"
        }
        block = max(1, StationaryBootstrap.optimalBlock(returns[0]))
        (sharpeInterval, cagrInterval, drawdownInterval) = SweepStatistics.intervals(returns[0], block: block, barsPerYear: barsPerYear,
                                                                                      seed: seed, resamples: resamples)
        // Each row's position along each swept axis.
        let axes = space.filter { $0.values.count > 1 }
        let coordinates = result.rows.map { row in
            axes.map { axis in row.params.first { $0.name == axis.name }.flatMap { axis.values.firstIndex(of: $0.value) } ?? -10 }
        }
        // The plateau reads larger as better: a smaller-is-better metric is negated.
        let sign: Double = Metrics.info(result.metric)?.direction == .lower ? -1 : 1
        let metric = result.rows.map { sign * $0.metrics.value(result.metric) }
        plateau = axes.isEmpty ? nil : Plateau(coordinates: coordinates, metric: metric, best: 0)
    }

    /// The statistics as JSON-ready values (`lunar sweep --json`, docs/sweeps.md).
    public var json: [String: Any] {
        func num(_ v: Double) -> Any { v.isFinite ? v : NSNull() }
        var out: [String: Any] = [
            "trials": trials, "psr_benchmark_sharpe": benchmarkSharpe, "earlier_trials": earlierTrials, "trials_before_today": trialsBeforeToday, "sharpe_per_bar": num(sharpe), "psr": num(probabilisticSharpe), "dsr": num(deflatedSharpe),
            "sharpe_variance": num(sharpeVariance), "expected_max_sharpe": num(expectedMaximumSharpe),
            "bootstrap_block": num(block),
            "sharpe_90": [num(sharpeInterval.low), num(sharpeInterval.high)],
            "cagr_90": [num(cagrInterval.low), num(cagrInterval.high)],
            "max_drawdown_90": [num(drawdownInterval.low), num(drawdownInterval.high)],
        ]
        if let o = overfitting { out["pbo"] = num(o.probability); out["pbo_blocks"] = o.blocks; out["pbo_splits"] = o.logits.count }
        if let p = plateau { out["plateau"] = ["score": num(p.score), "best": num(p.best), "neighbours": p.neighbours, "isolated": p.isolated] as [String: Any] }
        return out
    }

    /// A walk-forward's statistics: of its stitched out-of-sample returns (PSR, bootstrap
    /// intervals), deflated by the combinations each window chose among (N = combinations per
    /// window plus earlier recorded trials, V = the windows' mean variance of their in-sample
    /// Sharpe ratios). PBO and the plateau belong to a single choice over the whole history: no PBO here.
    public init(walkForward wf: WalkForwardResult, combinations: Int, barsPerYear: Double,
                earlier: [(createdAt: String, trials: Int)] = [],
                today: String = String(ISO8601DateFormatter().string(from: Date()).prefix(10)),
                benchmarkSharpe: Double = 0, seed: UInt64 = 42, resamples: Int = 1000) {
        let r = SweepStatistics.returns(wf.equity)
        kind = "walkforward"
        earlierTrials = earlier.reduce(0) { $0 + $1.trials }
        trialsBeforeToday = earlier.filter { $0.createdAt.prefix(10) < today }.reduce(0) { $0 + $1.trials }
        trials = combinations + earlierTrials
        let m = ReturnMoments(r)
        sharpe = m.sharpe
        probabilisticSharpe = SharpeInference.probabilistic(m, benchmark: benchmarkSharpe / barsPerYear.squareRoot())
        self.benchmarkSharpe = benchmarkSharpe
        let variances = wf.windows.map { SharpeInference.variance(ofSharpes: $0.trialSharpes) }
        sharpeVariance = variances.isEmpty ? 0 : variances.reduce(0, +) / Double(variances.count)
        expectedMaximumSharpe = SharpeInference.expectedMaximum(trials: trials, variance: sharpeVariance)
        deflatedSharpe = SharpeInference.deflated(m, trials: trials, variance: sharpeVariance)
        overfitting = nil
        overfittingProblem = "not for a walk-forward, whose every choice is already tested out of sample"
        plateau = nil
        block = max(1, StationaryBootstrap.optimalBlock(r))
        (sharpeInterval, cagrInterval, drawdownInterval) = SweepStatistics.intervals(r, block: block, barsPerYear: barsPerYear,
                                                                                      seed: seed, resamples: resamples)
    }

    /// 90 % stationary-bootstrap intervals of the annualized Sharpe ratio, CAGR and max drawdown.
    static func intervals(_ r: [Double], block: Double, barsPerYear a: Double, seed: UInt64, resamples: Int) -> (Interval, Interval, Interval) {
        let boot = StationaryBootstrap(block: block, seed: seed)
        func interval(_ f: ([Double]) -> Double) -> Interval {
            let ci = boot.interval(r, level: 0.9, resamples: resamples, statistic: f)
            return Interval(low: ci.low, high: ci.high)
        }
        return (interval { ReturnMoments($0).sharpe * a.squareRoot() },
                interval { r in pow(r.reduce(1) { $0 * (1 + $1) }, a / Double(r.count)) - 1 },
                interval { r in
                    var peak = 1.0, value = 1.0, worst = 0.0
                    for x in r { value *= 1 + x; peak = max(peak, value); worst = min(worst, value / peak - 1) }
                    return worst
                })
    }

    /// The numbers a run-history record keeps.
    public var recorded: [String: Double?] {
        func v(_ x: Double) -> Double? { x.isFinite ? x : nil }
        var out: [String: Double?] = ["psr": v(probabilisticSharpe), "dsr": v(deflatedSharpe), "sharpe_variance": v(sharpeVariance),
                                      "expected_max_sharpe": v(expectedMaximumSharpe), "earlier_trials": Double(earlierTrials),
                                      "sharpe_90_low": v(sharpeInterval.low), "sharpe_90_high": v(sharpeInterval.high),
                                      "cagr_90_low": v(cagrInterval.low), "cagr_90_high": v(cagrInterval.high),
                                      "max_drawdown_90_low": v(drawdownInterval.low), "max_drawdown_90_high": v(drawdownInterval.high)]
        if let o = overfitting { out["pbo"] = v(o.probability) }
        if let p = plateau { out["plateau"] = v(p.score); out["plateau_isolated"] = p.isolated ? 1 : 0 }
        return out
    }

    /// Per-bar returns of an equity curve (bars before it starts, or after it is 0, skipped).
    public static func returns(_ equity: [Double]) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(equity.count)
        for t in equity.indices.dropFirst() {
            let a = equity[t - 1], b = equity[t]
            out.append(a > 0 && !a.isNaN && !b.isNaN ? b / a - 1 : 0)
        }
        return out
    }
}
