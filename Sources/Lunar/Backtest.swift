import Foundation
import LunarData
import LunarEngine
import LunarGraph
import LunarKernels
import LunarParquet
import LunarScript
import LunarSim
import LunarReport

/// Which evaluator turns a strategy's graph into signal arrays.
public enum EngineKind: String, Sendable, CaseIterable {
    /// Optimized, planned and run in fused, blocked, multi-threaded passes (the default).
    case fused
    /// The reference evaluator: one full array per node. The oracle for tests.
    case naive
}

/// Everything a run needs besides the strategy file and the data.
public struct BacktestOptions: Sendable {
    public var params: [String: String] = [:]
    public var simulation = SimulationOptions()
    public var engine: EngineKind = .fused
    public var limits = ScriptLimits()
    /// The `stdlib/` folder; found automatically when nil.
    public var stdlib: String? = nil
    /// Per-bar strategies: finish the other symbols when `on_bar` fails on one, and report it.
    public var keepGoing = false
    /// Simulate each tile of symbols as soon as the fused executor has its long entries and
    /// exits (`Backtest.runTileFused`); false evaluates every symbol first, then simulates. The
    /// results are the same; only the memory traffic differs.
    public var tileFusion = true
    /// Library roots besides the strategy's folder and the stdlib (lunar.toml, --lib, LUNAR_PATH).
    public var libraries: LibrarySettings? = nil
    /// Settings by their names (`fill`, `fees`, `sizing`, …; see `Setting.all`), as the
    /// command-line flags give them. Precedence, the same for every command and the Swift API:
    /// `simulation` (the API's defaults) < the strategy table < `overrides`.
    public var overrides: [String: SettingValue] = [:]
    public init() {}

    /// Adds overrides given as text, as the command line gives them (`"fees": "0.002"`), each
    /// read by its setting; unknown names throw with the closest settings.
    public mutating func override(_ texts: [String: String]) throws {
        for (name, text) in texts { overrides[name] = try Setting.named(name).parse(text) }
    }
}

/// The outcome of one backtest.
public struct BacktestResult: Sendable {
    public let strategy: StrategyDefinition
    public let panel: Panel
    public let runs: [SymbolRun]
    /// Sum of the sub-accounts at each bar.
    public let equity: [Double]
    public let portfolio: Metrics
    public let symbolMetrics: [Metrics]
    public var timings: Timings
    /// Symbols whose `on_bar` failed (only with `keepGoing`): symbol and error message.
    public var failures: [(symbol: String, message: String)] = []
    /// The options the simulation ran with (defaults, then the strategy table, then overrides).
    public var simulationOptions = SimulationOptions()
    /// The benchmark's value scaled to the starting capital, and its name.
    public var benchmark: [Double] = []
    public var benchmarkName = ""
    public var mode: CapitalMode = .independent
    /// The same strategy on the survivors only (`Backtest.survivorship`), when it was run.
    public var survivorship: Survivorship? = nil

    public struct Timings: Sendable {
        public var compile = 0.0, evaluate = 0.0, simulate = 0.0, metrics = 0.0
        /// Symbols were simulated and measured inside the evaluation pass, tile by tile
        /// (`Backtest.runTileFused`): `evaluate` holds both, `simulate` the portfolio's sum.
        public var fusedSimulation = false
        public var total: Double { compile + evaluate + simulate + metrics }
    }

    public var trades: [Trade] { runs.flatMap(\.trades) }
}

public enum Backtest {
    /// Loads `strategyPath`, evaluates its signals over `panel`, simulates and measures.
    public static func run(strategyPath: String, panel: Panel, options: BacktestOptions = BacktestOptions()) throws -> BacktestResult {
        var timings = BacktestResult.Timings()
        var clock = Stopwatch()
        let strategy = try load(strategyPath, panel: panel, options: options)
        timings.compile = clock.lap()
        let sim = try simulationOptions(strategy, options)
        let view = try panel.runView(prices: sim.prices, hours: sim.hours)
        if let fused = try runTileFused(strategy, view: view, sim: sim, options: options, timings: timings) { return fused }
        let values = try Evaluation.evaluate(strategy.graph, outputs: wantedNodes(strategy), panel: view,
                                             engine: options.engine, threads: sim.threads, cachePlans: true)
        timings.evaluate = clock.lap()
        return try simulate(strategy, values: values, panel: view, options: options, timings: timings)
    }

    /// The names a strategy's `bars` offers for `panel`: its fields, and `member`, which every
    /// run's view of the data adds (`Panel.runView`).
    public static func fieldNames(_ panel: Panel) -> [String] {
        Set(panel.fields.keys).union(["member"]).sorted()
    }

    /// The same strategy on the survivors only — the symbols not delisted in the window — beside
    /// `full`, its run on the whole universe: the survivorship bias a backtest on today's
    /// constituents would hide. Nil when no symbol is delisted (the two runs would be one).
    public static func survivorship(of full: BacktestResult, strategyPath: String,
                                    options: BacktestOptions) throws -> Survivorship? {
        guard let survivors = survivors(of: full.panel) else { return nil }
        var o = options
        // The survivors split the same capital: the comparison is of returns on one stake.
        o.simulation.capital = full.simulationOptions.capital
        let only = try run(strategyPath: strategyPath, panel: full.panel.selecting(symbols: survivors), options: o)
        return Survivorship(survivors: survivors.count, delisted: full.panel.symbolCount - survivors.count,
                            full: full.portfolio, survivorsOnly: only.portfolio)
    }

    /// The symbols of `panel` not delisted in its window (and listed at some bar); nil when that
    /// is every symbol or none, where a survivors-only run would be the run itself or nothing.
    static func survivors(of panel: Panel) -> [Int]? {
        let life = panel.lifecycle
        let survivors = life.indices.filter { !life[$0].delisted && life[$0].firstBar >= 0 }
        return survivors.count < panel.symbolCount && !survivors.isEmpty ? survivors : nil
    }

    /// The panel a strategy reads in a run: the data in the `prices` mode its strategy-table
    /// settings and the options resolve to, with the `member` field.
    static func view(_ panel: Panel, strategySettings: [String: SettingValue], _ options: BacktestOptions) throws -> Panel {
        let sim = try resolveSettings(defaults: options.simulation, strategy: strategySettings, overrides: options.overrides)
        return try panel.runView(prices: sim.prices, hours: sim.hours)
    }

    /// Loads a strategy for `panel` with the options' parameters and library roots: what every
    /// entry point (run, explain, the bench's plan summary) starts from.
    static func load(_ strategyPath: String, panel: Panel, options: BacktestOptions) throws -> StrategyDefinition {
        try StrategyLoader.load(path: strategyPath, fields: fieldNames(panel), overrides: options.params,
                                stdlib: try options.stdlib ?? Stdlib.locate(), libraries: options.libraries,
                                limits: options.limits)
    }

    /// The nodes a run evaluates, each with the names it is known by (signals and indicators).
    static func namedOutputs(_ strategy: StrategyDefinition) -> [(name: String, node: NodeID)] {
        Signal.allCases.compactMap { s in strategy.outputs[s.name].map { (s.name, $0) } } + strategy.indicators
    }

    /// The simulation options of a run: the defaults, then the strategy table, then overrides
    /// (each layer in the table order of `Setting.all`).
    public static func simulationOptions(_ strategy: StrategyDefinition, _ options: BacktestOptions) throws -> SimulationOptions {
        try resolveSettings(defaults: options.simulation, strategy: strategy.settings, overrides: options.overrides)
    }

    /// The one precedence rule: `defaults` < `strategy` < `overrides`. Unknown override names
    /// throw with the closest settings.
    public static func resolveSettings(defaults: SimulationOptions, strategy: [String: SettingValue],
                                       overrides: [String: SettingValue]) throws -> SimulationOptions {
        for name in overrides.keys.sorted() { _ = try Setting.named(name) }
        var sim = defaults
        for layer in [strategy, overrides] {
            for s in Setting.all { if let v = layer[s.name] { try s.apply(v, to: &sim) } }
        }
        try sim.validate()
        return sim
    }

    /// The nodes a run needs evaluated: every signal the strategy returned and its indicators.
    static func wantedNodes(_ strategy: StrategyDefinition) -> [NodeID] { namedOutputs(strategy).map(\.node) }

    /// Everything after evaluation: simulation, benchmark and metrics. Sweeps and walk-forward
    /// windows come through here too, so each of their rows is measured exactly like a run.
    /// - Parameters:
    ///   - perSymbol: also measure each symbol (a sweep row needs only the portfolio).
    ///   - benchmarkPanel: the panel the benchmark is taken from, when `panel` is a slice of it
    ///     (a shard's symbols: its equal-weight benchmark is still the whole universe's).
    ///   - given: the benchmark itself, when no panel holds the universe (a tile of a store).
    static func simulate(_ strategy: StrategyDefinition, values: [NodeID: [Double]], panel: Panel,
                         options: BacktestOptions, timings: BacktestResult.Timings = .init(),
                         perSymbol: Bool = true, benchmarkPanel: Panel? = nil,
                         benchmark given: (curve: [Double], name: String, returns: Metrics.Benchmark)? = nil) throws -> BacktestResult {
        var timings = timings
        var clock = Stopwatch()
        let sim = try simulationOptions(strategy, options)
        func output(_ signal: Signal) -> [Double]? { strategy.outputs[signal.name].map { values[$0]! } }
        var series: [Signal: [Double]] = [:]
        for signal in Signal.allCases { series[signal] = output(signal) }
        // The loader accepted only bool-typed nodes for the bool signals.
        let inputs = SignalInputs(series, boolsAreTyped: true)
        // The benchmark depends on the closes alone: known before the simulation, so each
        // symbol can be measured right after it is simulated, while its equity is in cache.
        let (bench, benchName, benchReturns) = try given ?? benchmark(panel: benchmarkPanel ?? panel, symbol: sim.benchmark, capital: sim.capital)
        let bpy = panel.barsPerYear
        var measure: (@Sendable (SymbolRun) -> Metrics)? = nil
        if perSymbol {
            measure = { (r: SymbolRun) -> Metrics in
                Metrics.compute(r, barsPerYear: bpy, benchmark: benchReturns)
            }
        }
        var measured: [Metrics]? = nil
        let runs: [SymbolRun]
        var equity: [Double]
        var mode = CapitalMode.independent
        var failures: [(symbol: String, message: String)] = []
        if strategy.perBar {
            // Orders from on_bar trade each symbol's own account: the settings of target
            // portfolios would be silently meaningless here.
            let targetSettings = [("portfolio = \"shared\"", sim.capitalMode == .shared), ("top", sim.top != nil),
                                  ("rebalance", sim.rebalance != .onChange)].filter(\.1).map(\.0)
            if !targetSettings.isEmpty {
                throw SimulationError.badOption("\(targetSettings.joined(separator: ", ")) applies to target weights returned by signals; " +
                    "an on_bar strategy trades each symbol's own account with its orders")
            }
            var o = options
            o.simulation = sim
            let entries = output(.entries)
            let exits = entries == nil ? nil : (output(.exits) ?? [Double](repeating: 0, count: panel.symbolCount * panel.barCount))
            let out = try PerBarRunner.run(strategy: strategy, panel: panel, indicators: strategy.indicators.map { values[$0.node]! },
                                           entries: entries, exits: exits, options: o)
            runs = out.runs
            failures = out.failures.map { ($0.symbol, $0.message) }
            equity = Simulator.sumEquity(runs, bars: panel.barCount, threads: sim.threads)
        } else {
            let simulation = try Simulator.run(panel: panel, inputs: inputs, options: sim, measure: measure)
            runs = simulation.runs; equity = simulation.equity; mode = simulation.mode
            measured = simulation.symbolMetrics
        }
        timings.simulate = clock.lap()
        // Per-symbol metrics in parallel, like the simulation (each writes its own slot), unless
        // the simulation already measured them.
        var symbolMetrics = measured ?? [Metrics](repeating: Metrics(), count: perSymbol ? runs.count : 0)
        if measured == nil {
        symbolMetrics.withUnsafeMutableBufferPointer { buf in
            guard let base = buf.baseAddress else { return }
            let out = SharedBuffer(base, count: buf.count)
            let chunk = 16
            let n = out.count
            parallelFor(chunks: (n + chunk - 1) / chunk, threads: sim.threads) { k in
                for s in k * chunk ..< min(n, (k + 1) * chunk) {
                    out[s] = Metrics.compute(runs[s], barsPerYear: bpy, benchmark: benchReturns)
                }
            }
        }
        }
        var result = assemble(strategy, panel: panel, runs: runs, equity: equity, symbolMetrics: symbolMetrics, sim: sim,
                              benchmark: (bench, benchName, benchReturns))
        result.failures = failures
        result.mode = mode
        result.timings = timings
        result.timings.metrics = clock.lap()
        return result
    }

    /// The portfolio of sub-accounts `runs` (their summed `equity`) measured, as a result: the
    /// last step of every run, and what `lunar merge` does with the runs of a run's shards.
    static func assemble(_ strategy: StrategyDefinition, panel: Panel, runs: [SymbolRun], equity: [Double], symbolMetrics: [Metrics],
                         sim: SimulationOptions, benchmark: (curve: [Double], name: String, returns: Metrics.Benchmark)) -> BacktestResult {
        let bpy = panel.barsPerYear
        // The portfolio is in the market on a bar when any symbol is.
        // A difference array over bars: +1 where a trade starts holding, −1 after it stops.
        var open = [Int](repeating: 0, count: panel.barCount + 1)
        for r in runs {
            for tr in r.trades {
                let end = tr.isOpen ? tr.exitBar + 1 : tr.exitBar
                if end > tr.entryBar { open[tr.entryBar] += 1; open[end] -= 1 }
            }
        }
        var inMarket = 0, holding = 0
        for t in 0 ..< panel.barCount { holding += open[t]; if holding > 0 { inMarket += 1 } }
        let portfolio = Metrics.compute(portfolio: runs, equity: equity, initial: sim.capital, barsPerYear: bpy,
                                        barsInMarket: inMarket, benchmark: benchmark.returns)
        var result = BacktestResult(strategy: strategy, panel: panel, runs: runs, equity: equity,
                                    portfolio: portfolio, symbolMetrics: symbolMetrics, timings: .init())
        result.simulationOptions = sim
        result.benchmark = benchmark.curve; result.benchmarkName = benchmark.name
        return result
    }

    /// The benchmark's value curve scaled to `capital` (one symbol's close, or the universe's
    /// equal-weight buy-and-hold), its name and its returns. It depends on the closes alone, so
    /// it is computed once per panel and capital (repeated runs on one panel reuse it).
    static func benchmark(panel: Panel, symbol: String?, capital: Double) throws
        -> (curve: [Double], name: String, returns: Metrics.Benchmark) {
        var index: Int? = nil
        if let symbol {
            guard let s = panel.symbolIndex(symbol) else {
                let hint = closestMatches(to: symbol, in: panel.symbols)
                throw SimulationError.badOption("benchmark '\(symbol)' is not a symbol of the data" +
                    (hint.isEmpty ? "" : "; did you mean \(hint.map { "'\($0)'" }.joined(separator: ", "))?"))
            }
            index = s
        }
        let key = "benchmark:\(index.map(String.init) ?? "equal-weight"):\(capital.bitPattern)"
        let (curve, returns) = panel.derived(key) { () -> ([Double], Metrics.Benchmark) in
            let close = panel.fields["close"]!
            let T = panel.barCount
            var curve = index.map { s in Metrics.equalWeightBenchmark(close: Array(close[s * T ..< (s + 1) * T]), symbols: 1, bars: T) }
                ?? Metrics.equalWeightBenchmark(close: close, symbols: panel.symbolCount, bars: T)
            for t in curve.indices { curve[t] *= capital }
            return (curve, Metrics.Benchmark(curve))
        }
        return (curve, symbol ?? "equal-weight universe", returns)
    }
}

/// Where the data come from: `synthetic`, `synthetic:N:T[:SEED]`, a folder of CSVs or one CSV,
/// with the universe's membership list and delistings (`Universe.attach`).
public enum DataSource {
    public static func load(_ spec: String, adjust: Bool = false, universe: String? = nil, delistings: String? = nil,
                            progress: ((Int, Int) -> Void)? = nil) throws -> Panel {
        // Built-in and plugin sources alike come from the PanelSources registry.
        _ = ParquetSourceFactory.registered
        var panel = try PanelSources.source(for: spec, options: .init(adjust: adjust)).load(progress: progress)
        if adjust && panel.hasCorporateActions {
            throw DataError.invalid("\(spec): --adjust rescales by Adj Close, which already holds the splits and dividends " +
                "of the split/dividend columns; drop --adjust and choose --prices raw, split or total")
        }
        try Universe.attach(to: &panel, spec: spec, membership: universe, delistings: delistings)
        return panel
    }
}

/// Finds the shipped `stdlib/` folder.
public enum Stdlib {
    /// `LUNAR_STDLIB`, else a `stdlib/ta.lua` beside or above the executable, else above the
    /// current directory.
    public static func locate() throws -> String {
        if let env = ProcessInfo.processInfo.environment["LUNAR_STDLIB"] { return env }
        let exe = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
        let starts = [exe.deletingLastPathComponent(), URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
        for start in starts {
            var dir = start
            for _ in 0 ..< 8 {
                let candidate = dir.appendingPathComponent("stdlib")
                if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("ta.lua").path) {
                    return candidate.path
                }
                dir = dir.deletingLastPathComponent()
            }
        }
        throw ScriptError("cannot find Lunar's stdlib/ folder (with ta.lua): set LUNAR_STDLIB to its path")
    }
}

/// Wall-clock laps in seconds.
public struct Stopwatch {
    private var last = DispatchTime.now().uptimeNanoseconds
    public init() {}
    public mutating func lap() -> Double {
        let now = DispatchTime.now().uptimeNanoseconds
        defer { last = now }
        return Double(now - last) / 1e9
    }
}

extension BacktestResult {
    /// The run in the form the report writers take.
    public var report: RunReport {
        var r = RunReport(strategyName: strategy.name, strategyPath: strategy.path,
                          params: strategy.params.map { ($0.name, $0.value.description) }, panel: panel,
                          equity: equity, portfolio: portfolio, symbolMetrics: symbolMetrics,
                          // A run made tile by tile keeps no sub-account curves (`TiledRun`).
                          trades: trades, symbolEquity: runs.contains { $0.equity.count != equity.count } ? [] : runs.map(\.equity),
                          benchmark: benchmark, benchmarkName: benchmarkName,
                          settings: settingsSummary, survivorship: survivorship)
        r.libraries = strategy.libraries.compactMap(LibraryProvenance.init(root:)).map(\.summary)
        return r
    }
}

extension BacktestResult {
    /// The simulation settings in one line, for reports: the capital mode the run used, then
    /// every setting that differs from its default, by its strategy-table name.
    public var settingsSummary: String {
        (["portfolio \(mode.rawValue)"] + simulationOptions.changedSettings.filter { $0.name != "portfolio" }
            .map { "\($0.name) \($0.value)" }).joined(separator: ", ")
    }
}
