import LunarData
import LunarGraph
import LunarKernels

public enum EvaluationError: Error, CustomStringConvertible {
    case unknownField(String, available: [String])
    /// A compiled plan run on a panel of another size.
    case shapeMismatch(plan: (symbols: Int, bars: Int), panel: (symbols: Int, bars: Int))
    /// A compiled plan run on a panel whose calendar has another number of coarser periods.
    case clockMismatch(Timeframe, plan: Int, panel: Int)
    public var description: String {
        switch self {
        case .clockMismatch(let tf, let plan, let panel):
            return "the plan was compiled for \(plan) periods of \(tf), the panel has \(panel)"
        case .unknownField(let name, let available):
            let s = closestMatches(to: name, in: available)
            return "the data have no field '\(name)'" + (s.isEmpty ? "" : "; did you mean \(s.map { "'\($0)'" }.joined(separator: ", "))?")
        case .shapeMismatch(let plan, let panel):
            return "the plan was compiled for \(plan.symbols) symbols × \(plan.bars) bars, the panel has \(panel.symbols) × \(panel.bars)"
        }
    }
}

/// The reference evaluator: one full array per node, the most obvious loops.
///
/// It is the oracle the fused executor is tested against, so it favours clarity over speed and
/// recomputes each window from scratch. Values are symbol-major (`[s * T + t]`).
public struct NaiveEvaluator {
    public let panel: Panel

    public init(panel: Panel) { self.panel = panel }

    /// Evaluates `outputs` (and whatever they need) and returns their full arrays.
    public func evaluate(_ graph: Graph, outputs: [NodeID]) throws -> [NodeID: [Double]] {
        var values: [NodeID: [Double]] = [:]
        for id in graph.reachable(from: outputs) {
            values[id] = try compute(graph, id, values)
        }
        return values.filter { outputs.contains($0.key) }
    }

    private var N: Int { panel.symbolCount }
    private var T: Int { panel.barCount }

    /// Values per symbol on `clock`: the panel's bars, or the periods of a coarser timeframe.
    private func length(_ clock: Timeframe?) throws -> Int {
        guard let tf = clock else { return T }
        return try panel.resampling(tf).periodCount
    }

    private func compute(_ graph: Graph, _ id: NodeID, _ values: [NodeID: [Double]]) throws -> [Double] {
        let node = graph[id]
        let T = try length(node.clock)
        // A number follows whichever clock consumes it.
        let args = node.inputs.map { input -> [Double] in
            let v = values[input]!
            return graph[input].type == .scalar ? [Double](repeating: v[0], count: N * T) : v
        }
        switch node.op {
        case .field(let name):
            guard let v = panel.values(name) else {
                throw EvaluationError.unknownField(name, available: panel.fields.keys.sorted())
            }
            return v
        case .resample(let tf):
            // Each period's bars reduced by the field's rule, symbol by symbol.
            guard case .field(let name) = graph[node.inputs[0]].op else { preconditionFailure("resample of a non-field") }
            let r = try panel.resampling(tf), rule = Aggregation.of(field: name), base = args[0]
            var out = [Double](repeating: .nan, count: N * T)
            for s in 0 ..< N {
                let row = Array(base[s * self.T ..< (s + 1) * self.T])
                for p in 0 ..< r.periodCount {
                    out[s * T + p] = row.withUnsafeBufferPointer { rule.reduce($0.baseAddress!, r.starts[p] ..< r.ends[p]) }
                }
            }
            return out
        case .align:
            // The last period complete at each bar's close; NaN before the first.
            let r = try panel.resampling(graph[node.inputs[0]].clock!), P = r.periodCount
            var out = [Double](repeating: .nan, count: N * T)
            for s in 0 ..< N {
                for t in 0 ..< T where r.completed[t] > 0 { out[s * T + t] = args[0][s * P + Int(r.completed[t]) - 1] }
            }
            return out
        case .calendar(let series):
            let v = try panel.calendarValues(series)
            return (0 ..< N).flatMap { _ in v }
        case .constant:
            return [Double](repeating: node.constantValue!, count: N * T)
        case .unary(let op):
            return args[0].map { NaiveEvaluator.apply(op, $0) }
        case .binary(let op):
            return zip(args[0], args[1]).map { NaiveEvaluator.apply(op, $0, $1) }
        case .select:
            return (0 ..< N * T).map { i in
                return selectValue(args[0][i], args[1][i], args[2][i])
            }
        case .primitive(let name, _, let output):
            var out = [Double](repeating: .nan, count: N * T)
            for s in 0 ..< N {
                let ins = args.map { Array($0[s * T ..< (s + 1) * T]) }
                let result = NaiveEvaluator.primitive(name, node.params(), ins, output: output)
                out.replaceSubrange(s * T ..< (s + 1) * T, with: result)
            }
            return out
        case .crossSection(let op):
            return NaiveEvaluator.crossSection(op, args[0], symbols: N, bars: T)
        }
    }

    // MARK: - elementwise rules (shared with the fused executor: one definition of each op)

    @inline(__always)
    public static func apply(_ op: UnaryOp, _ x: Double) -> Double { op.apply(x) }

    @inline(__always)
    public static func apply(_ op: BinaryOp, _ a: Double, _ b: Double) -> Double { op.apply(a, b) }

    // MARK: - primitives, written out plainly for one symbol

    static func primitive(_ name: String, _ p: [Double], _ x: [[Double]], output: Int) -> [Double] {
        let T = x.first?.count ?? 0
        var out = [Double](repeating: .nan, count: T)
        /// The last n values ending at t, or nil when they do not exist or hold a NaN.
        func window(_ v: [Double], _ t: Int, _ n: Int) -> ArraySlice<Double>? {
            guard t - n + 1 >= 0 else { return nil }
            let w = v[(t - n + 1) ... t]
            return w.contains(where: \.isNaN) ? nil : w
        }
        switch name {
        case "shift":
            let k = Int(p[0])
            for t in k ..< max(T, k) { out[t] = x[0][t - k] }
        case "diff":
            let k = Int(p[0])
            for t in k ..< max(T, k) { out[t] = x[0][t] - x[0][t - k] }
        case "sma":
            let n = Int(p[0])
            for t in 0 ..< T { if let w = window(x[0], t, n) { out[t] = w.reduce(0, +) / Double(n) } }
        case "stdev":
            let n = Int(p[0])
            for t in 0 ..< T {
                guard let w = window(x[0], t, n) else { continue }
                let mean = w.reduce(0, +) / Double(n)
                out[t] = (w.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)).squareRoot()
            }
        case "highest":
            let n = Int(p[0])
            for t in 0 ..< T { if let w = window(x[0], t, n) { out[t] = w.max()! } }
        case "lowest":
            let n = Int(p[0])
            for t in 0 ..< T { if let w = window(x[0], t, n) { out[t] = w.min()! } }
        case "ema":
            let n = Int(p[0])
            let k = 2 / (Double(n) + 1)
            let valid = x[0].indices.filter { !x[0][$0].isNaN }
            guard valid.count >= n else { break }
            var e = valid.prefix(n).reduce(0.0) { $0 + x[0][$1] } / Double(n)
            out[valid[n - 1]] = e
            for t in valid.dropFirst(n) { e = (x[0][t] - e) * k + e; out[t] = e }
        case "crossover", "crossunder":
            let (a, b) = name == "crossover" ? (x[0], x[1]) : (x[1], x[0])
            for t in 0 ..< T {
                if a[t].isNaN || b[t].isNaN { continue }
                out[t] = 0
                guard t > 0, a[t] > b[t], !a[t - 1].isNaN, !b[t - 1].isNaN, a[t - 1] <= b[t - 1] else { continue }
                // Was a below b at some bar since the last NaN?
                var j = t - 1
                while j >= 0, !a[j].isNaN, !b[j].isNaN {
                    if a[j] < b[j] { out[t] = 1; break }
                    j -= 1
                }
            }
        default:
            // Primitives without a written-out version run their registry kernel over the
            // whole history in one block; their reference is the golden files.
            out = wholeSeries(name, p, x)[output]
        }
        return out
    }

    // MARK: - cross-sectional operations, written out plainly

    /// rank: pandas' `rank(pct=True)` with average ties over the valid values at each bar;
    /// zscore: (x − mean) / population std over the valid values. NaN in, NaN out; zscore is
    /// NaN where fewer than 2 values are valid or they are all equal.
    static func crossSection(_ op: CrossSectionOp, _ x: [Double], symbols N: Int, bars T: Int) -> [Double] {
        var out = [Double](repeating: .nan, count: N * T)
        for t in 0 ..< T {
            let column = (0 ..< N).map { x[$0 * T + t] }
            let valid = column.filter { !$0.isNaN }
            switch op {
            case .rank:
                for s in 0 ..< N where !column[s].isNaN {
                    let less = valid.filter { $0 < column[s] }.count
                    let equal = valid.filter { $0 == column[s] }.count
                    out[s * T + t] = (Double(less) + Double(equal + 1) / 2) / Double(valid.count)
                }
            case .zscore:
                guard valid.count >= 2 else { continue }
                let mean = valid.reduce(0, +) / Double(valid.count)
                let std = (valid.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(valid.count)).squareRoot()
                guard std > 0 else { continue }
                for s in 0 ..< N where !column[s].isNaN { out[s * T + t] = (column[s] - mean) / std }
            }
        }
        return out
    }

    /// Runs a registry kernel over whole series in one call; returns every output.
    public static func wholeSeries(_ name: String, _ p: [Double], _ x: [[Double]]) -> [[Double]] {
        let spec = Registry.spec(name)!
        let T = x.first?.count ?? 0
        var kernel = spec.makeKernel(p)
        var outs = spec.outputs.map { _ in [Double](repeating: .nan, count: T) }
        let inPtrs = x.map { arr -> UnsafeMutablePointer<Double> in
            let ptr = UnsafeMutablePointer<Double>.allocate(capacity: max(T, 1))
            ptr.initialize(from: arr, count: T)
            return ptr
        }
        let outPtrs = outs.map { _ in UnsafeMutablePointer<Double>.allocate(capacity: max(T, 1)) }
        defer { inPtrs.forEach { $0.deallocate() }; outPtrs.forEach { $0.deallocate() } }
        inPtrs.map { UnsafePointer($0) }.withUnsafeBufferPointer { ins in
            outPtrs.withUnsafeBufferPointer { os in kernel.run(ins, os, count: T) }
        }
        for j in outs.indices { outs[j] = Array(UnsafeBufferPointer(start: outPtrs[j], count: T)) }
        return outs
    }
}
