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

/// One window's choice, made in-sample: what a walk-forward shard computes (the sweeps, nearly
/// all of the work), before the out-of-sample windows are run in order from the equity so far.
public struct WalkForwardChoice: Sendable {
    public var train: Range<Int>
    public var test: Range<Int>
    public var chosen: [(name: String, value: String)]
    public var inSample: Metrics
    public var trialSharpes: [Double]
}

public enum WalkForward {
    public static func run(strategyPath: String, panel: Panel, options: BacktestOptions, request: WalkForwardRequest,
                           progress: ((Int, Int) -> Void)? = nil) throws -> WalkForwardResult {
        let (panel, combos, stdlib) = try prepare(strategyPath: strategyPath, panel: panel, options: options, request: request)
        let schedule = windows(bars: panel.barCount, request)
        var choices: [WalkForwardChoice] = []
        for w in schedule {
            choices.append(try choose(w, strategyPath: strategyPath, panel: panel, combos: combos, options: options,
                                      request: request, stdlib: stdlib))
            progress?(choices.count, schedule.count)
        }
        return try stitch(choices, strategyPath: strategyPath, panel: panel, options: options, request: request, stdlib: stdlib)
    }

    /// The choices of one shard's slice of the windows (`--shard K/N`), and which windows they are.
    public static func choose(shard: ShardSpec, strategyPath: String, panel: Panel, options: BacktestOptions, request: WalkForwardRequest,
                              progress: ((Int, Int) -> Void)? = nil) throws -> (choices: [WalkForwardChoice], range: Range<Int>, total: Int) {
        let (panel, combos, stdlib) = try prepare(strategyPath: strategyPath, panel: panel, options: options, request: request)
        let schedule = windows(bars: panel.barCount, request)
        let range = shard.range(of: schedule.count)
        var choices: [WalkForwardChoice] = []
        for w in schedule[range] {
            choices.append(try choose(w, strategyPath: strategyPath, panel: panel, combos: combos, options: options,
                                      request: request, stdlib: stdlib))
            progress?(choices.count, range.count)
        }
        return (choices, range, schedule.count)
    }

    /// The request checked, the data in the strategy's price mode, the combinations and the stdlib.
    static func prepare(strategyPath: String, panel: Panel, options: BacktestOptions, request: WalkForwardRequest) throws
        -> (panel: Panel, combos: [[(name: String, value: String)]], stdlib: String) {
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
        return (try Backtest.view(panel, strategySettings: probe.settings, options), combos, stdlib)
    }

    /// The windows over `bars` bars: each trains on `train` bars (all before it when anchored)
    /// and tests on the next `test` (the last one on what is left).
    static func windows(bars T: Int, _ request: WalkForwardRequest) -> [(train: Range<Int>, test: Range<Int>)] {
        var out: [(train: Range<Int>, test: Range<Int>)] = []
        var start = 0
        while start + request.train < T {
            let trainEnd = start + request.train
            out.append(((request.anchored ? 0 : start) ..< trainEnd, trainEnd ..< min(trainEnd + request.test, T)))
            start += request.test
        }
        return out
    }

    /// The in-sample sweep of one window and its best combination.
    static func choose(_ w: (train: Range<Int>, test: Range<Int>), strategyPath: String, panel: Panel,
                       combos: [[(name: String, value: String)]], options: BacktestOptions, request: WalkForwardRequest,
                       stdlib: String) throws -> WalkForwardChoice {
        // The choice sees only bars before the test window: signals are computed on that prefix alone.
        let seen = panel.prefix(bars: w.train.upperBound)
        let session = try StrategySession(path: strategyPath, fields: Backtest.fieldNames(panel), stdlib: stdlib, libraries: options.libraries, limits: options.limits)
        // Per-bar strategies go the same way: their indicators are computed on the prefix
        // (warm-ups use earlier bars) and `on_bar` runs over the window's bars alone, with a
        // fresh ctx.state and ctx.past reaching back to the window's first bar.
        var rows = try Sweep.score(session: session, combos: combos, panel: seen, bars: w.train, options: options,
                                   memoryBudget: request.sweep.memoryBudget, progress: nil)
        Sweep.rank(&rows, by: request.sweep.metric)
        return WalkForwardChoice(train: w.train, test: w.test, chosen: rows[0].params, inSample: rows[0].metrics,
                                 trialSharpes: rows.map { ReturnMoments(SweepStatistics.returns(Array($0.equity))).sharpe })
    }

    /// Runs each window's chosen parameters out of sample, in order, each starting from the
    /// equity the one before ended with, and stitches them together.
    static func stitch(_ choices: [WalkForwardChoice], strategyPath: String, panel: Panel, options: BacktestOptions,
                       request: WalkForwardRequest, stdlib: String) throws -> WalkForwardResult {
        var windows: [WalkForwardWindow] = []
        var equity: [Double] = []
        var trades: [Trade] = []   // every window's, for the stitched trade statistics
        var capital = options.simulation.capital
        for c in choices {
            // Out of sample: the chosen parameters on the next window, starting from the equity so far.
            let visible = panel.prefix(bars: c.test.upperBound)
            let session = try StrategySession(path: strategyPath, fields: Backtest.fieldNames(panel), stdlib: stdlib, libraries: options.libraries, limits: options.limits)
            let def = try session.build(params: session.resolve(Dictionary(uniqueKeysWithValues: c.chosen.map { ($0.name, $0.value) })))
            let values = try Evaluation.evaluate(session.graph, outputs: Backtest.wantedNodes(def),
                                                 panel: visible, engine: options.engine, threads: options.simulation.threads)
            var o = options
            o.simulation.capital = capital
            let out = try Sweep.simulate(def, values: values, panel: visible, bars: c.test, options: o)
            equity += out.equity
            capital = out.equity.last ?? capital
            trades += out.trades
            var window = WalkForwardWindow(train: c.train, test: c.test, chosen: c.chosen, inSample: c.inSample, outOfSample: out.metrics)
            window.trialSharpes = c.trialSharpes
            windows.append(window)
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
