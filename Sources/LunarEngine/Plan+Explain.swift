import LunarGraph
import LunarKernels

extension Plan {
    /// Bytes the run reads and writes in main memory: every field or buffer a stage reads, once
    /// per stage, and every buffer written. Scratch slots stay in cache and are not counted.
    public var estimatedBytes: (read: Int, written: Int) {
        func column(_ l: Location) -> Int {
            if case .full(let b) = l { return symbols * bufferBars[b] * MemoryLayout<Double>.stride }
            return symbols * bars * MemoryLayout<Double>.stride
        }
        var read = 0
        for stage in stages {
            var seen = Set<Location>()
            for step in stage.steps { for l in step.inputs { if case .slot = l {} else if case .scalar = l {} else { seen.insert(l) } } }
            for c in stage.crossSteps { seen.insert(c.input) }
            read += seen.reduce(0) { $0 + column($1) }
        }
        return (read, buffers.indices.reduce(0) { $0 + column(.full($1)) })
    }

    /// The plan as text (`lunar run --explain`): stages, fused steps, buffers, tiles, bytes.
    /// - Parameter names: labels for requested outputs (e.g. "entries").
    public func explain(names: [NodeID: String] = [:], optimizer: OptimizedGraph? = nil) -> String {
        var out: [String] = []
        let mib = { (b: Int) in String(format2(Double(b) / 1_048_576)) + " MiB" }
        out.append("plan: \(symbols) symbols × \(bars) bars, \(threads) thread(s)")
        if let o = optimizer {
            let fired = o.report.map { "\($0.rule) \($0.count)" }.joined(separator: ", ")
            out.append("optimizer: \(o.nodesBefore) → \(o.nodesAfter) nodes (\(fired))")
        }
        let tiles = (symbols + tileSymbols - 1) / tileSymbols
        out.append("tiles: \(tileSymbols) symbols × \(blockBars) bars, \(tiles) tiles, \(lanes) symbol(s) per lane group; scratch \(blockBars * 8) B per slot, \(slotCount) slots × \(lanes) lane(s) = \(slotCount * lanes * blockBars * 8 / 1024) KiB per worker")
        out.append("fields: " + fields.enumerated().map { "field#\($0.offset) = \($0.element)" }.joined(separator: ", "))
        if !clocks.isEmpty {
            // Each coarser clock runs on its own periods; base stages read it only aligned.
            out.append("clocks: base \(bars) bars; " + zip(clocks, clockBars).map { "\($0) \($1) periods" }.joined(separator: "; ")
                       + " (a coarser value reaches a base bar once its period is complete at that bar's close)")
        }
        func show(_ l: Location) -> String {
            if case .field(let f) = l { return fields[f] }
            return l.description
        }
        // Every (level, clock) pair has a stage; only those with work are shown, numbered in order.
        for (k, stage) in stages.filter({ !$0.steps.isEmpty || !$0.crossSteps.isEmpty }).enumerated() {
            let clock = stage.clock.map { " @\(clocks[$0]) (\(stage.bars) periods)" } ?? (clocks.isEmpty ? "" : " @base")
            out.append("stage \(k)\(clock): \(stage.crossSteps.count) cross-sectional, \(stage.steps.count) fused steps, \(stage.slotCount) slots")
            for c in stage.crossSteps {
                out.append("  B\(c.output) = \(c.op.rawValue)(\(show(c.input)))   [all symbols per bar]")
            }
            for (slot, v) in stage.constantSlots { out.append("  s\(slot) = broadcast \(PrimitiveSpec.Param.show(v))") }
            for step in stage.steps {
                let args = step.inputs.map(show)
                let text: String
                switch step.kind {
                case .unary(let op): text = "\(op.rawValue)(\(args[0]))"
                case .binary(let op): text = op == .min || op == .max ? "\(op.rawValue)(\(args.joined(separator: ", ")))" : "\(args[0]) \(op.symbol) \(args[1])"
                case .select: text = "where(\(args.joined(separator: ", ")))"
                case .kernel(let name, let params):
                    text = "\(name)(\((args + params.map(PrimitiveSpec.Param.show)).joined(separator: ", ")))"
                        + (lanes > 1 && LaneKernels.make(name, params) != nil ? "   [SIMD lanes]" : "")
                case .resample(let rule, let c): text = "\(rule)(\(args[0]) over each \(clocks[c]))"
                case .align(let c): text = "align(\(args[0]) → last complete \(clocks[c]))   [gather]"
                case .calendar(let c): text = calendars[c].description
                }
                let label = step.nodes.compactMap { names[$0] }.joined(separator: ", ")
                out.append("  \(step.outputs.map(show).joined(separator: ", ")) = \(text)\(label.isEmpty ? "" : "   → \(label)")")
            }
        }
        let total = bufferBars.reduce(0) { $0 + symbols * $1 * 8 }
        out.append("materialized: \(buffers.count) buffer(s), \(mib(total))" + (buffers.isEmpty ? "" : ": ") +
                   buffers.enumerated().map { b in
                       "B\(b.offset)" + (graph[b.element].clock.map { "@\($0)" } ?? "") + (names[b.element].map { " (\($0))" } ?? "")
                   }.joined(separator: ", "))
        let (r, w) = estimatedBytes
        out.append("estimated bytes touched: read \(mib(r)), written \(mib(w)), total \(mib(r + w))")
        return out.joined(separator: "\n") + "\n"
    }
}

/// Two decimals, without Foundation.
func format2(_ v: Double) -> String {
    let r = (v * 100).rounded() / 100
    let whole = Int(r), frac = Int(((r - Double(whole)) * 100).rounded())
    return "\(whole).\(frac < 10 ? "0" : "")\(frac)"
}
