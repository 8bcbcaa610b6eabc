/// The optimizer driver: rewrites a graph's outputs into a smaller, equivalent graph.
///
/// Each pass is a `RewriteRule` (one file each) that looks at one node whose inputs are
/// already rewritten and returns a replacement, or nil when it has nothing to do. The driver
/// copies the nodes the outputs need, inputs first, into a fresh graph, asking every rule in
/// order at each node, and repeats until a round changes nothing (rules never recurse).
/// Ordering: `FoldConstants` first, so identities see constants that folding produced;
/// `CanonicalizeOperands` last, so hash-consing merges what the others exposed. Dead nodes
/// disappear because only what an output reaches is copied (see `EliminateDeadNodes`).
public protocol RewriteRule: Sendable {
    var name: String { get }
    /// A replacement for `node` (whose `inputs` are ids in `graph`), built in `graph`; or nil.
    func rewrite(_ node: Node, inputs: [NodeID], in graph: Graph) throws -> NodeID?
}

/// The optimizer's result: a fresh graph holding only what `outputs` need.
public struct OptimizedGraph: @unchecked Sendable {
    public let graph: Graph
    /// The rewritten outputs, in the order they were asked for.
    public let outputs: [NodeID]
    /// How often each rule fired, and the node counts before and after.
    public let report: [(rule: String, count: Int)]
    public let nodesBefore: Int
    public var nodesAfter: Int { graph.count }
}

public enum Optimizer {
    public static let defaultRules: [any RewriteRule] = [FoldConstants(), SimplifyAlgebra(), CanonicalizeOperands()]

    public static func optimize(_ graph: Graph, outputs: [NodeID],
                                rules: [any RewriteRule] = defaultRules) throws -> OptimizedGraph {
        var counts = [Int](repeating: 0, count: rules.count)
        var current = graph, roots = outputs
        for _ in 0 ..< 16 {
            let next = Graph()
            var map: [NodeID: NodeID] = [:]
            var changed = false
            for id in current.reachable(from: roots) {
                let node = current[id]
                let inputs = node.inputs.map { map[$0]! }
                var replacement: NodeID? = nil
                for (k, rule) in rules.enumerated() {
                    if let r = try rule.rewrite(node, inputs: inputs, in: next) {
                        replacement = r; counts[k] += 1; changed = true
                        break
                    }
                }
                map[id] = try replacement ?? next.copy(node, inputs: inputs)
            }
            let newRoots = roots.map { map[$0]! }
            // A round that fired no rule and merged no node is a fixed point.
            let merged = next.count < current.reachable(from: roots).count
            current = next; roots = newRoots
            if !changed && !merged { break }
        }
        let report = zip(rules, counts).map { ($0.name, $1) }
        return OptimizedGraph(graph: current, outputs: roots, report: report,
                              nodesBefore: graph.reachable(from: outputs).count)
    }
}

extension Graph {
    /// Builds `node`'s operation over `inputs` (ids in this graph) through the checked builders.
    public func copy(_ node: Node, inputs: [NodeID]) throws -> NodeID {
        switch node.op {
        case .field(let name): return field(name)
        case .constant: return constant(node.constantValue!)
        case .unary(let op): return try unary(op, inputs[0])
        case .binary(let op): return try binary(op, inputs[0], inputs[1])
        case .select: return try select(inputs[0], inputs[1], inputs[2])
        case .primitive(let name, _, let output):
            return try primitive(name, inputs: inputs, params: node.params())[output]
        case .crossSection(let op): return try crossSection(op, inputs[0])
        case .resample(let tf): return try resample(inputs[0], to: tf)
        case .align: return aligned(inputs[0])
        case .calendar(let c): return calendar(c)
        }
    }
}
