import LunarData
import LunarGraph
import LunarEngine
import LunarScript
import LunarSim

extension Backtest {
    /// The fused plan `run` would execute for this strategy and panel (`lunar run --explain`).
    public static func explain(strategyPath: String, panel: Panel, options: BacktestOptions = BacktestOptions()) throws -> String {
        let strategy = try load(strategyPath, panel: panel, options: options)
        let named = namedOutputs(strategy)
        let outputs = named.map(\.node)
        let compiled = try FusedEngine.compile(strategy.graph, outputs: outputs, symbols: panel.symbolCount, bars: panel.barCount,
                                               clockBars: FusedEngine.clockBars(strategy.graph, outputs: outputs, panel: panel),
                                               options: PlanOptions(threads: options.simulation.threads))
        var names: [NodeID: String] = [:]
        for (name, id) in named {
            let o = compiled.outputMap[id]!
            names[o] = names[o].map { $0 + ", " + name } ?? name
        }
        return compiled.plan.explain(names: names, optimizer: compiled.optimized)
    }
}

/// What `lunar bench` needs to know about a compiled strategy.
public struct PlanSummary: Sendable {
    /// Graph nodes the plan evaluates (fields and constants excluded).
    public let nodes: Int
    /// Panel fields the plan reads.
    public let fields: [String]
}

extension Backtest {
    /// Loads the strategy and compiles what a run evaluates for `panel` without running it.
    public static func planSummary(strategyPath: String, panel: Panel, options: BacktestOptions = BacktestOptions()) throws -> PlanSummary {
        let strategy = try load(strategyPath, panel: panel, options: options)
        let outputs = wantedNodes(strategy)
        let plan = try FusedEngine.compile(strategy.graph, outputs: outputs, symbols: panel.symbolCount, bars: panel.barCount,
                                           clockBars: FusedEngine.clockBars(strategy.graph, outputs: outputs, panel: panel),
                                           options: PlanOptions(threads: options.simulation.threads)).plan
        let nodes = plan.stages.reduce(0) { $0 + $1.crossSteps.count + $1.steps.reduce(0) { $0 + $1.nodes.count } }
        return PlanSummary(nodes: nodes, fields: plan.fields)
    }
}
