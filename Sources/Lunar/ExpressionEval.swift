import LunarData
import LunarEngine
import LunarGraph
import LunarScript

/// The values of a series expression over a panel: what `lunar eval` prints.
public struct ExpressionResult: Sendable {
    public let expression: ExpressionDefinition
    public let panel: Panel
    /// Column names and their symbol-major values (`[s * T + t]`).
    public let columns: [(name: String, values: [Double])]

    /// One symbol's values of column `k`.
    public func series(_ k: Int, symbol s: Int) -> ArraySlice<Double> {
        let T = panel.barCount
        return columns[k].values[s * T ..< (s + 1) * T]
    }
}

public enum ExpressionEval {
    /// Loads `expression` against the panel's fields and evaluates it with the chosen engine.
    public static func run(_ expression: String, panel: Panel, stdlib: String? = nil,
                           limits: ScriptLimits = ScriptLimits(), engine: EngineKind = .fused,
                           threads: Int = defaultThreadCount, hours: TradingHours = TradingHours()) throws -> ExpressionResult {
        // The view a run's strategy reads, in the default price mode (`bars.member` included),
        // on the exchange's clock.
        let panel = try panel.runView(prices: SimulationOptions().prices, hours: hours)
        let definition = try ExpressionLoader.load(expression, fields: panel.fields.keys.sorted(),
                                                   stdlib: try stdlib ?? Stdlib.locate(), limits: limits)
        let nodes = definition.outputs.map(\.node)
        let values = try Evaluation.evaluate(definition.graph, outputs: nodes, panel: panel, engine: engine, threads: threads)
        let cells = panel.symbolCount * panel.barCount
        let columns = definition.outputs.map { out -> (name: String, values: [Double]) in
            // A constant evaluates to one value per cell already; keep the shape uniform.
            let v = values[out.node] ?? [Double](repeating: .nan, count: cells)
            return (out.name, v)
        }
        return ExpressionResult(expression: definition, panel: panel, columns: columns)
    }
}
