import Foundation
import LunarData
import LunarEngine
import LunarGraph
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
    public init() {}
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
    public let timings: Timings

    public struct Timings: Sendable {
        public var compile = 0.0, evaluate = 0.0, simulate = 0.0, metrics = 0.0
        public var total: Double { compile + evaluate + simulate + metrics }
    }

    public var trades: [Trade] { runs.flatMap(\.trades) }
}

public enum Backtest {
    /// Loads `strategyPath`, evaluates its signals over `panel`, simulates and measures.
    public static func run(strategyPath: String, panel: Panel, options: BacktestOptions = BacktestOptions()) throws -> BacktestResult {
        try options.simulation.validate()
        var timings = BacktestResult.Timings()
        var clock = Stopwatch()
        let stdlib = try options.stdlib ?? Stdlib.locate()
        let strategy = try StrategyLoader.load(path: strategyPath, fields: panel.fields.keys.sorted(),
                                               overrides: options.params, stdlib: stdlib, limits: options.limits)
        timings.compile = clock.lap()
        let entries = strategy.outputs["entries"]!
        let exits = strategy.outputs["exits"]
        let wanted = [entries] + (exits.map { [$0] } ?? [])
        let values: [NodeID: [Double]]
        switch options.engine {
        case .naive: values = try NaiveEvaluator(panel: panel).evaluate(strategy.graph, outputs: wanted)
        case .fused:
            let compiled = try FusedEngine.compile(strategy.graph, outputs: wanted, symbols: panel.symbolCount,
                                                   bars: panel.barCount, options: PlanOptions(threads: options.simulation.threads))
            timings.compile += clock.lap()
            values = try FusedEngine.run(compiled, panel: panel)
        }
        let cells = panel.symbolCount * panel.barCount
        let entrySignals = values[entries]!
        let exitSignals = exits.map { values[$0]! } ?? [Double](repeating: 0, count: cells)
        timings.evaluate = clock.lap()
        let runs = Simulator.run(close: panel.fields["close"]!, entries: entrySignals, exits: exitSignals,
                                 symbols: panel.symbolCount, bars: panel.barCount, options: options.simulation)
        timings.simulate = clock.lap()
        let equity = ParallelFold.sumEquity(runs, bars: panel.barCount, threads: options.simulation.threads)
        let bpy = panel.barsPerYear
        let symbolMetrics = ParallelFold.symbolMetrics(runs, barsPerYear: bpy, threads: options.simulation.threads)
        let portfolio = Metrics.compute(equity: equity, initial: options.simulation.capital,
                                        trades: runs.flatMap(\.trades), barsPerYear: bpy)
        timings.metrics = clock.lap()
        return BacktestResult(strategy: strategy, panel: panel, runs: runs, equity: equity,
                              portfolio: portfolio, symbolMetrics: symbolMetrics, timings: timings)
    }
}

/// Where the data come from: `synthetic`, `synthetic:N:T[:SEED]`, a folder of CSVs or one CSV.
public enum DataSource {
    public static func load(_ spec: String, adjust: Bool = false,
                            progress: ((Int, Int) -> Void)? = nil) throws -> Panel {
        if let (n, t, seed) = try Synthetic.parseSpec(spec) {
            return Synthetic.panel(symbols: n, bars: t, seed: seed)
        }
        // A binary cache next to the data makes every load after the first one cheap.
        let fingerprint = PanelCache.fingerprint(of: spec, adjust: adjust)
        if let fingerprint, let panel = PanelCache.load(spec, fingerprint: fingerprint) { return panel }
        let panel = try CSVLoader.load(path: spec, options: .init(adjust: adjust), progress: progress)
        if let fingerprint { PanelCache.store(panel, for: spec, fingerprint: fingerprint) }
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
        RunReport(strategyName: strategy.name, strategyPath: strategy.path,
                  params: strategy.params.map { ($0.name, $0.value.description) }, panel: panel,
                  equity: equity, portfolio: portfolio, symbolMetrics: symbolMetrics,
                  trades: trades, symbolEquity: runs.map(\.equity))
    }
}
