/// Dead-node elimination: a graph that holds only what `outputs` reach.
///
/// The optimizer driver does this as a side effect (it copies reachable nodes only); this
/// entry point runs it alone, e.g. to compare optimized and unoptimized plans.
public enum EliminateDeadNodes {
    public static func run(_ graph: Graph, outputs: [NodeID]) throws -> OptimizedGraph {
        try Optimizer.optimize(graph, outputs: outputs, rules: [])
    }
}
