import LunarData
import LunarGraph
import LunarKernels

/// Runs a `Plan` over a panel in fused, blocked, multi-threaded passes.
///
/// Per stage: its cross-sectional steps first (parallel over blocks of bars), then its
/// per-symbol steps, threads taking tiles of symbols. Within a tile each symbol walks its bars
/// in blocks of `plan.blockBars`, and every step handles a whole block per call: elementwise
/// steps are tight loops over the block, registry kernels carry their state (a window, an
/// average) from one block to the next. Every symbol is computed by one thread in the same
/// order, so results do not depend on the thread count, the tile size or the block size.
public struct FusedExecutor {
    public let plan: Plan
    public init(plan: Plan) { self.plan = plan }

    /// Evaluates the plan; returns each requested output as a full symbol-major array.
    public func run(_ panel: Panel) throws -> [NodeID: [Double]] {
        precondition(panel.symbolCount == plan.symbols && panel.barCount == plan.bars, "plan built for another shape")
        let cells = plan.symbols * plan.bars
        var fieldArrays: [[Double]] = []
        for name in plan.fields {
            guard let v = panel.values(name) else {
                throw EvaluationError.unknownField(name, available: panel.fields.keys.sorted())
            }
            fieldArrays.append(v)
        }
        // Materialized buffers are Swift arrays from the start, so outputs are returned without
        // a copy; they are created uninitialized (every cell is written by its step).
        let boxes = plan.buffers.map { _ in Box([Double](unsafeUninitializedCapacity: cells) { _, n in n = cells }) }
        withPointers(fieldArrays.map(Box.init), read: true) { fieldPtrs in
            withPointers(boxes, read: false) { bufferPtrs in
                let ctx = Context(plan: plan, fields: fieldPtrs.map { UnsafePointer($0) }, buffers: bufferPtrs)
                for stage in plan.stages {
                    for cross in stage.crossSteps { ctx.runCross(cross) }
                    if !stage.steps.isEmpty { ctx.runStage(stage) }
                }
            }
        }
        var result: [NodeID: [Double]] = [:]
        for (id, loc) in plan.outputs {
            switch loc {
            case .full(let b): result[id] = boxes[b].array
            case .field(let f): result[id] = fieldArrays[f]
            case .scalar(let v): result[id] = [Double](repeating: v, count: cells)
            case .slot: fatalError("an output must be materialized")
            }
        }
        return result
    }
}

/// A class box, so that several arrays can be pinned at once without overlapping inout access.
private final class Box {
    var array: [Double]
    init(_ a: [Double]) { array = a }
}

/// Calls `body` with stable base pointers of every box's array.
private func withPointers(_ boxes: [Box], read: Bool, _ i: Int = 0,
                          _ acc: [UnsafeMutablePointer<Double>] = [],
                          _ body: ([UnsafeMutablePointer<Double>]) -> Void) {
    if i == boxes.count { return body(acc) }
    boxes[i].array.withUnsafeMutableBufferPointer { b in
        withPointers(boxes, read: read, i + 1, acc + [b.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!], body)
    }
}

/// What the workers share: the plan and the base pointers. Workers write disjoint ranges.
private struct Context: @unchecked Sendable {
    let plan: Plan
    let fields: [UnsafePointer<Double>]
    let buffers: [UnsafeMutablePointer<Double>]

    // MARK: - per-symbol stages

    func runStage(_ stage: Stage) {
        let N = plan.symbols, tile = plan.tileSymbols
        parallelFor(chunks: (N + tile - 1) / tile, threads: plan.threads) { k in
            runTile(stage, symbols: k * tile ..< min(N, (k + 1) * tile))
        }
    }

    private func runTile(_ stage: Stage, symbols: Range<Int>) {
        let B = plan.blockBars, T = plan.bars
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: max(1, stage.slotCount * B))
        defer { scratch.deallocate() }
        for (slot, value) in stage.constantSlots { (scratch + slot * B).initialize(repeating: value, count: B) }
        // One pointer table per kernel step, filled per block (no allocation in the loop).
        let kernelSteps = stage.steps.indices.filter { if case .kernel = stage.steps[$0].kind { return true }; return false }
        let ins = kernelSteps.map { UnsafeMutablePointer<UnsafePointer<Double>>.allocate(capacity: max(1, stage.steps[$0].inputs.count)) }
        let outs = kernelSteps.map { UnsafeMutablePointer<UnsafeMutablePointer<Double>>.allocate(capacity: max(1, stage.steps[$0].outputs.count)) }
        defer { ins.forEach { $0.deallocate() }; outs.forEach { $0.deallocate() } }
        let specs: [(PrimitiveSpec, [Double])] = kernelSteps.map {
            guard case .kernel(let name, let params) = stage.steps[$0].kind else { fatalError() }
            return (Registry.spec(name)!, params)
        }
        var kernels: [any StreamKernel] = []
        kernels.reserveCapacity(kernelSteps.count)
        for s in symbols {
            // A fresh state per symbol: kernels follow one symbol through time.
            kernels.removeAll(keepingCapacity: true)
            for (spec, params) in specs { kernels.append(spec.makeKernel(params)) }
            var t0 = 0
            while t0 < T {
                let n = min(B, T - t0)
                let base = s * T + t0
                @inline(__always) func pointer(_ loc: Location) -> UnsafeMutablePointer<Double> {
                    switch loc {
                    case .field(let f): return UnsafeMutablePointer(mutating: fields[f] + base)
                    case .full(let b): return buffers[b] + base
                    case .slot(let i): return scratch + i * B
                    case .scalar: fatalError("scalars are passed by value")
                    }
                }
                @inline(__always) func operand(_ loc: Location) -> Operand {
                    if case .scalar(let v) = loc { return .value(v) }
                    return .pointer(pointer(loc))
                }
                var k = 0
                for step in stage.steps {
                    switch step.kind {
                    case .unary(let op):
                        Elementwise.unary(op, operand(step.inputs[0]), pointer(step.outputs[0]), n)
                    case .binary(let op):
                        Elementwise.binary(op, operand(step.inputs[0]), operand(step.inputs[1]), pointer(step.outputs[0]), n)
                    case .select:
                        Elementwise.select(operand(step.inputs[0]), operand(step.inputs[1]), operand(step.inputs[2]),
                                           pointer(step.outputs[0]), n)
                    case .kernel:
                        for (j, loc) in step.inputs.enumerated() { ins[k][j] = UnsafePointer(pointer(loc)) }
                        for (j, loc) in step.outputs.enumerated() { outs[k][j] = pointer(loc) }
                        kernels[k].run(UnsafeBufferPointer(start: ins[k], count: step.inputs.count),
                                       UnsafeBufferPointer(start: outs[k], count: step.outputs.count), count: n)
                        k += 1
                    }
                }
                t0 += n
            }
        }
    }

    // MARK: - cross-sectional steps

    /// Bars per cross-sectional chunk: the input is gathered into a bar-major scratch of
    /// `chunk × symbols` values so that each bar's column is contiguous.
    static let crossChunk = 32

    func runCross(_ step: CrossStep) {
        let N = plan.symbols, T = plan.bars, C = Context.crossChunk
        let input: UnsafePointer<Double>
        switch step.input {
        case .field(let f): input = fields[f]
        case .full(let b): input = UnsafePointer(buffers[b])
        default: fatalError("a cross-sectional input is always materialized")
        }
        let src = SharedBuffer(UnsafeMutablePointer(mutating: input), count: N * T)
        let dst = SharedBuffer(buffers[step.output], count: N * T)
        parallelFor(chunks: (T + C - 1) / C, threads: plan.threads) { chunk in
            let t0 = chunk * C, width = min(C, T - t0)
            let column = UnsafeMutablePointer<Double>.allocate(capacity: width * N)
            let order = UnsafeMutablePointer<Int>.allocate(capacity: N)
            let ranks = UnsafeMutablePointer<Double>.allocate(capacity: N)
            defer { column.deallocate(); order.deallocate(); ranks.deallocate() }
            for s in 0 ..< N { for j in 0 ..< width { column[j * N + s] = src.base[s * T + t0 + j] } }
            for j in 0 ..< width {
                let x = column + j * N
                switch step.op {
                case .rank: CrossSection.rank(x, N, order, ranks)
                case .zscore: CrossSection.zscore(x, N)
                }
            }
            for s in 0 ..< N { for j in 0 ..< width { dst.base[s * T + t0 + j] = column[j * N + s] } }
        }
    }
}

/// A step's operand: a block of values or a constant.
enum Operand {
    case pointer(UnsafeMutablePointer<Double>)
    case value(Double)
}

/// Tight loops over one block. Each operation is dispatched once per block; inside the loop
/// `apply` is inlined with a constant op, so the loop body is a few instructions (and
/// vectorizes where the operation allows it).
enum Elementwise {
    static func unary(_ op: UnaryOp, _ a: Operand, _ out: UnsafeMutablePointer<Double>, _ n: Int) {
        switch op {
        case .neg: map(a, out, n) { UnaryOp.neg.apply($0) }
        case .abs: map(a, out, n) { UnaryOp.abs.apply($0) }
        case .log: map(a, out, n) { UnaryOp.log.apply($0) }
        case .exp: map(a, out, n) { UnaryOp.exp.apply($0) }
        case .sqrt: map(a, out, n) { UnaryOp.sqrt.apply($0) }
        case .not: map(a, out, n) { UnaryOp.not.apply($0) }
        }
    }

    static func binary(_ op: BinaryOp, _ a: Operand, _ b: Operand, _ out: UnsafeMutablePointer<Double>, _ n: Int) {
        switch op {
        case .add: zip(a, b, out, n) { BinaryOp.add.apply($0, $1) }
        case .sub: zip(a, b, out, n) { BinaryOp.sub.apply($0, $1) }
        case .mul: zip(a, b, out, n) { BinaryOp.mul.apply($0, $1) }
        case .div: zip(a, b, out, n) { BinaryOp.div.apply($0, $1) }
        case .min: zip(a, b, out, n) { BinaryOp.min.apply($0, $1) }
        case .max: zip(a, b, out, n) { BinaryOp.max.apply($0, $1) }
        case .gt: zip(a, b, out, n) { BinaryOp.gt.apply($0, $1) }
        case .ge: zip(a, b, out, n) { BinaryOp.ge.apply($0, $1) }
        case .lt: zip(a, b, out, n) { BinaryOp.lt.apply($0, $1) }
        case .le: zip(a, b, out, n) { BinaryOp.le.apply($0, $1) }
        case .eq: zip(a, b, out, n) { BinaryOp.eq.apply($0, $1) }
        case .ne: zip(a, b, out, n) { BinaryOp.ne.apply($0, $1) }
        case .and: zip(a, b, out, n) { BinaryOp.and.apply($0, $1) }
        case .or: zip(a, b, out, n) { BinaryOp.or.apply($0, $1) }
        }
    }

    static func select(_ c: Operand, _ a: Operand, _ b: Operand, _ out: UnsafeMutablePointer<Double>, _ n: Int) {
        @inline(__always) func at(_ o: Operand, _ i: Int) -> Double {
            switch o { case .pointer(let p): return p[i]; case .value(let v): return v }
        }
        for i in 0 ..< n { out[i] = selectValue(at(c, i), at(a, i), at(b, i)) }
    }

    @inline(__always)
    static func map(_ a: Operand, _ out: UnsafeMutablePointer<Double>, _ n: Int, _ f: (Double) -> Double) {
        switch a {
        case .pointer(let x): for i in 0 ..< n { out[i] = f(x[i]) }
        case .value(let v): let r = f(v); for i in 0 ..< n { out[i] = r }
        }
    }

    @inline(__always)
    static func zip(_ a: Operand, _ b: Operand, _ out: UnsafeMutablePointer<Double>, _ n: Int,
                    _ f: (Double, Double) -> Double) {
        switch (a, b) {
        case (.pointer(let x), .pointer(let y)): for i in 0 ..< n { out[i] = f(x[i], y[i]) }
        case (.pointer(let x), .value(let v)): for i in 0 ..< n { out[i] = f(x[i], v) }
        case (.value(let u), .pointer(let y)): for i in 0 ..< n { out[i] = f(u, y[i]) }
        case (.value(let u), .value(let v)): let r = f(u, v); for i in 0 ..< n { out[i] = r }
        }
    }
}

/// Cross-sectional operations over one bar's column of `n` symbols, in place. Same arithmetic,
/// in the same order, as `NaiveEvaluator.crossSection`, so results are bit-equal.
enum CrossSection {
    /// Average-tie percentile rank among valid values: (less + (equal + 1) / 2) / valid.
    static func rank(_ x: UnsafeMutablePointer<Double>, _ n: Int, _ order: UnsafeMutablePointer<Int>,
                     _ ranks: UnsafeMutablePointer<Double>) {
        var valid = 0
        for s in 0 ..< n where !x[s].isNaN { order[valid] = s; valid += 1 }
        var idx = UnsafeMutableBufferPointer(start: order, count: valid)
        idx.sort { x[$0] < x[$1] }
        var i = 0
        // Ranks go to a second pass: the values are still needed to find the tie groups.
        while i < valid {
            var j = i + 1
            while j < valid && x[idx[j]] == x[idx[i]] { j += 1 }
            let r = (Double(i) + Double(j - i + 1) / 2) / Double(valid)
            for k in i ..< j { ranks[k] = r }
            i = j
        }
        for k in 0 ..< valid { x[idx[k]] = ranks[k] }
    }

    /// (x − mean) / population std over the valid values; NaN with < 2 valid or zero spread.
    static func zscore(_ x: UnsafeMutablePointer<Double>, _ n: Int) {
        var sum = 0.0, count = 0
        for s in 0 ..< n where !x[s].isNaN { sum += x[s]; count += 1 }
        let mean = sum / Double(count)
        var ss = 0.0
        for s in 0 ..< n where !x[s].isNaN { ss += (x[s] - mean) * (x[s] - mean) }
        let std = (ss / Double(count)).squareRoot()
        guard count >= 2, std > 0 else {
            for s in 0 ..< n { x[s] = .nan }
            return
        }
        for s in 0 ..< n where !x[s].isNaN { x[s] = (x[s] - mean) / std }
    }
}
