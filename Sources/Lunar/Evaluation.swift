import LunarData
import LunarEngine
import LunarGraph

/// The one place a graph is turned into arrays, whatever the engine: the backtest, sweeps,
/// walk-forward and `lunar eval` all come through here.
public enum Evaluation {
    /// - Parameter cachePlans: reuse the compiled plan of a structurally identical graph (a run
    ///   of an unchanged strategy); sweeps, whose graphs change every chunk, pass false.
    public static func evaluate(_ graph: Graph, outputs: [NodeID], panel: Panel, engine: EngineKind,
                                threads: Int, cachePlans: Bool = false) throws -> [NodeID: [Double]] {
        // Results are read on the base bars, so a coarser output is aligned (strategies
        // loaded from Lua already are: then this adds nothing to the graph).
        let aligned = outputs.map { graph.aligned($0) }
        let values: [NodeID: [Double]]
        switch engine {
        case .naive: values = try NaiveEvaluator(panel: panel).evaluate(graph, outputs: aligned)
        case .fused:
            values = try FusedEngine.run(compile(graph, aligned, panel, PlanOptions(threads: threads), cachePlans), panel: panel)
        }
        return Dictionary(zip(outputs, aligned).map { ($0, values[$1]!) }, uniquingKeysWith: { a, _ in a })
    }

    /// The fused engine with the bool outputs at positions `streamed` handed to `sink` tile by
    /// tile as bytes, in tiles of a whole number of `tileMultiple` symbols; the other outputs
    /// are returned whole. Nil when the plan cannot stream them all (see `PlanOptions.streamed`):
    /// the caller then evaluates everything whole.
    public static func evaluate(_ graph: Graph, outputs: [NodeID], streamed: [Int], tileMultiple: Int, panel: Panel,
                                threads: Int, cachePlans: Bool, sink: @escaping FusedExecutor.TileSink) throws -> [NodeID: [Double]]? {
        let aligned = outputs.map { graph.aligned($0) }
        let compiled = try compile(graph, aligned, panel, PlanOptions(threads: threads, streamed: streamed, tileMultiple: tileMultiple),
                                   cachePlans)
        guard compiled.plan.streams.count == streamed.count else { return nil }
        let values = try FusedEngine.run(compiled, panel: panel, sink: sink)
        return Dictionary(zip(outputs, aligned).compactMap { o, a in values[a].map { (o, $0) } }, uniquingKeysWith: { a, _ in a })
    }

    /// The fused plan of `outputs` for `panel`, from the plan cache when `cachePlans`.
    private static func compile(_ graph: Graph, _ outputs: [NodeID], _ panel: Panel, _ options: PlanOptions,
                                _ cachePlans: Bool) throws -> FusedEngine.Compiled {
        let clockBars = try FusedEngine.clockBars(graph, outputs: outputs, panel: panel)
        if cachePlans {
            return try PlanCache.shared.compile(graph, outputs: outputs, symbols: panel.symbolCount, bars: panel.barCount,
                                                clockBars: clockBars, options: options)
        }
        return try FusedEngine.compile(graph, outputs: outputs, symbols: panel.symbolCount, bars: panel.barCount,
                                       clockBars: clockBars, options: options)
    }
}

extension Panel {
    /// The first `bars` bars: what a walk-forward choice may see.
    public func prefix(bars: Int) -> Panel { slicing(bars: 0 ..< min(bars, barCount)) }

    /// Bars `range` of every symbol: a walk-forward window.
    public func slicing(bars range: Range<Int>) -> Panel {
        precondition(range.lowerBound >= 0 && range.upperBound <= barCount, "bars \(range) outside the panel's 0..<\(barCount)")
        if range == 0 ..< barCount { return self }
        var out: [String: [Double]] = [:]
        for (name, values) in fields { out[name] = sliceBars(values, symbols: symbolCount, bars: barCount, range: range) }
        var panel = try! Panel(symbols: symbols, timestamps: Array(timestamps[range]), fields: out)
        panel.universe = universe
        panel.viewMode = viewMode
        panel.hours = hours
        return panel
    }
}

/// Bars `range` of each symbol of a symbol-major array with `bars` bars per symbol.
func sliceBars(_ values: [Double], symbols: Int, bars: Int, range: Range<Int>) -> [Double] {
    var out = [Double]()
    out.reserveCapacity(symbols * range.count)
    for s in 0 ..< symbols { out.append(contentsOf: values[s * bars + range.lowerBound ..< s * bars + range.upperBound]) }
    return out
}
