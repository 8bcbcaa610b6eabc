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

    private let capacity: Int
    private var entries: [String: Entry] = [:]
    private var recent: [String] = []
    private let lock = NSLock()
    public private(set) var hits = 0

    public init(capacity: Int) { self.capacity = capacity }

    public func compile(_ graph: Graph, outputs: [NodeID], symbols: Int, bars: Int,
                        clockBars: [Timeframe: Int] = [:], options: PlanOptions) throws -> FusedEngine.Compiled {
        let periods = clockBars.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ",")
        let key = PlanCache.key(graph, outputs: outputs) + "|\(symbols)x\(bars)|\(periods)|\(options.threads)|\(options.streamed)/\(options.tileMultiple)"
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

    /// The structure of what `outputs` need, independent of node numbering.
    static func key(_ graph: Graph, outputs: [NodeID]) -> String {
        let order = graph.reachable(from: outputs)
        var position: [NodeID: Int] = [:]
        position.reserveCapacity(order.count)
        var text = ""
        for (i, id) in order.enumerated() {
            position[id] = i
            let node = graph[id]
            text += "\(node.op)/\(node.type)(" + node.inputs.map { String(position[$0]!) }.joined(separator: ",") + ");"
        }
        return text + "→" + outputs.map { String(position[$0]!) }.joined(separator: ",")
    }
}
