import Foundation
import LunarData
import LunarGraph
import LunarSim

/// One shard of a run (`lunar run --shard K/N`): a slice of the universe's symbols, each an
/// independent sub-account with the capital a whole run gives it.
public struct RunSlice: Sendable {
    /// The slice's symbols: positions in the universe.
    public var symbols: Range<Int>
    public var universeSize: Int
    /// One per symbol of the slice; trades name their symbol by its position in the universe.
    public var runs: [SymbolRun]
    public var symbolMetrics: [Metrics]
    public var failures: [(symbol: String, message: String)]
}

/// A run's shards and their merge. A shard loads the whole universe (the equal-weight
/// benchmark and cross-sectional signals need every symbol), simulates only its slice, and
/// writes each sub-account; the merge adds the sub-accounts' curves in the order and grouping
/// a single run uses (`Simulator.sumEquity`), so the portfolio is the same bits.
public enum RunShards {
    /// Simulates `symbols` of `universe`. A shared-cash portfolio is one account trading every
    /// symbol at once, so it cannot be split by symbol: refused.
    public static func run(strategyPath: String, universe: Panel, symbols: Range<Int>, options: BacktestOptions) throws -> RunSlice {
        let (strategy, sim, view) = try prepare(strategyPath, universe, options)
        let targets = ["weight", "score"].filter { strategy.outputs[$0] != nil }
        if sim.capitalMode == .shared || !targets.isEmpty {
            throw SimulationError.badOption("a shared-cash portfolio (\(targets.isEmpty ? "portfolio = \"shared\"" : "targets from `\(targets[0])`")) " +
                "trades every symbol from one account, so a run of it cannot be split by symbol: run it without --shard " +
                "(a sweep or walk-forward of it can be sharded)")
        }
        let slice = view.selecting(symbols: Array(symbols))
        let wanted = Backtest.wantedNodes(strategy)
        var values: [NodeID: [Double]]
        if strategy.graph.isCrossSectional(wanted) {
            // Ranks and z-scores across symbols need them all: evaluated on the universe, then cut.
            let all = try Evaluation.evaluate(strategy.graph, outputs: wanted, panel: view, engine: options.engine,
                                              threads: sim.threads, cachePlans: true)
            let T = view.barCount
            values = all.mapValues { Array($0[symbols.lowerBound * T ..< symbols.upperBound * T]) }
        } else {
            values = try Evaluation.evaluate(strategy.graph, outputs: wanted, panel: slice, engine: options.engine,
                                             threads: sim.threads, cachePlans: true)
        }
        var o = options
        o.simulation.splitAmong = universe.symbolCount
        let r = try Backtest.simulate(strategy, values: values, panel: slice, options: o, benchmarkPanel: view)
        let runs = r.runs.map { run -> SymbolRun in
            var run = run
            for k in run.trades.indices { run.trades[k].symbol += symbols.lowerBound }
            return run
        }
        return RunSlice(symbols: symbols, universeSize: universe.symbolCount, runs: runs, symbolMetrics: r.symbolMetrics,
                        failures: r.failures)
    }

    /// A shard's `shard.bin`: its slice, then whether the survivors-only run's slice follows.
    public static func payload(_ main: RunSlice, survivors: RunSlice?) -> Data {
        var w = ShardWriter()
        write(main, to: &w)
        w.bool(survivors != nil)
        if let survivors { write(survivors, to: &w) }
        return w.data
    }

    static func write(_ s: RunSlice, to w: inout ShardWriter) {
        w.int(s.symbols.lowerBound); w.int(s.symbols.upperBound); w.int(s.universeSize)
        for run in s.runs { w.symbolRun(run) }
        for m in s.symbolMetrics { w.metrics(m) }
        w.strings(s.failures.map(\.symbol)); w.strings(s.failures.map(\.message))
    }

    /// The universe's sub-accounts from every shard, in symbol order: the run's and, when the
    /// shards ran it, the survivors-only run's.
    public static func slices(_ shards: [(manifest: ShardManifest, data: ShardReader)]) throws -> (main: RunSlice, survivors: RunSlice?) {
        var main: [RunSlice] = [], survivors: [RunSlice] = []
        for (_, data) in shards {
            var r = data
            main.append(try readSlice(&r))
            if try r.bool() { survivors.append(try readSlice(&r)) }
            try r.end()
        }
        guard survivors.isEmpty || survivors.count == main.count else {
            throw ShardError("some shards ran the survivors-only comparison and some did not: rerun them with the same command")
        }
        return (try joined(main), survivors.isEmpty ? nil : try joined(survivors))
    }

    static func readSlice(_ r: inout ShardReader) throws -> RunSlice {
        let lo = try r.int(), hi = try r.int(), universe = try r.int()
        guard 0 <= lo, lo <= hi, hi <= universe else { throw r.corrupt("a slice \(lo)..<\(hi) of \(universe) symbols") }
        let runs = try (lo ..< hi).map { _ in try r.symbolRun() }
        // Trades index the symbols and bars of the report: a damaged one must not reach it.
        for (k, run) in runs.enumerated() {
            for t in run.trades where t.symbol != lo + k || t.entryBar < 0 || t.entryBar > t.exitBar || t.exitBar >= run.equity.count {
                throw r.corrupt("a trade of symbol \(t.symbol) over bars \(t.entryBar)...\(t.exitBar) in the sub-account of symbol \(lo + k)")
            }
        }
        let metrics = try (lo ..< hi).map { _ in try r.metrics() }
        let names = try r.strings(), messages = try r.strings()
        guard names.count == messages.count else { throw r.corrupt("\(names.count) failed symbols, \(messages.count) messages") }
        return RunSlice(symbols: lo ..< hi, universeSize: universe, runs: runs, symbolMetrics: metrics,
                        failures: zip(names, messages).map { (symbol: $0, message: $1) })
    }

    /// Slices in order joined into the whole universe's, checked to fit end to end.
    static func joined(_ slices: [RunSlice]) throws -> RunSlice {
        var out = RunSlice(symbols: 0 ..< 0, universeSize: slices.first?.universeSize ?? 0, runs: [], symbolMetrics: [], failures: [])
        for s in slices {
            guard s.symbols.lowerBound == out.symbols.upperBound, s.universeSize == out.universeSize else {
                throw ShardError("the shards' symbols \(s.symbols) of \(s.universeSize) do not follow \(out.symbols) of \(out.universeSize)")
            }
            out.symbols = 0 ..< s.symbols.upperBound
            out.runs += s.runs; out.symbolMetrics += s.symbolMetrics; out.failures += s.failures
        }
        guard out.symbols.upperBound == out.universeSize else { throw ShardError("the shards hold \(out.symbols.upperBound) of \(out.universeSize) symbols") }
        return out
    }

    /// The run a single `lunar run` makes of `universe`, from its shards' sub-accounts.
    public static func merge(_ whole: RunSlice, strategyPath: String, universe: Panel, options: BacktestOptions) throws -> BacktestResult {
        guard whole.universeSize == universe.symbolCount else {
            throw ShardError("the shards ran on \(whole.universeSize) symbols, the data have \(universe.symbolCount): were the data changed since the shards ran?")
        }
        var clock = Stopwatch()
        let (strategy, sim, view) = try prepare(strategyPath, universe, options)
        guard whole.runs.allSatisfy({ $0.equity.count == view.barCount }) else {
            throw ShardError("the shards ran on another number of bars than the data have (\(view.barCount)): were the data changed since the shards ran?")
        }
        let bench = try Backtest.benchmark(panel: view, symbol: sim.benchmark, capital: sim.capital)
        let equity = Simulator.sumEquity(whole.runs, bars: view.barCount, threads: sim.threads)
        var result = Backtest.assemble(strategy, panel: view, runs: whole.runs, equity: equity, symbolMetrics: whole.symbolMetrics,
                                       sim: sim, benchmark: bench)
        result.failures = whole.failures
        result.timings.metrics = clock.lap()
        return result
    }

    /// The strategy, its resolved settings and the data as the run reads them: what
    /// `Backtest.run` starts from.
    static func prepare(_ strategyPath: String, _ universe: Panel, _ options: BacktestOptions) throws
        -> (strategy: StrategyDefinition, sim: SimulationOptions, view: Panel) {
        let strategy = try Backtest.load(strategyPath, panel: universe, options: options)
        let sim = try Backtest.simulationOptions(strategy, options)
        return (strategy, sim, try universe.runView(prices: sim.prices, hours: sim.hours))
    }

    /// The survivors-only universe of a run's `universe` and, for a shard's `symbols`, its slice
    /// of them (nil when nothing is delisted).
    public static func survivors(of universe: Panel, options: BacktestOptions, strategyPath: String, symbols: Range<Int>) throws
        -> (universe: Panel, symbols: Range<Int>, options: BacktestOptions)? {
        let (_, sim, view) = try prepare(strategyPath, universe, options)
        guard view.universeSummary.delisted > 0, let survivors = Backtest.survivors(of: view) else { return nil }
        // As `Backtest.survivorship`: the survivors split the same capital.
        var o = options
        o.simulation.capital = sim.capital
        let lo = survivors.firstIndex { $0 >= symbols.lowerBound } ?? survivors.count
        let hi = survivors.firstIndex { $0 >= symbols.upperBound } ?? survivors.count
        return (view.selecting(symbols: survivors), lo ..< hi, o)
    }
}
