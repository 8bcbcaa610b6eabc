import LunarGraph
import LunarKernels

extension Plan {
    /// Bytes the run reads and writes in main memory: every field or buffer a stage reads, once
    /// per stage, and every buffer written. Scratch slots stay in cache and are not counted.
    public var estimatedBytes: (read: Int, written: Int) {
        let column = symbols * bars * MemoryLayout<Double>.stride
        var read = 0
        for stage in stages {
            var seen = Set<Location>()
            for step in stage.steps { for l in step.inputs { if case .slot = l {} else if case .scalar = l {} else { seen.insert(l) } } }
            for c in stage.crossSteps { seen.insert(c.input) }
            read += seen.count * column
        }
        return (read, buffers.count * column)
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
        func show(_ l: Location) -> String {
            if case .field(let f) = l { return fields[f] }
            return l.description
        }
        for (k, stage) in stages.enumerated() {
            out.append("stage \(k): \(stage.crossSteps.count) cross-sectional, \(stage.steps.count) fused steps, \(stage.slotCount) slots")
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
                }
                let label = step.nodes.compactMap { names[$0] }.joined(separator: ", ")
                out.append("  \(step.outputs.map(show).joined(separator: ", ")) = \(text)\(label.isEmpty ? "" : "   → \(label)")")
            }
        }
        let column = symbols * bars * 8
        out.append("materialized: \(buffers.count) buffer(s) × \(mib(column))" + (buffers.isEmpty ? "" : ": ") +
                   buffers.enumerated().map { "B\($0.offset)" + (names[$0.element].map { " (\($0))" } ?? "") }.joined(separator: ", "))
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
