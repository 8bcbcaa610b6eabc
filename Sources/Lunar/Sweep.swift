import Foundation
import LunarData
import LunarGraph
import LunarKernels
import LunarScript
import LunarSim

/// One swept parameter and the values it takes.
public struct ParamSpace: Sendable, Equatable {
    public var name: String
    public var values: [String]

    /// Parses `name=5:50:5` (an inclusive range with a step), `name=a,b,c` (a list) or `name=7`.
    public static func parse(_ text: String) throws -> ParamSpace {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw ScriptError("--param takes name=start:stop:step, name=a,b,c or name=value, got '\(text)'")
        }
        let (name, spec) = (parts[0], parts[1])
        let range = spec.split(separator: ":").map(String.init)
        if range.count == 3 || range.count == 2 {
            guard let a = Double(range[0]), let b = Double(range[1]), let step = range.count == 3 ? Double(range[2]) : 1,
                  step > 0, a <= b else {
                throw ScriptError("--param \(name)=\(spec): a range is start:stop[:step] with start ≤ stop and step > 0")
            }
            let count = Int(((b - a) / step + 1e-9).rounded(.down)) + 1
            guard count <= 1_000_000 else { throw ScriptError("--param \(name)=\(spec): \(count) values is too many") }
            return ParamSpace(name: name, values: (0 ..< count).map { ParamValue.number(a + Double($0) * step).description })
        }
        return ParamSpace(name: name, values: spec.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
    }
}

public enum SearchKind: String, Sendable, CaseIterable { case grid, random, tpe }

/// What to sweep and how to rank it.
public struct SweepRequest: Sendable {
    public var space: [ParamSpace]
    /// A Lua boolean expression over the parameters that keeps a combination, e.g. `fast < slow`.
    public var condition: String? = nil
    /// The portfolio metric to rank by (a `summary.json` key).
    public var metric = "sharpe"
    /// Draw this many random combinations instead of the whole grid.
    public var samples: Int? = nil
    /// How combinations are chosen: every one (`grid`), `samples` random draws (`random`), or
    /// a tree-structured Parzen estimator spending `trials` evaluations (`tpe`).
    public var search: SearchKind = .grid
    /// Evaluations `tpe` spends (`random` draws this many too).
    public var trials: Int? = nil
    public var seed: UInt64 = 42
    /// Bytes of intermediate series one chunk of combinations may hold.
    public var memoryBudget = 256 << 20
    /// A grid larger than this is refused before any work starts.
    public var maxCombinations = 1_000_000
    /// Run only this slice of the combinations (grid or random draws), unranked: one shard of a
    /// sweep that `lunar merge` puts back together.
    public var shard: ShardSpec? = nil
    public init(space: [ParamSpace]) { self.space = space }
}

public struct SweepRow: Sendable {
    public var params: [(name: String, value: String)]
    public var metrics: Metrics
    public var equity: [Double]
}

public struct SweepResult: Sendable {
    public var strategyName: String
    public var metric: String
    /// Best first by `metric`; for a shard, its combinations in their order.
    public var rows: [SweepRow]
    public var seconds: Double
    /// For a shard: its combinations' positions among all of them, and their number.
    public var slice: (range: Range<Int>, total: Int)? = nil
}

public enum Sweep {
    /// The combinations to run: the grid (or `samples` random draws), filtered by the condition.
    public static func combinations(_ request: SweepRequest) throws -> [[(name: String, value: String)]] {
        let space = request.space
        var seen = Set<String>()
        for p in space where !seen.insert(p.name).inserted {
            throw ScriptError("--param \(p.name) is given twice; give one range or list per parameter")
        }
        for p in space where p.values.isEmpty || p.values.contains("") {
            throw ScriptError("--param \(p.name): the range or list is empty")
        }
        // The grid's size, checked before it is built.
        var size = 1.0
        for p in space { size *= Double(p.values.count) }
        let drawn = request.samples.map(Double.init) ?? size
        if drawn > Double(request.maxCombinations) {
            throw ScriptError("the sweep has \(request.samples == nil ? "a grid of " : "")\(Int(min(drawn, 9e18))) combinations, more than " +
                "--max-combinations \(request.maxCombinations): narrow the ranges, use --samples N, or raise the limit")
        }
        if let n = request.samples, n < 1 { throw ScriptError("--samples must be ≥ 1") }
        var combos: [[(name: String, value: String)]] = []
        if let n = request.samples {
            var rng = SplitMix64(seed: request.seed)
            combos = (0 ..< n).map { _ in space.map { (name: $0.name, value: $0.values[Int(rng.next() % UInt64($0.values.count))]) } }
        } else {
            combos = [[]]
            for p in space { combos = combos.flatMap { c in p.values.map { c + [(name: p.name, value: $0)] } } }
        }
        let keep = try constraint(request)
        return try combos.filter(keep)
    }

    /// The `--where` condition as a test of one combination (always true without one).
    static func constraint(_ request: SweepRequest) throws -> ([(name: String, value: String)]) throws -> Bool {
        guard let condition = request.condition else { return { _ in true } }
        let vm = try LuaVM(limits: ScriptLimits(instructions: 1_000_000, memoryBytes: 16 << 20), roots: [])
        return { combo in
            let locals = combo.map { p in (p.name, Double(p.value) != nil ? p.value : "\"\(p.value)\"") }
            let code = "local \(locals.map(\.0).joined(separator: ", ")) = \(locals.map(\.1).joined(separator: ", "))\nreturn (\(condition))"
            let v: String?
            do { v = try vm.evaluate(code, chunkName: "=--where") } catch let e as ScriptError {
                throw ScriptError("--where \"\(condition)\": \(e.message)")
            }
            return v == "true"
        }
    }

    /// Runs every combination; `finished` gets each batch of scored rows as it is done (the
    /// live page's heatmap fills in from it). Vectorized strategies build all combinations' signals into one
    /// hash-consed graph, chunk by chunk (so memory stays bounded), and each distinct node is
    /// evaluated once per chunk whatever the number of combinations sharing it.
    public static func run(strategyPath: String, panel: Panel, options: BacktestOptions, request: SweepRequest,
                           progress: ((Int, Int) -> Void)? = nil, finished: (([SweepRow]) -> Void)? = nil) throws -> SweepResult {
        var clock = Stopwatch()
        try validate(metric: request.metric)
        try options.simulation.validate()
        var grid = request
        if request.search == .random { grid.samples = request.trials ?? request.samples }
        // TPE proposes its own combinations; the grid is only checked, never built.
        if request.search == .tpe { grid.samples = 1 }
        var combos = try combinations(grid)
        guard !combos.isEmpty else { throw ScriptError("the sweep has no combinations (check --param and --where)") }
        var slice: (range: Range<Int>, total: Int)? = nil
        if let shard = request.shard {
            guard request.search != .tpe else {
                throw ScriptError("--search tpe chooses each batch from the results before it, so it cannot be split into shards; shard a grid or --search random")
            }
            slice = (shard.range(of: combos.count), combos.count)
            combos = Array(combos[slice!.range])
        }
        let stdlib = try options.stdlib ?? Stdlib.locate()
        let session = try StrategySession(path: strategyPath, fields: Backtest.fieldNames(panel), stdlib: stdlib, libraries: options.libraries, limits: options.limits)
        for name in request.space.map(\.name) where !session.declared.contains(where: { $0.name == name }) {
            _ = try session.resolve([name: ""])   // throws the unknown-parameter error with suggestions
        }
        // Every combination reads the data in the price mode of the strategy's settings.
        let panel = try Backtest.view(panel, strategySettings: session.settings, options)
        var rows: [SweepRow] = []
        rows.reserveCapacity(combos.count)
        if request.search == .tpe {
            rows = try searchTPE(strategyPath: strategyPath, session: session, panel: panel, options: options, request: request,
                                 progress: progress, finished: finished)
        } else if session.perBar {
            // The per-bar path runs each combination as its own backtest.
            for (k, combo) in combos.enumerated() {
                var o = options
                o.params = Dictionary(uniqueKeysWithValues: combo.map { ($0.name, $0.value) })
                let r = try Backtest.run(strategyPath: strategyPath, panel: panel, options: o)
                rows.append(SweepRow(params: combo, metrics: r.portfolio, equity: r.equity))
                finished?([rows[k]])
                progress?(k + 1, combos.count)
            }
        } else if !combos.isEmpty {
            rows = try score(session: session, combos: combos, panel: panel, bars: 0 ..< panel.barCount,
                             options: options, memoryBudget: request.memoryBudget, progress: progress, finished: finished)
        }
        // A shard's rows are ranked with every other shard's, by the merge.
        if slice == nil { rank(&rows, by: request.metric) }
        return SweepResult(strategyName: session.name, metric: request.metric, rows: rows, seconds: clock.lap(), slice: slice)
    }

    /// `request.trials` evaluations chosen by `TPESearch`, batch by batch.
    static func searchTPE(strategyPath: String, session: StrategySession, panel: Panel, options: BacktestOptions,
                          request: SweepRequest, progress: ((Int, Int) -> Void)?, finished: (([SweepRow]) -> Void)?) throws -> [SweepRow] {
        guard let trials = request.trials, trials >= 1 else { throw ScriptError("--search tpe needs --trials N (N ≥ 1)") }
        guard let info = Metrics.info(request.metric) else { return [] }
        let keep = try constraint(request)
        var rows: [SweepRow] = []
        var search = TPESearch(space: request.space, trials: trials, seed: request.seed)
        search.batch = session.perBar ? 1 : 4
        _ = try search.run(allowed: keep) { batch in
            var scored: [SweepRow]
            if session.perBar {
                scored = try batch.map { combo in
                    var o = options
                    o.params = Dictionary(uniqueKeysWithValues: combo.map { ($0.name, $0.value) })
                    let r = try Backtest.run(strategyPath: strategyPath, panel: panel, options: o)
                    return SweepRow(params: combo, metrics: r.portfolio, equity: r.equity)
                }
            } else {
                scored = try score(session: session, combos: batch, panel: panel, bars: 0 ..< panel.barCount,
                                   options: options, memoryBudget: request.memoryBudget, progress: nil)
            }
            rows += scored
            finished?(scored)
            progress?(rows.count, trials)
            // Larger is better for the search: a smaller-is-better metric is negated.
            return scored.map { info.direction == .lower ? -info.value($0.metrics) : info.value($0.metrics) }
        }
        return rows
    }

    static func validate(metric: String) throws {
        let names = Metrics.names
        guard names.contains(metric) else {
            let s = closestMatches(to: metric, in: names)
            throw ScriptError("unknown metric '\(metric)'" + (s.isEmpty ? "; use one of \(names.joined(separator: ", "))"
                                                                      : "; did you mean \(s.map { "'\($0)'" }.joined(separator: ", "))?"))
        }
    }

    /// Best first by `metric` in its own direction (`MetricInfo.direction`: a neutral metric
    /// ranks larger first); NaN last.
    static func rank(_ rows: inout [SweepRow], by metric: String) {
        guard let info = Metrics.info(metric) else { return }
        // Ties keep the combinations' order (Swift's sort is not stable), so a ranking — and a
        // walk-forward choice — never depends on the sort's internals.
        let ranked = rows.enumerated().sorted { a, b in
            let x = info.value(a.element.metrics), y = info.value(b.element.metrics)
            if x.isNaN != y.isNaN { return !x.isNaN }
            if x == y || (x.isNaN && y.isNaN) { return a.offset < b.offset }
            return info.direction.ranksBefore(x, y)
        }
        rows = ranked.map(\.element)
    }

    /// Evaluates and simulates vectorized combinations over `bars` of the panel (signals are
    /// computed on the whole panel given, so warm-ups use the bars before the range).
    static func score(session: StrategySession, combos: [[(name: String, value: String)]], panel: Panel, bars: Range<Int>,
                      options: BacktestOptions, memoryBudget: Int, progress: ((Int, Int) -> Void)?,
                      finished: (([SweepRow]) -> Void)? = nil) throws -> [SweepRow] {
        let cellBytes = panel.symbolCount * panel.barCount * MemoryLayout<Double>.stride
        var rows: [SweepRow] = []
        var chunk = 1, start = 0
        while start < combos.count {
            let slice = combos[start ..< min(combos.count, start + chunk)]
            let defs = try slice.map { combo in
                try session.build(params: session.resolve(Dictionary(uniqueKeysWithValues: combo.map { ($0.name, $0.value) })))
            }
            let wanted = Array(Set(defs.flatMap(Backtest.wantedNodes)))
            let values = try Evaluation.evaluate(session.graph, outputs: wanted, panel: panel, engine: options.engine,
                                                 threads: options.simulation.threads)
            for (combo, def) in zip(slice, defs) {
                let r = try simulate(def, values: values, panel: panel, bars: bars, options: options)
                rows.append(SweepRow(params: combo, metrics: r.metrics, equity: r.equity))
            }
            start += slice.count
            finished?(Array(rows.suffix(slice.count)))
            progress?(start, combos.count)
            if start == slice.count {
                // Size later chunks from what the first combination needed.
                let perCombo = max(1, session.graph.reachable(from: wanted).count)
                chunk = max(1, memoryBudget / max(1, perCombo * cellBytes))
            }
        }
        return rows
    }

    /// Simulates one combination over `bars` and measures it exactly as `lunar run` does.
    static func simulate(_ def: StrategyDefinition, values: [NodeID: [Double]], panel: Panel, bars: Range<Int>,
                         options: BacktestOptions) throws -> (metrics: Metrics, equity: [Double], trades: [Trade]) {
        let whole = bars == 0 ..< panel.barCount
        let window = panel.slicing(bars: bars)
        let cut = whole ? values : values.mapValues { sliceBars($0, symbols: panel.symbolCount, bars: panel.barCount, range: bars) }
        let r = try Backtest.simulate(def, values: cut, panel: window, options: options, perSymbol: false)
        return (r.portfolio, r.equity, r.trades)
    }
}
