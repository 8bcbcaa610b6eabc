import CLua
import Foundation
import LunarGraph
import LunarKernels

/// A series expression turned into graph nodes: what `lunar eval` evaluates.
public struct ExpressionDefinition: @unchecked Sendable {
    public let expression: String
    public let graph: Graph
    /// One node per value the expression returns, named by its readable form.
    public let outputs: [(name: String, node: NodeID)]
}

/// Loads DSL expressions such as `ta.rsi(close, 14)` or `ta.macd(close)`.
///
/// The data's fields are globals (`close`, `high`, …) as well as `bars.close`; `ta` is the
/// stdlib module, so its Lua helpers work too. A text without `return` is an expression
/// (several values may be separated by commas); with `return`, it is a chunk whose results count.
public enum ExpressionLoader {
    public static func load(_ expression: String, fields: [String], stdlib: String,
                            limits: ScriptLimits = ScriptLimits()) throws -> ExpressionDefinition {
        let vm = try LuaVM(limits: limits, roots: [stdlib])
        let graph = Graph()
        let ctx = DSLContext(graph: graph, fields: fields)
        return try withExtendedLifetime(ctx) {
            vm.installDSL(ctx)
            try vm.installPrelude(ctx)
            let L = vm.L
            try vm.load(Data(setup.utf8), chunkName: "=lunar")
            pushStringList(L, fields)
            try vm.call(nargs: 1, nresults: 0)
            let isChunk = expression.range(of: #"\breturn\b"#, options: .regularExpression) != nil
            let code = isChunk ? expression : "return " + expression
            let base = lua_gettop(L)
            try vm.load(Data(code.utf8), chunkName: "=expr")
            try vm.call(nargs: 0, nresults: LUA_MULTRET)
            // stack: base, results...
            let count = lua_gettop(L) - base
            defer { swl_pop(L, count) }
            guard count > 0 else { throw ScriptError("expr: the expression gave no value") }
            var outputs: [(name: String, node: NodeID)] = []
            for k in 1 ... count {
                let i = base + k
                guard let id = operand(L, i, graph) else {
                    throw ScriptError("expr: value \(k) is a \(typeName(L, i)), not a series or a number")
                }
                outputs.append((graph.describe(id), id))
            }
            return ExpressionDefinition(expression: expression, graph: graph, outputs: shortNames(outputs, graph))
        }
    }
}

/// `ta.macd(close)` gives columns macd, signal, hist rather than three long descriptions.
private func shortNames(_ outputs: [(name: String, node: NodeID)], _ graph: Graph) -> [(name: String, node: NodeID)] {
    guard outputs.count > 1 else { return outputs }
    var calls = Set<String>(), names: [String] = []
    for (_, id) in outputs {
        guard case .primitive(let name, let params, let k) = graph[id].op, let spec = Registry.spec(name) else { return outputs }
        calls.insert("\(name) \(graph[id].inputs) \(params)")
        names.append(spec.outputs[k].name)
    }
    guard calls.count == 1, Set(names).count == names.count else { return outputs }
    return zip(names, outputs).map { ($0, $1.node) }
}

// stack: fields → globals `ta`, `bars` and one global per field.
private let setup = """
local fields = ...
ta = require "ta"
bars = _LUNAR.make_bars(fields)
for _, f in ipairs(fields) do _ENV[f] = bars[f] end
"""
