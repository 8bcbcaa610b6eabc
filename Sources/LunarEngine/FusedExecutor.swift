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

    /// Receives each tile's streamed outputs (`Plan.streams`) as soon as the last stage has
    /// computed them: the tile's symbols, and per stream the bytes (1 = true; false and NaN
    /// are 0) of those symbols, symbol-major, `plan.bars` each. Called on the worker that ran
    /// the tile; the bytes are valid during the call only.
    public typealias TileSink = @Sendable (_ symbols: Range<Int>, _ streams: [UnsafePointer<UInt8>]) -> Void

    /// Evaluates the plan; returns each requested output as a full symbol-major array, except
    /// the streamed ones, which go to `sink` tile by tile.
    public func run(_ panel: Panel, sink: TileSink? = nil) throws -> [NodeID: [Double]] {
        precondition(plan.streams.isEmpty || sink != nil, "a plan with streamed outputs needs a sink")
        guard panel.symbolCount == plan.symbols && panel.barCount == plan.bars else {
            throw EvaluationError.shapeMismatch(plan: (plan.symbols, plan.bars), panel: (panel.symbolCount, panel.barCount))
        }
        var resamplings: [Resampling] = []
        for (tf, periods) in zip(plan.clocks, plan.clockBars) {
            let r = try panel.resampling(tf)
            guard r.periodCount == periods else { throw EvaluationError.clockMismatch(tf, plan: periods, panel: r.periodCount) }
            resamplings.append(r)
        }
        let calendarTables = try plan.calendars.map { try panel.calendarValues($0) }
        var fieldArrays: [[Double]] = []
        for name in plan.fields {
            guard let v = panel.values(name) else {
                throw EvaluationError.unknownField(name, available: panel.fields.keys.sorted())
            }
            fieldArrays.append(v)
        }
        // Requested outputs are Swift arrays from the start, so they are returned without a
        // copy; intermediates (a cross-section's input or output) are plain allocations. Each
        // is made in the stage that writes it and freed after its last reader, so a later
        // buffer can reuse the memory. All are created uninitialized: every cell is written.
        let count = plan.buffers.count
        let requested = Set(plan.outputs.values.compactMap { loc -> Int? in
            if case .full(let b) = loc { return b }
            return nil
        })
        var lastCrossRead = [Int](repeating: -1, count: count), lastStepRead = [Int](repeating: -1, count: count)
        for (k, stage) in plan.stages.enumerated() {
            for c in stage.crossSteps { if case .full(let b) = c.input { lastCrossRead[b] = k } }
            for step in stage.steps { for case .full(let b) in step.inputs { lastStepRead[b] = k } }
        }
        var boxes = [Box?](repeating: nil, count: count)
        var raw = [UnsafeMutablePointer<Double>?](repeating: nil, count: count)
        defer { for p in raw { p?.deallocate() } }
        func create(_ b: Int) {
            guard boxes[b] == nil && raw[b] == nil else { return }
            let cells = plan.symbols * plan.bufferBars[b]
            if requested.contains(b) { boxes[b] = Box([Double](unsafeUninitializedCapacity: cells) { _, n in n = cells }) }
            else { raw[b] = .allocate(capacity: max(cells, 1)) }
        }
        func release(_ done: (Int) -> Bool) {
            for b in 0 ..< count where raw[b] != nil && done(b) { raw[b]!.deallocate(); raw[b] = nil }
        }
        withReadPointers(fieldArrays + calendarTables) { readPtrs in
            let fieldPtrs = Array(readPtrs.prefix(fieldArrays.count)), calendarPtrs = Array(readPtrs.dropFirst(fieldArrays.count))
            /// Runs `body` with every live buffer pinned (a box's array storage never moves, so
            /// pointers are the same from one stage to the next).
            func pinned(_ body: (Context) -> Void) {
                let live = (0 ..< count).compactMap { b in boxes[b].map { (b, $0) } }
                withPointers(live.map(\.1)) { pinnedPtrs in
                    var ptrs = raw.map { $0 ?? UnsafeMutablePointer(bitPattern: 8)! }
                    for (k, (b, _)) in live.enumerated() { ptrs[b] = pinnedPtrs[k] }
                    body(Context(plan: plan, fields: fieldPtrs, buffers: ptrs, resamplings: resamplings, calendars: calendarPtrs,
                                 sink: sink))
                }
            }
            for (k, stage) in plan.stages.enumerated() {
                if !stage.crossSteps.isEmpty {
                    for c in stage.crossSteps { create(c.output) }
                    pinned { ctx in for c in stage.crossSteps { ctx.runCross(c) } }
                    // A cross-section's input that nothing else reads is done with.
                    release { b in lastCrossRead[b] == k && lastStepRead[b] < k }
                }
                if !stage.steps.isEmpty {
                    for step in stage.steps { for case .full(let b) in step.outputs { create(b) } }
                    pinned { ctx in ctx.runStage(stage, streams: k == plan.stages.count - 1) }
                }
                release { b in max(lastCrossRead[b], lastStepRead[b]) <= k }
            }
        }
        var result: [NodeID: [Double]] = [:]
        for (id, loc) in plan.outputs {
            switch loc {
            case .full(let b): result[id] = boxes[b]!.array
            case .field(let f): result[id] = fieldArrays[f]
            case .scalar(let v): result[id] = [Double](repeating: v, count: plan.symbols * (plan.graph[id].clock.map { plan.clockBars[plan.clocks.firstIndex(of: $0)!] } ?? plan.bars))
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

/// Calls `body` with stable base pointers of every box's array (each array is unique, so
/// this never copies).
private func withPointers(_ boxes: [Box], _ i: Int = 0, _ acc: [UnsafeMutablePointer<Double>] = [],
                          _ body: ([UnsafeMutablePointer<Double>]) -> Void) {
    if i == boxes.count { return body(acc) }
    boxes[i].array.withUnsafeMutableBufferPointer { b in
        withPointers(boxes, i + 1, acc + [b.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!], body)
    }
}

/// Read-only base pointers of arrays shared with the panel: a mutable pointer would force a
/// copy of each field (the panel holds another reference).
private func withReadPointers(_ arrays: [[Double]], _ i: Int = 0, _ acc: [UnsafePointer<Double>] = [],
                              _ body: ([UnsafePointer<Double>]) -> Void) {
    if i == arrays.count { return body(acc) }
    arrays[i].withUnsafeBufferPointer { b in
        withReadPointers(arrays, i + 1, acc + [b.baseAddress ?? UnsafePointer(bitPattern: 8)!], body)
    }
}

/// What the workers share: the plan and the base pointers. Workers write disjoint ranges.
private struct Context: @unchecked Sendable {
    let plan: Plan
    let fields: [UnsafePointer<Double>]
    let buffers: [UnsafeMutablePointer<Double>]
    /// Per `plan.clocks`: which base bars make up each period, and which are complete when.
    let resamplings: [Resampling]
    /// Per `plan.calendars`: one value per base bar.
    let calendars: [UnsafePointer<Double>]
    let sink: FusedExecutor.TileSink?

    // MARK: - per-symbol stages

    /// `streams`: this is the last stage, which hands `plan.streams` to the sink.
    func runStage(_ stage: Stage, streams: Bool) {
        let N = plan.symbols, tile = plan.tileSymbols
        parallelFor(chunks: (N + tile - 1) / tile, threads: plan.threads) { k in
            runTile(stage, symbols: k * tile ..< min(N, (k + 1) * tile), streams: streams ? plan.streams : [])
        }
    }

    /// Runs the stage's steps for the symbols of one tile, `plan.lanes` symbols at a time:
    /// each lane has its own scratch slots and kernel states; a step with a lane kernel runs
    /// all lanes in one call, every other step runs once per lane.
    private func runTile(_ stage: Stage, symbols: Range<Int>, streams: [StreamedOutput]) {
        // T: values per symbol on the stage's clock (base bars or coarser periods).
        let B = plan.blockBars, T = stage.bars, L = plan.lanes, S = stage.slotCount
        // The streamed outputs of the tile as bytes: an eighth of the traffic of numbers, and
        // consumed by the sink while still in cache.
        let tileCells = symbols.count * T
        let bytes = streams.isEmpty ? nil : UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, streams.count * tileCells))
        defer { bytes?.deallocate() }
        // Scratch: L lanes of S slots, then one junk block for lanes past the tile's end.
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: (L * S + 1) * B)
        defer { scratch.deallocate() }
        let junk = scratch + L * S * B
        for l in 0 ..< L {
            for (slot, value) in stage.constantSlots { (scratch + (l * S + slot) * B).initialize(repeating: value, count: B) }
        }
        // Per kernel step: its registry spec, its lane version if any, and pointer tables filled
        // per block (no allocation in the loop).
        let kernelSteps = stage.steps.indices.filter { if case .kernel = stage.steps[$0].kind { return true }; return false }
        let specs: [(spec: PrimitiveSpec, params: [Double], lanes: Bool)] = kernelSteps.map {
            guard case .kernel(let name, let params) = stage.steps[$0].kind else { fatalError() }
            return (Registry.spec(name)!, params, L == 4 && LaneKernels.make(name, params) != nil)
        }
        let ins = kernelSteps.map { UnsafeMutablePointer<UnsafePointer<Double>>.allocate(capacity: max(1, stage.steps[$0].inputs.count)) }
        let outs = kernelSteps.map { UnsafeMutablePointer<UnsafeMutablePointer<Double>>.allocate(capacity: max(1, stage.steps[$0].outputs.count)) }
        let laneIns = kernelSteps.map { UnsafeMutablePointer<Lanes4<UnsafePointer<Double>>>.allocate(capacity: max(1, stage.steps[$0].inputs.count)) }
        let laneOuts = kernelSteps.map { UnsafeMutablePointer<Lanes4<UnsafeMutablePointer<Double>>>.allocate(capacity: max(1, stage.steps[$0].outputs.count)) }
        defer {
            ins.forEach { $0.deallocate() }; outs.forEach { $0.deallocate() }
            laneIns.forEach { $0.deallocate() }; laneOuts.forEach { $0.deallocate() }
        }
        // Registry kernels only for steps without a lane version (those run every lane,
        // partial tiles included): step k's lane l is kernels[streamBase[k] + l].
        var streamBase: [Int] = [], streamCount = 0
        for (_, _, hasLanes) in specs { streamBase.append(streamCount); if !hasLanes { streamCount += L } }
        var kernels: [any StreamKernel] = []
        var laneKernels: [(any LaneKernel)?] = []     // [kernel step]
        var first = symbols.lowerBound
        while first < symbols.upperBound {
            let lanes = min(L, symbols.upperBound - first)
            // Fresh states: kernels follow their symbols through time.
            kernels.removeAll(keepingCapacity: true); laneKernels.removeAll(keepingCapacity: true)
            for (spec, params, hasLanes) in specs {
                laneKernels.append(hasLanes ? LaneKernels.make(spec.name, params) : nil)
                if !hasLanes { for _ in 0 ..< L { kernels.append(spec.makeKernel(params)) } }
            }
            var t0 = 0
            while t0 < T {
                let n = min(B, T - t0)
                @inline(__always) func pointer(_ loc: Location, _ l: Int) -> UnsafeMutablePointer<Double> {
                    switch loc {
                    case .field(let f): return UnsafeMutablePointer(mutating: fields[f] + (first + l) * T + t0)
                    case .full(let b): return buffers[b] + (first + l) * plan.bufferBars[b] + t0
                    case .slot(let i): return scratch + (l * S + i) * B
                    case .scalar: fatalError("scalars are passed by value")
                    }
                }
                @inline(__always) func operand(_ loc: Location, _ l: Int) -> BlockOperand {
                    if case .scalar(let v) = loc { return .value(v) }
                    return .pointer(UnsafePointer(pointer(loc, l)))
                }
                var k = 0
                for step in stage.steps {
                    switch step.kind {
                    case .unary(let op):
                        for l in 0 ..< lanes { op.apply(operand(step.inputs[0], l), into: pointer(step.outputs[0], l), count: n) }
                    case .binary(let op):
                        for l in 0 ..< lanes {
                            op.apply(operand(step.inputs[0], l), operand(step.inputs[1], l), into: pointer(step.outputs[0], l), count: n)
                        }
                    case .select:
                        for l in 0 ..< lanes {
                            selectBlock(operand(step.inputs[0], l), operand(step.inputs[1], l), operand(step.inputs[2], l),
                                        into: pointer(step.outputs[0], l), count: n)
                        }
                    case .resample(let rule, let c):
                        // Each period's bars of the field's base row, reduced by its rule.
                        guard case .field(let f) = step.inputs[0] else { fatalError("resample reads a field") }
                        resamplings[c].starts.withUnsafeBufferPointer { starts in
                            resamplings[c].ends.withUnsafeBufferPointer { ends in
                                for l in 0 ..< lanes {
                                    let row = fields[f] + (first + l) * plan.bars, out = pointer(step.outputs[0], l)
                                    for j in 0 ..< n { out[j] = rule.reduce(row, starts[t0 + j] ..< ends[t0 + j]) }
                                }
                            }
                        }
                    case .align(let c):
                        // A gather: the last complete period at each bar, NaN before the first.
                        guard case .full(let b) = step.inputs[0] else { fatalError("align reads a materialized buffer") }
                        resamplings[c].completed.withUnsafeBufferPointer { done in
                            for l in 0 ..< lanes {
                                                                let row = buffers[b] + (first + l) * plan.bufferBars[b], out = pointer(step.outputs[0], l)
                                for j in 0 ..< n { let p = Int(done[t0 + j]); out[j] = p > 0 ? row[p - 1] : .nan }
                            }
                        }
                    case .calendar(let c):
                        for l in 0 ..< lanes { pointer(step.outputs[0], l).update(from: calendars[c] + t0, count: n) }
                    case .kernel:
                        if laneKernels[k] != nil {
                            // Lanes past the tile's end repeat lane 0's inputs and write to junk.
                            for (j, loc) in step.inputs.enumerated() {
                                var p = Lanes4(repeating: UnsafePointer(pointer(loc, 0)))
                                for l in 1 ..< lanes { p[l] = UnsafePointer(pointer(loc, l)) }
                                laneIns[k][j] = p
                            }
                            for (j, loc) in step.outputs.enumerated() {
                                var p = Lanes4(repeating: junk)
                                for l in 0 ..< lanes { p[l] = pointer(loc, l) }
                                laneOuts[k][j] = p
                            }
                            laneKernels[k]!.run(laneIns[k], laneOuts[k], count: n)
                        } else {
                            for l in 0 ..< lanes {
                                for (j, loc) in step.inputs.enumerated() { ins[k][j] = UnsafePointer(pointer(loc, l)) }
                                for (j, loc) in step.outputs.enumerated() { outs[k][j] = pointer(loc, l) }
                                kernels[streamBase[k] + l].run(UnsafeBufferPointer(start: ins[k], count: step.inputs.count),
                                                       UnsafeBufferPointer(start: outs[k], count: step.outputs.count), count: n)
                            }
                        }
                        k += 1
                    }
                }
                for (j, stream) in streams.enumerated() {
                    for l in 0 ..< lanes {
                        let from = scratch + (l * S + stream.slot) * B
                        let to = bytes! + j * tileCells + (first + l - symbols.lowerBound) * T + t0
                        for i in 0 ..< n { to[i] = from[i] == 1 ? 1 : 0 }
                    }
                }
                t0 += n
            }
            first += lanes
        }
        if let bytes { sink!(symbols, streams.indices.map { UnsafePointer(bytes + $0 * tileCells) }) }
    }

    // MARK: - cross-sectional steps

    /// Bars per cross-sectional chunk: the input is gathered into a bar-major scratch of
    /// `chunk × symbols` values so that each bar's column is contiguous.
    static let crossChunk = 32

    func runCross(_ step: CrossStep) {
        let N = plan.symbols, T = plan.bufferBars[step.output], C = Context.crossChunk
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
            let scratch = UnsafeMutablePointer<UInt64>.allocate(capacity: CrossSection.scratchWords(N))
            defer { column.deallocate(); scratch.deallocate() }
            for s in 0 ..< N { for j in 0 ..< width { column[j * N + s] = src.base[s * T + t0 + j] } }
            for j in 0 ..< width {
                let x = column + j * N
                switch step.op {
                case .rank: CrossSection.rank(x, N, scratch)
                case .zscore: CrossSection.zscore(x, N)
                }
            }
            for s in 0 ..< N { for j in 0 ..< width { dst.base[s * T + t0 + j] = column[j * N + s] } }
        }
    }
}

/// Cross-sectional operations over one bar's column of `n` symbols, in place. Same arithmetic,
/// in the same order, as `NaiveEvaluator.crossSection`, so results are bit-equal.
enum CrossSection {
    /// Average-tie percentile rank among valid values: (less + (equal + 1) / 2) / valid.
    /// The valid values are sorted by an LSD radix sort on the upper half of an
    /// order-preserving integer key, each entry that half and the symbol packed in one word
    /// (one word moved per pass, four passes at most, their digit counts taken in one read);
    /// runs that share the upper half are then put in full-key order by insertion (for real
    /// data they are one or two entries). No comparisons to mispredict in the passes, no
    /// allocation (`scratch` holds `scratchWords(n)` words).
    static func rank(_ x: UnsafeMutablePointer<Double>, _ n: Int, _ scratch: UnsafeMutablePointer<UInt64>) {
        // Flip negatives entirely and set the sign bit of positives: unsigned order = numeric order.
        @inline(__always) func key(_ v: Double) -> UInt64 {
            let b = v.bitPattern
            return b >> 63 == 1 ? ~b : b | (1 << 63)
        }
        var a = scratch, b = scratch + n
        let counts = scratch + 2 * n   // four digits' counts, 256 each
        for d in 0 ..< 1024 { counts[d] = 0 }
        var valid = 0
        for s in 0 ..< n where !x[s].isNaN {
            let e = key(x[s]) & 0xFFFF_FFFF_0000_0000 | UInt64(s)
            a[valid] = e
            for k in 0 ..< 4 { counts[k << 8 | Int(truncatingIfNeeded: (e >> (32 + 8 * UInt64(k))) & 0xFF)] &+= 1 }
            valid += 1
        }
        for k in 0 ..< 4 where valid > 1 {
            let c = counts + 256 * k, shift = 32 + 8 * UInt64(k)
            if c[Int((a[0] >> shift) & 0xFF)] == UInt64(valid) { continue }   // one digit: nothing moves
            var sum: UInt64 = 0
            for d in 0 ..< 256 { let t = c[d]; c[d] = sum; sum += t }
            // Wrapping arithmetic and unchecked conversions: the checks were a third of the loop.
            for i in 0 ..< valid {
                let e = a[i], d = Int(truncatingIfNeeded: (e >> shift) & 0xFF)
                b[Int(truncatingIfNeeded: c[d])] = e; c[d] &+= 1
            }
            swap(&a, &b)
        }
        @inline(__always) func symbol(_ e: UInt64) -> Int { Int(e & 0xFFFF_FFFF) }
        // Entries that share the upper half, in full-key order.
        var i = 0
        while i < valid {
            var j = i + 1
            while j < valid && a[j] >> 32 == a[i] >> 32 { j += 1 }
            if j - i > 1 {
                for p in i + 1 ..< j {
                    let e = a[p], k = key(x[symbol(e)])
                    var q = p
                    while q > i && key(x[symbol(a[q - 1])]) > k { a[q] = a[q - 1]; q -= 1 }
                    a[q] = e
                }
            }
            i = j
        }
        // Equal values are adjacent (−0 and +0 too); each gets the average of its places.
        i = 0
        while i < valid {
            let v = x[symbol(a[i])]
            var j = i + 1
            while j < valid && x[symbol(a[j])] == v { j += 1 }
            let r = (Double(i) + Double(j - i + 1) / 2) / Double(valid)
            for k in i ..< j { b[k] = r.bitPattern }
            i = j
        }
        // Written after every value is read: the ranks replace the values in place.
        for k in 0 ..< valid { x[symbol(a[k])] = Double(bitPattern: b[k]) }
    }

    /// Scratch words `rank` needs for n values.
    static func scratchWords(_ n: Int) -> Int { 2 * n + 1024 }

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
