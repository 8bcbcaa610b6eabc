/// Constant folding: an elementwise node whose inputs are all constants becomes a constant.
///
/// Uses the same `apply` rules as the evaluators, so a folded value is bit-equal to what the
/// executor would have computed. Primitives and cross-sectional nodes are never folded: over a
/// constant they still give a series with a warm-up of NaN.
public struct FoldConstants: RewriteRule {
    public var name: String { "fold constants" }
    public init() {}

    public func rewrite(_ node: Node, inputs: [NodeID], in graph: Graph) throws -> NodeID? {
        let values = inputs.compactMap { graph[$0].constantValue }
        guard values.count == inputs.count, !inputs.isEmpty else { return nil }
        switch node.op {
        case .unary(let op): return graph.constant(op.apply(values[0]))
        case .binary(let op): return graph.constant(op.apply(values[0], values[1]))
        case .select: return graph.constant(selectValue(values[0], values[1], values[2]))
        default: return nil
        }
    }
}
