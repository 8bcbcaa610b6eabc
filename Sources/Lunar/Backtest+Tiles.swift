import Foundation
import LunarData
import LunarGraph
import LunarHistory
import LunarSim

/// A run over a store larger than its memory budget (`lunar run --memory-budget`): symbol tiles
/// stream from the store's map one at a time. Each tile is evaluated by the fused executor and
/// simulated as independent sub-accounts with the whole universe's capital share; its trades
/// and per-symbol metrics are kept, its equity curves are added to the portfolio's
/// (`StreamingSums`, the same bits as one pass over the universe) and the tile is dropped.
/// A first pass over the closes makes the equal-weight benchmark, which every symbol's metrics
/// compare with. The result is the in-memory run's, except that the sub-accounts' curves are
/// not kept (equity.csv has the portfolio column only) and the data are an outline.
public enum TiledRun {
    /// Why a strategy cannot run tile by tile, with the budget it needs in memory.
    public struct Refusal: Error, CustomStringConvertible {
        public let reason: String
        public let needed: Int
        public var description: String {
            "\(reason), so it cannot run tile by tile: give it --memory-budget \(ByteSize.format(needed)) or more (the whole universe in memory)"
        }
    }

    /// Bytes one symbol takes in memory during a run: its fields as loaded and as the run's view
    /// (prices adjusted), every evaluated node, the signal inputs and its sub-account.
    public static func bytesPerSymbol(fields: Int, nodes: Int, bars: Int) -> Int { (2 * fields + nodes + 6) * bars * 8 }

    /// What the whole universe takes in memory in one pass.
    public static func wholeRunBytes(store: ColumnStore, nodes: Int = 16) -> Int {
        bytesPerSymbol(fields: store.fieldNames.count, nodes: nodes, bars: store.barCount) * store.symbolCount
    }

    /// Symbols per tile: as many whole groups (`StreamingSums.tileMultiple`) as fit half the
    /// budget (the other half is the process, the kept results and the allocator's slack).
    public static func tileSymbols(budget: Int, perSymbol: Int) -> Int {
        let m = StreamingSums.tileMultiple
        return max(m, (budget / 2 / max(1, perSymbol)) / m * m)
    }

    public static func run(strategyPath: String, store: ColumnStore, membership: String?, delistings: String?,
                           options: BacktestOptions, budget: Int, record: Bool = true,
                           progress: ((Int, Int) -> Void)? = nil) throws -> BacktestResult {
        var clock = Stopwatch()
        let N = store.symbolCount, T = store.barCount
        func tile(_ r: Range<Int>) throws -> Panel {
            var p = try store.panel(symbols: r)
            try Universe.attach(to: &p, spec: store.path, membership: membership, delistings: delistings)
            return p
        }
        // The strategy and its settings, from the first tile (every tile has the same fields).
        let first = try tile(0 ..< min(N, StreamingSums.tileMultiple))
        let (strategy, sim, _) = try RunShards.prepare(strategyPath, first, options)
        let wanted = Backtest.wantedNodes(strategy)
        let needed = wholeRunBytes(store: store, nodes: wanted.count)
        if strategy.graph.isCrossSectional(wanted) {
            throw Refusal(reason: "the strategy ranks or compares symbols with each other (a cross-sectional primitive needs every symbol at each bar)", needed: needed)
        }
        let targets = ["weight", "score"].filter { strategy.outputs[$0] != nil }
        if sim.capitalMode == .shared || !targets.isEmpty {
            throw Refusal(reason: "a shared-cash portfolio (\(targets.isEmpty ? "portfolio = \"shared\"" : "targets from `\(targets[0])`")) trades every symbol from one account", needed: needed)
        }
        let size = tileSymbols(budget: budget, perSymbol: bytesPerSymbol(fields: store.fieldNames.count, nodes: wanted.count, bars: T))
        let tiles = stride(from: 0, to: N, by: size).map { $0 ..< min(N, $0 + size) }

        // Pass 1: the benchmark, from the closes as the run reads them (its price mode).
        var sums = StreamingSums(bars: T)
        var benchmarkSymbol: [Double]? = nil
        for r in tiles {
            let view = try tile(r).runView(prices: sim.prices, hours: sim.hours)
            if let name = sim.benchmark {
                if let s = view.symbolIndex(name) { benchmarkSymbol = Array(view.fields["close"]![s * T ..< (s + 1) * T]) }
            } else {
                sums.add(closes: view.fields["close"]!, count: view.symbolCount)
            }
        }
        var curve: [Double]
        if let name = sim.benchmark {
            guard let row = benchmarkSymbol else {
                let hint = closestMatches(to: name, in: store.symbols)
                throw SimulationError.badOption("benchmark '\(name)' is not a symbol of the data" +
                    (hint.isEmpty ? "" : "; did you mean \(hint.map { "'\($0)'" }.joined(separator: ", "))?"))
            }
            curve = Metrics.equalWeightBenchmark(close: row, symbols: 1, bars: T)
        } else {
            curve = sums.benchmark
        }
        for t in curve.indices { curve[t] *= sim.capital }
        let benchmark = (curve: curve, name: sim.benchmark ?? "equal-weight universe", returns: Metrics.Benchmark(curve))

        // Pass 2: each tile evaluated, simulated, measured, added, dropped.
        var runs: [SymbolRun] = [], metrics: [Metrics] = [], failures: [(symbol: String, message: String)] = []
        var lifecycle: [SymbolLifecycle] = []
        var timings = BacktestResult.Timings()
        var o = options
        o.simulation.splitAmong = N
        var lastView = first
        for (k, r) in tiles.enumerated() {
            let view = try tile(r).runView(prices: sim.prices, hours: sim.hours)
            var lap = Stopwatch()
            let values = try Evaluation.evaluate(strategy.graph, outputs: wanted, panel: view, engine: options.engine,
                                                 threads: sim.threads, cachePlans: true)
            timings.evaluate += lap.lap()
            let result = try Backtest.simulate(strategy, values: values, panel: view, options: o, benchmark: benchmark)
            timings.simulate += result.timings.simulate
            timings.metrics += result.timings.metrics
            sums.add(runs: result.runs)
            for var run in result.runs {
                for i in run.trades.indices { run.trades[i].symbol += r.lowerBound }
                run.equity = []
                runs.append(run)
            }
            metrics += result.symbolMetrics
            failures += result.failures
            lifecycle += view.lifecycle
            lastView = view
            progress?(k + 1, tiles.count)
        }
        let fingerprint = record ? contentFingerprint(store, universe: lastView.data.universe) : nil
        let outline = Panel.outline(symbols: store.symbols, timestamps: store.timestamps, like: lastView, lifecycle: lifecycle,
                                    fingerprint: fingerprint)
        var result = Backtest.assemble(strategy, panel: outline, runs: runs, equity: sums.equity, symbolMetrics: metrics,
                                       sim: sim, benchmark: benchmark)
        result.failures = failures
        timings.compile = clock.lap() - timings.evaluate - timings.simulate - timings.metrics
        result.timings = timings
        return result
    }

    /// `Panel.fingerprint` of the store's data with `universe`, read field by field, tile by tile:
    /// the same hash the data would have in memory, so the run history compares like with like.
    static func contentFingerprint(_ store: ColumnStore, universe: Universe) -> String {
        var h = ContentHash()
        for s in store.symbols { h.add(s); h.add(",") }
        h.add(store.timestamps)
        let step = max(1, (64 << 20) / max(1, store.barCount * 8))
        for name in store.fieldNames.sorted() {
            h.add(name)
            for lo in stride(from: 0, to: store.symbolCount, by: step) {
                h.add(store.values(name, symbols: lo ..< min(store.symbolCount, lo + step)))
            }
        }
        Panel.addUniverse(universe, to: &h)
        return h.hex
    }
}

/// Sizes in bytes as people write them: `1GiB`, `512MB`, `2G`, `300m`, `4096`.
public enum ByteSize {
    public static func parse(_ text: String) -> Int? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        let ki = 1024.0, mi = ki * ki, gi = mi * ki, ti = gi * ki
        let units: [(String, Double)] = [("kib", ki), ("mib", mi), ("gib", gi), ("tib", ti), ("kb", 1e3), ("mb", 1e6), ("gb", 1e9),
                                         ("tb", 1e12), ("k", ki), ("m", mi), ("g", gi), ("t", ti), ("b", 1)]
        for (suffix, scale) in units where t.hasSuffix(suffix) {
            guard let v = Double(t.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), v > 0, v.isFinite else { return nil }
            return Int(v * scale)
        }
        return Int(t).flatMap { $0 > 0 ? $0 : nil }
    }

    public static func format(_ bytes: Int) -> String {
        let b = Double(bytes)
        if b >= Double(1 << 30) { return String(format: "%.1fGiB", b / Double(1 << 30)) }
        if b >= Double(1 << 20) { return String(format: "%.0fMiB", b / Double(1 << 20)) }
        return "\(bytes)B"
    }

    /// Physical memory of this machine, in bytes.
    public static var physicalMemory: Int { Int(ProcessInfo.processInfo.physicalMemory) }
}
