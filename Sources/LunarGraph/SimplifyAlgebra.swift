/// Algebraic identities that hold for every input, NaN included:
/// x + 0, 0 + x, x − 0, x · 1, 1 · x, x / 1 → x;  −(−x) → x;  min(x, x), max(x, x) → x;
/// where(c, x, x) is not simplified (it is NaN where c is unknown).
///
/// `x + 0 → x` differs from IEEE only in the sign of a zero (−0 + 0 = +0), which no comparison
/// sees. Identities such as x · 0 → 0 or x − x → 0 are wrong for NaN and ∞ and are not applied;
/// neither are boolean ones (x & true → x), since a bool series built by `where` may hold values
/// other than 0 and 1. Runs after `FoldConstants` so it sees folded constants.
public struct SimplifyAlgebra: RewriteRule {
    public var name: String { "algebraic identities" }
    public init() {}

    public func rewrite(_ node: Node, inputs: [NodeID], in graph: Graph) throws -> NodeID? {
        func isConstant(_ id: NodeID, _ v: Double) -> Bool { graph[id].constantValue == v }
        switch node.op {
        case .binary(let op):
            let a = inputs[0], b = inputs[1]
            // Keep the node when dropping the constant would change its type (scalar ↔ series).
            switch op {
            case .add:
                if isConstant(b, 0) { return a }
                if isConstant(a, 0) { return b }
            case .sub:
                if isConstant(b, 0) { return a }
            case .mul:
                if isConstant(b, 1) { return a }
                if isConstant(a, 1) { return b }
            case .div:
                if isConstant(b, 1) { return a }
            case .min, .max:
                if a == b { return a }
            default: break
            }
        case .unary(.neg):
            let x = graph[inputs[0]]
            if case .unary(.neg) = x.op { return x.inputs[0] }
        default: break
        }
        return nil
    }
}
