import LunarData
import LunarGraph
import LunarKernels

/// Where a step reads or writes a series, resolved to a pointer for each block of bars.
public enum Location: Hashable, Sendable, CustomStringConvertible {
    /// A panel field (by index into `Plan.fields`), read in place.
    case field(Int)
    /// A materialized `symbols × bars` array (by index into `Plan.buffers`).
    case full(Int)
    /// A per-worker scratch buffer of `Plan.blockBars` values, reused once its readers ran.
    case slot(Int)
    /// A constant, broadcast where a series is needed.
    case scalar(Double)

    public var description: String {
        switch self {
        case .field(let i): return "field#\(i)"
        case .full(let i): return "B\(i)"
        case .slot(let i): return "s\(i)"
        case .scalar(let v): return PrimitiveSpec.Param.show(v)
        }
    }
}

/// One kernel call per block: an elementwise loop or a registry kernel (all of its outputs).
public struct Step: Sendable {
    public enum Kind: Sendable {
        case unary(UnaryOp)
        case binary(BinaryOp)
        case select
        /// A registry primitive: `spec.makeKernel(params)` gives a fresh state per symbol.
        case kernel(name: String, params: [Double])
        /// A field (the one input, read in place over the base bars) reduced over each period
        /// of `Plan.clocks[clock]`.
        case resample(Aggregation, clock: Int)
        /// A coarser buffer (the one input) gathered onto the base bars: each bar takes the last
        /// period of `Plan.clocks[clock]` complete at its close.
        case align(clock: Int)
        /// `Plan.calendars[index]` copied into the block (the same for every symbol).
        case calendar(Int)
    }
    public let kind: Kind
    public let inputs: [Location]
    /// One per kernel output; outputs nobody reads go to a scratch slot freed right after.
    public let outputs: [Location]
    /// The graph nodes this step computes (for --explain).
    public let nodes: [NodeID]
}

/// A cross-sectional operation between stages: reads a whole materialized input.
public struct CrossStep: Sendable {
    public let op: CrossSectionOp
    public let input: Location
    public let output: Int
    public let node: NodeID
}

/// A pipeline stage: per-symbol steps fused over tiles, after the cross-sectional steps that
/// feed it.
public struct Stage: Sendable {
    /// The calendar the stage walks: an index into `Plan.clocks`, or nil for the base bars.
    public var clock: Int? = nil
    /// Values per symbol on that calendar (bars or periods).
    public var bars = 0
    public var crossSteps: [CrossStep] = []
    public var steps: [Step] = []
    public var slotCount = 0
    /// Constants a kernel reads as a series: slots filled once per tile, never released.
    public var constantSlots: [(slot: Int, value: Double)] = []
}

/// How the planner sizes work.
public struct PlanOptions: Sendable {
    /// Bars per block: every scratch slot holds this many values. 512 × 8 B = 4 KiB, so a
    /// 30-slot stage keeps its working set (≈ 120 KiB) in L2.
    public var blockBars = 512
    /// Symbols per tile (the unit a thread takes); nil picks enough tiles to balance threads.
    public var tileSymbols: Int? = nil
    public var threads = 1
    /// Symbols run side by side (in SIMD lanes) by kernels that have a lane version: 4 or 1.
    public var lanes = 4
    /// Positions in the outputs of bool outputs to deliver tile by tile, as bytes, to the run's
    /// sink instead of materializing them (a fused backtest's entries and exits, simulated
    /// while they are in cache). Each must be computed by the last stage and asked for only
    /// here; otherwise `Plan.streams` is empty and every output is materialized.
    public var streamed: [Int] = []
    /// Tiles hold a whole number of this many symbols (the sink's unit of work), besides lanes.
    public var tileMultiple = 1
    public init(blockBars: Int = 512, tileSymbols: Int? = nil, threads: Int = 1, lanes: Int = 4,
                streamed: [Int] = [], tileMultiple: Int = 1) {
        self.blockBars = blockBars; self.tileSymbols = tileSymbols; self.threads = threads
        self.lanes = lanes; self.streamed = streamed; self.tileMultiple = max(1, tileMultiple)
    }
}

/// A bool output the last stage hands to the run's sink as bytes, tile by tile
/// (`PlanOptions.streamed`): the node and its scratch slot there, never reused within the stage.
public struct StreamedOutput: Sendable {
    public let node: NodeID
    public let slot: Int
}

/// A compiled graph: what the fused executor runs.
public struct Plan: @unchecked Sendable {
    public let graph: Graph
    public let symbols: Int
    public let bars: Int
    public let blockBars: Int
    public let tileSymbols: Int
    public let threads: Int
    /// Symbols a tile runs together (lane kernels take them in one call); 1 or 4.
    public let lanes: Int
    /// Panel field names read, in `Location.field` order.
    public let fields: [String]
    /// Node held by each materialized buffer, in `Location.full` order.
    public let buffers: [NodeID]
    /// Values per symbol in each buffer: `bars`, or the periods of the node's coarser clock.
    public let bufferBars: [Int]
    /// The coarser clocks the graph uses, finest first, and the periods each has on the panel
    /// the plan was made for.
    public let clocks: [Timeframe]
    public let clockBars: [Int]
    /// Calendar series read by `.calendar` steps.
    public let calendars: [CalendarSeries]
    public let stages: [Stage]
    /// Where each requested output lives after the run (streamed ones excluded).
    public let outputs: [NodeID: Location]
    /// The streamed outputs, in the order of `PlanOptions.streamed`; empty when not all could be.
    public let streams: [StreamedOutput]
    /// The largest slot count of any stage (the scratch each worker allocates).
    public var slotCount: Int { stages.map(\.slotCount).max() ?? 0 }
}

public enum Planner {
    /// Cuts `graph` (already optimized) into stages at cross-sectional nodes, schedules each
    /// stage in topological order, gives every intermediate a scratch slot by liveness, and
    /// materializes only outputs and what crosses a stage boundary.
    ///
    /// Nodes on a coarser clock run in stages of their own that walk that clock's periods
    /// (`clockBars[tf]` per symbol), before the base stage of the same level: a base node only
    /// reads them through an align step, which needs them materialized.
    public static func plan(_ graph: Graph, outputs: [NodeID], symbols: Int, bars: Int,
                            clockBars: [Timeframe: Int] = [:], options: PlanOptions = PlanOptions()) -> Plan {
        let order = graph.reachable(from: outputs)
        // Level: the number of cross-sectional nodes on the longest path from the inputs (the
        // earliest stage a node can run in).
        var level: [NodeID: Int] = [:]
        var consumers: [NodeID: [NodeID]] = [:]
        for id in order {
            let n = graph[id]
            let inLevel = n.inputs.map { level[$0]! }.max() ?? 0
            if case .crossSection = n.op { level[id] = inLevel + 1 } else { level[id] = inLevel }
            for i in n.inputs { consumers[i, default: []].append(id) }
        }
        func crossOp(_ id: NodeID) -> CrossSectionOp? { if case .crossSection(let op) = graph[id].op { return op }; return nil }
        func isCross(_ id: NodeID) -> Bool { crossOp(id) != nil }
        let requested = Set(outputs)
        // Stage of each per-symbol node: as late as its readers allow (a cross-section's input
        // must be done the stage before it). Work that only the last stages need then runs
        // there, fused with its readers, instead of being materialized across the cut.
        let lastLevel = order.map { level[$0]! }.max() ?? 0
        var stageLevel = level
        for id in order.reversed() where !isCross(id) {
            var latest = requested.contains(id) ? lastLevel : Int.max
            // A reader on another clock (an align) runs in a later stage of the same level.
            for c in consumers[id] ?? [] { latest = min(latest, isCross(c) ? level[c]! - 1 : stageLevel[c]!) }
            stageLevel[id] = latest == Int.max ? level[id]! : latest
        }
        let clocks = graph.clocks(from: outputs)
        func clockIndex(_ id: NodeID) -> Int? { graph[id].clock.map { clocks.firstIndex(of: $0)! } }
        // At each level: the coarser clocks' stages, then the base stage.
        var stage: [NodeID: Int] = [:]
        for id in order { stage[id] = stageLevel[id]! * (clocks.count + 1) + (clockIndex(id) ?? clocks.count) }
        let barsOf = { (c: Int?) -> Int in c.map { clockBars[clocks[$0]] ?? 0 } ?? bars }
        func isSource(_ id: NodeID) -> Bool {
            switch graph[id].op { case .field, .constant: return true; default: return false }
        }

        // Streamed outputs: bool nodes of the last stage that nothing else asks for whole.
        let lastStage = (lastLevel + 1) * (clocks.count + 1) - 1
        let streamedIDs = options.streamed.map { outputs[$0] }
        let wholeIDs = Set(outputs.indices.filter { !options.streamed.contains($0) }.map { outputs[$0] })
        let canStream = Set(streamedIDs).count == streamedIDs.count && streamedIDs.allSatisfy { id in
            graph[id].type == .bool && stage[id] == lastStage && !wholeIDs.contains(id) && !isSource(id) && !isCross(id)
        }
        let streaming: Set<NodeID> = canStream ? Set(streamedIDs) : []
        let materialized = requested.subtracting(streaming)

        var fields: [String] = []
        var buffers: [NodeID] = []
        var calendars: [CalendarSeries] = []
        var location: [NodeID: Location] = [:]
        for id in order {
            switch graph[id].op {
            case .field(let name):
                location[id] = .field(fields.count); fields.append(name)
            case .constant:
                location[id] = .scalar(graph[id].constantValue!)
            case .crossSection:
                location[id] = .full(buffers.count); buffers.append(id)
            default:
                // Materialize what is asked for, what a cross-sectional node reads, and what a
                // later stage reads; everything else lives in scratch slots.
                let cs = consumers[id] ?? []
                if materialized.contains(id) || cs.contains(where: { isCross($0) || stage[$0]! != stage[id]! }) {
                    location[id] = .full(buffers.count); buffers.append(id)
                }
            }
        }

        let stageCount = (lastLevel + 1) * (clocks.count + 1)
        var stages = [Stage](repeating: Stage(), count: stageCount)
        for k in 0 ..< stageCount {
            stages[k].clock = k % (clocks.count + 1) == clocks.count ? nil : k % (clocks.count + 1)
            stages[k].bars = barsOf(stages[k].clock)
            let members = order.filter { stage[$0]! == k && !isSource($0) }
            for id in members {
                guard let op = crossOp(id), case .full(let b) = location[id]! else { continue }
                stages[k].crossSteps.append(CrossStep(op: op, input: location[graph[id].inputs[0]]!, output: b, node: id))
            }
            // Group the outputs of one multi-output primitive into one step.
            var groups: [[NodeID]] = []
            var groupOf: [String: Int] = [:]
            for id in members where !isCross(id) {
                let n = graph[id]
                if case .primitive(let name, let params, _) = n.op {
                    let key = "\(name)|\(params)|\(n.inputs)"
                    if let g = groupOf[key] { groups[g].append(id); continue }
                    groupOf[key] = groups.count
                }
                groups.append([id])
            }
            // Liveness: the last step of this stage that reads each node.
            var stepOf: [NodeID: Int] = [:]
            for (i, g) in groups.enumerated() { for id in g { stepOf[id] = i } }
            var lastUse: [NodeID: Int] = [:]
            for (i, g) in groups.enumerated() {
                for input in graph[g[0]].inputs where stepOf[input] != nil { lastUse[input] = max(lastUse[input] ?? 0, i) }
            }
            var free: [Int] = []
            var slotCount = 0
            func takeSlot() -> Int {
                if let s = free.popLast() { return s }
                slotCount += 1
                return slotCount - 1
            }
            // Slots that hold a constant as a series, for kernels that read one. They are filled
            // once per tile, so they are taken first and never released.
            var kernelConstant: [UInt64: Int] = [:]
            for g in groups {
                guard case .primitive = graph[g[0]].op else { continue }
                for input in graph[g[0]].inputs {
                    guard let v = graph[input].constantValue, kernelConstant[v.bitPattern] == nil else { continue }
                    let s = takeSlot()
                    kernelConstant[v.bitPattern] = s; stages[k].constantSlots.append((s, v))
                }
            }
            for (i, g) in groups.enumerated() {
                let node = graph[g[0]]
                let kind: Step.Kind
                var outs: [Location] = []
                var scratch: [Int] = []   // slots of outputs nobody reads
                switch node.op {
                case .unary(let op): kind = .unary(op)
                case .binary(let op): kind = .binary(op)
                case .select: kind = .select
                case .primitive(let name, _, _):
                    kind = .kernel(name: name, params: node.params())
                case .resample(let tf):
                    guard case .field(let name) = graph[node.inputs[0]].op else { fatalError("resample of a non-field") }
                    kind = .resample(.of(field: name), clock: clocks.firstIndex(of: tf)!)
                case .align: kind = .align(clock: clockIndex(node.inputs[0])!)
                case .calendar(let series):
                    if !calendars.contains(series) { calendars.append(series) }
                    kind = .calendar(calendars.firstIndex(of: series)!)
                default: fatalError("unexpected node in a stage: \(node.op)")
                }
                var inputs = node.inputs.map { location[$0]! }
                if case .kernel(let name, _) = kind {
                    inputs = inputs.map { loc in
                        guard case .scalar(let v) = loc else { return loc }
                        return .slot(kernelConstant[v.bitPattern]!)
                    }
                    let spec = Registry.spec(name)!
                    for k in spec.outputs.indices {
                        if let id = g.first(where: { if case .primitive(_, _, let o) = graph[$0].op { return o == k }; return false }) {
                            if location[id] == nil { location[id] = .slot(takeSlot()) }
                            outs.append(location[id]!)
                        } else {
                            let s = takeSlot(); scratch.append(s); outs.append(.slot(s))
                        }
                    }
                } else {
                    if location[g[0]] == nil { location[g[0]] = .slot(takeSlot()) }
                    outs = [location[g[0]]!]
                }
                // Outputs were taken before inputs are released, so they never alias an input.
                free.append(contentsOf: scratch)
                // A streamed output's slot is read after the block's last step: never reused.
                for id in g where location[id].map({ if case .slot = $0 { return true }; return false }) == true && lastUse[id] == nil
                    && !streaming.contains(id) {
                    if case .slot(let s) = location[id]! { free.append(s) }
                }
                for input in Set(node.inputs) where lastUse[input] == i && !streaming.contains(input) {
                    if case .slot(let s) = location[input]! { free.append(s) }
                }
                stages[k].steps.append(Step(kind: kind, inputs: inputs, outputs: outs, nodes: g))
            }
            stages[k].slotCount = slotCount
        }
        let threads = max(1, options.threads)
        let lanes = options.lanes >= Lanes4<Int>.width ? Lanes4<Int>.width : 1
        // About 8 tiles per thread, at most 64 symbols, a whole number of lane groups.
        var tile = options.tileSymbols ?? max(1, min(64, symbols / (threads * 8)))
        if options.tileSymbols == nil { tile = (tile + lanes - 1) / lanes * lanes }
        let multiple = max(1, options.tileMultiple)
        tile = (tile + multiple - 1) / multiple * multiple
        var outs: [NodeID: Location] = [:]
        for id in outputs where !streaming.contains(id) { outs[id] = location[id]! }
        let streams = canStream ? streamedIDs.map { id -> StreamedOutput in
            guard case .slot(let s) = location[id]! else { fatalError("a streamed output lives in a slot") }
            return StreamedOutput(node: id, slot: s)
        } : []
        return Plan(graph: graph, symbols: symbols, bars: bars, blockBars: max(1, options.blockBars),
                    tileSymbols: max(1, tile), threads: threads, lanes: lanes,
                    fields: fields, buffers: buffers, bufferBars: buffers.map { barsOf(clockIndex($0)) },
                    clocks: clocks, clockBars: clocks.map { clockBars[$0] ?? 0 }, calendars: calendars,
                    stages: stages, outputs: outs, streams: streams)
    }
}
