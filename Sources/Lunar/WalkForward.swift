import Foundation
import LunarData
import LunarStats
import LunarScript
import LunarSim

/// Walk-forward analysis: choose parameters on a training window, apply them to the next
/// window, move on, and stitch the out-of-sample windows together.
public struct WalkForwardRequest: Sendable {
    public var sweep: SweepRequest
    /// Bars in each training window (the whole history so far when `anchored`).
    public var train: Int
    /// Bars in each out-of-sample window.
    public var test: Int
    public var anchored = false
    public init(sweep: SweepRequest, train: Int, test: Int, anchored: Bool = false) {
        self.sweep = sweep; self.train = train; self.test = test; self.anchored = anchored
    }
}

public struct WalkForwardWindow: Sendable {
    public var train: Range<Int>
    public var test: Range<Int>
    public var chosen: [(name: String, value: String)]
    /// The chosen combination's in-sample metrics.
    public var inSample: Metrics
    /// Its metrics on the out-of-sample window.
    public var outOfSample: Metrics
    /// Every combination's per-bar Sharpe ratio in-sample: the trials the choice was made among.
    public var trialSharpes: [Double] = []
}

public struct WalkForwardResult: Sendable {
    public var strategyName: String
    public var metric: String
    public var windows: [WalkForwardWindow]
    /// Out-of-sample value, bar by bar over every test window in turn.
    public var equity: [Double]
    public var bars: Range<Int>
    public var outOfSample: Metrics
    /// The mean of the chosen combinations' in-sample `metric`.
    public var inSampleMean: Double
}

public enum WalkForward {
    public static func run(strategyPath: String, panel: Panel, options: BacktestOptions, request: WalkForwardRequest,
                           progress: ((Int, Int) -> Void)? = nil) throws -> WalkForwardResult {
        let T = panel.barCount
        guard request.train >= 2, request.test >= 1 else { throw ScriptError("walk-forward needs --train ≥ 2 and --test ≥ 1 bars") }
        guard request.train + request.test <= T else {
            throw ScriptError("walk-forward needs at least --train + --test = \(request.train + request.test) bars; the data have \(T)")
        }
        try Sweep.validate(metric: request.sweep.metric)
        let combos = try Sweep.combinations(request.sweep)
        guard !combos.isEmpty else { throw ScriptError("the sweep has no combinations (check --param and --where)") }
        let stdlib = try options.stdlib ?? Stdlib.locate()
        // Every window reads the data in the price mode of the strategy's settings.
        let probe = try StrategySession(path: strategyPath, fields: Backtest.fieldNames(panel), stdlib: stdlib,
                                        libraries: options.libraries, limits: options.limits)
        let panel = try Backtest.view(panel, strategySettings: probe.settings, options)
        var windows: [WalkForwardWindow] = []
        var equity: [Double] = []
        var trades: [Trade] = []   // every window's, for the stitched trade statistics
        var capital = options.simulation.capital
        var start = 0
        let count = (T - request.train - 1) / request.test + 1
        while start + request.train < T {
            let trainEnd = start + request.train
            let testEnd = min(trainEnd + request.test, T)
            let trainRange = (request.anchored ? 0 : start) ..< trainEnd
            // The choice sees only bars before trainEnd: signals are computed on that prefix alone.
            let seen = panel.prefix(bars: trainEnd)
            let session = try StrategySession(path: strategyPath, fields: Backtest.fieldNames(panel), stdlib: stdlib, libraries: options.libraries, limits: options.limits)
            // Per-bar strategies go the same way: their indicators are computed on the prefix
            // (warm-ups use earlier bars) and `on_bar` runs over the window's bars alone, with a
            // fresh ctx.state and ctx.past reaching back to the window's first bar.
            var rows = try Sweep.score(session: session, combos: combos, panel: seen, bars: trainRange, options: options,
                                       memoryBudget: request.sweep.memoryBudget, progress: nil)
            Sweep.rank(&rows, by: request.sweep.metric)
            let best = rows[0]
            // Out of sample: the chosen parameters on the next window, starting from the equity so far.
            let visible = panel.prefix(bars: testEnd)
            let def = try session.build(params: session.resolve(Dictionary(uniqueKeysWithValues: best.params.map { ($0.name, $0.value) })))
            let values = try Evaluation.evaluate(session.graph, outputs: Backtest.wantedNodes(def),
                                                 panel: visible, engine: options.engine, threads: options.simulation.threads)
            var o = options
            o.simulation.capital = capital
            let out = try Sweep.simulate(def, values: values, panel: visible, bars: trainEnd ..< testEnd, options: o)
            equity += out.equity
            capital = out.equity.last ?? capital
            trades += out.trades
            var window = WalkForwardWindow(train: trainRange, test: trainEnd ..< testEnd, chosen: best.params,
                                           inSample: best.metrics, outOfSample: out.metrics)
            window.trialSharpes = rows.map { ReturnMoments(SweepStatistics.returns(Array($0.equity))).sharpe }
            windows.append(window)
            progress?(windows.count, count)
            start += request.test
        }
        let first = request.train
        // A position still open at the end of a window is marked there, so it counts as open.
        let total = Metrics.compute(equity: equity, initial: options.simulation.capital, trades: trades,
                                    barsPerYear: panel.barsPerYear)
        let scores = windows.map { $0.inSample.value(request.sweep.metric) }.filter { !$0.isNaN }
        return WalkForwardResult(strategyName: URL(fileURLWithPath: strategyPath).deletingPathExtension().lastPathComponent,
                                 metric: request.sweep.metric, windows: windows, equity: equity, bars: first ..< first + equity.count,
                                 outOfSample: total, inSampleMean: scores.isEmpty ? .nan : scores.reduce(0, +) / Double(scores.count))
    }
}
