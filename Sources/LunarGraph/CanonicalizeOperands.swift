/// Common subexpressions across all outputs: puts operands of commutative operations in id
/// order (and turns `b < a` into `a > b`), so that hash-consing, which already shares
/// identical nodes, also merges `a + b` with `b + a`.
///
/// Only operations whose result does not depend on operand order are reordered: +, ·, and,
/// or, ==, ~= exactly; min and max up to the sign of a zero. Runs last, after the rules
/// that may expose new duplicates.
public struct CanonicalizeOperands: RewriteRule {
    public var name: String { "common subexpressions (operand order)" }
    public init() {}

    static let commutative: Set<BinaryOp> = [.add, .mul, .and, .or, .eq, .ne, .min, .max]
    static let mirrored: [BinaryOp: BinaryOp] = [.lt: .gt, .le: .ge]

    public func rewrite(_ node: Node, inputs: [NodeID], in graph: Graph) throws -> NodeID? {
        guard case .binary(let op) = node.op else { return nil }
        let a = inputs[0], b = inputs[1]
        if Self.commutative.contains(op), b < a { return try graph.binary(op, b, a) }
        if let m = Self.mirrored[op] { return try graph.binary(m, b, a) }
        return nil
    }
}
