import Foundation
import LunarData
import LunarGraph

/// Compiled plans of graphs seen before, keyed by their structure. A strategy that is run
/// again unchanged — `lunar watch` after a save that touched another file, a repeated run from
/// the Swift API — skips optimization and planning. Graphs are rebuilt from Lua on every run,
/// so node ids are not a key: the key is the reachable subgraph in canonical order (each node's
/// operation, type and the positions of its inputs), the outputs' positions, and the plan's
/// shape (symbols, bars, threads).
public final class PlanCache: @unchecked Sendable {
    public static let shared = PlanCache(capacity: 16)

    private struct Entry {
        let compiled: FusedEngine.Compiled
        /// Optimized output ids, in the order of the outputs the key was made with.
        let optimizedOutputs: [NodeID]
    }

    /// The reachable subgraph in canonical order and the plan's shape, compared as values: a
    /// text key built from the ops' descriptions cost 25 times the planning it saved (Swift
    /// describes enums with payloads by reflection).
    struct Key: Hashable {
        struct Step: Hashable { let op: Op; let type: ValueType; let inputs: [Int] }
        let steps: [Step]
        let outputs: [Int]
        let symbols: Int, bars: Int, periods: [Timeframe: Int], threads: Int, streamed: [Int], tileMultiple: Int
    }

    private let capacity: Int
    private var entries: [Key: Entry] = [:]
    private var recent: [Key] = []
    private let lock = NSLock()
    public private(set) var hits = 0

    public init(capacity: Int) { self.capacity = capacity }

    public func compile(_ graph: Graph, outputs: [NodeID], symbols: Int, bars: Int,
                        clockBars: [Timeframe: Int] = [:], options: PlanOptions) throws -> FusedEngine.Compiled {
        let (steps, outs) = PlanCache.structure(graph, outputs: outputs)
        let key = Key(steps: steps, outputs: outs, symbols: symbols, bars: bars, periods: clockBars, threads: options.threads,
                      streamed: options.streamed, tileMultiple: options.tileMultiple)
        lock.lock()
        if let e = entries[key] {
            hits += 1
            lock.unlock()
            return FusedEngine.Compiled(optimized: e.compiled.optimized, plan: e.compiled.plan,
                                        outputMap: Dictionary(zip(outputs, e.optimizedOutputs), uniquingKeysWith: { a, _ in a }))
        }
        lock.unlock()
        let compiled = try FusedEngine.compile(graph, outputs: outputs, symbols: symbols, bars: bars, clockBars: clockBars, options: options)
        lock.lock()
        defer { lock.unlock() }
        entries[key] = Entry(compiled: compiled, optimizedOutputs: outputs.map { compiled.outputMap[$0]! })
        recent.removeAll { $0 == key }
        recent.append(key)
        if recent.count > capacity { entries[recent.removeFirst()] = nil }
        return compiled
    }

    /// The structure of what `outputs` need, independent of node numbering: each reachable
    /// node's operation, type and inputs (as positions), in canonical order, and the outputs'
    /// positions.
    static func structure(_ graph: Graph, outputs: [NodeID]) -> ([Key.Step], [Int]) {
        let order = graph.reachable(from: outputs)
        var position: [NodeID: Int] = [:]
        position.reserveCapacity(order.count)
        var steps: [Key.Step] = []
        steps.reserveCapacity(order.count)
        for (i, id) in order.enumerated() {
            position[id] = i
            let node = graph[id]
            steps.append(Key.Step(op: node.op, type: node.type, inputs: node.inputs.map { position[$0]! }))
        }
        return (steps, outputs.map { position[$0]! })
    }
}
