import LunarData
import LunarGraph

/// The default engine: optimize the graph, plan it for the panel's shape, run it fused.
public enum FusedEngine {
    public struct Compiled: @unchecked Sendable {
        public let optimized: OptimizedGraph
        public let plan: Plan
        /// Original output id → optimized output id.
        public let outputMap: [NodeID: NodeID]
    }

    public static func compile(_ graph: Graph, outputs: [NodeID], symbols: Int, bars: Int,
                               clockBars: [Timeframe: Int] = [:], options: PlanOptions = PlanOptions()) throws -> Compiled {
        let optimized = try Optimizer.optimize(graph, outputs: outputs)
        let plan = Planner.plan(optimized.graph, outputs: optimized.outputs, symbols: symbols, bars: bars,
                                clockBars: clockBars, options: options)
        return Compiled(optimized: optimized, plan: plan,
                        outputMap: Dictionary(zip(outputs, optimized.outputs), uniquingKeysWith: { a, _ in a }))
    }

    /// Evaluates `outputs` of `graph` over `panel`, keyed by the original output ids.
    public static func evaluate(_ graph: Graph, outputs: [NodeID], panel: Panel,
                                options: PlanOptions = PlanOptions()) throws -> [NodeID: [Double]] {
        let compiled = try compile(graph, outputs: outputs, symbols: panel.symbolCount, bars: panel.barCount,
                                   clockBars: clockBars(graph, outputs: outputs, panel: panel), options: options)
        return try run(compiled, panel: panel)
    }

    /// The periods each coarser clock of the graph has on `panel` (what the planner sizes
    /// those stages by).
    public static func clockBars(_ graph: Graph, outputs: [NodeID], panel: Panel) throws -> [Timeframe: Int] {
        var out: [Timeframe: Int] = [:]
        for tf in graph.clocks(from: outputs) { out[tf] = try panel.resampling(tf).periodCount }
        return out
    }

    /// Runs a compiled plan; streamed outputs (`Plan.streams`) go to `sink` and are absent
    /// from the result.
    public static func run(_ compiled: Compiled, panel: Panel, sink: FusedExecutor.TileSink? = nil) throws -> [NodeID: [Double]] {
        let values = try FusedExecutor(plan: compiled.plan).run(panel, sink: sink)
        return compiled.outputMap.compactMapValues { values[$0] }
    }
}
