/// Signal bookkeeping over bool series: how long ago a condition held, and what a series was then.
extension Registry {
    static let signals: [PrimitiveSpec] = [
        PrimitiveSpec(
            name: "barssince", category: "signal",
            summary: "Bars since cond was last true (0 on a true bar); NaN before the first true and where cond is NaN.",
            formula: "barssince[t] = t − max{k ≤ t : cond[k]}",
            inputs: [.init("cond", .bool)],
            lookback: { _ in 0 }, kernel: { _ in BarsSinceKernel() }),
        PrimitiveSpec(
            name: "valuewhen", category: "signal",
            summary: "The value x had on the bar where cond was true for the (occurrence+1)-th most recent time; NaN until then.",
            formula: "valuewhen(cond, x, k)[t] = x[j], j = the (k+1)-th latest bar ≤ t with cond[j] true",
            inputs: [.init("cond", .bool), .init("x")],
            params: [.init("occurrence", default: 0, range: 0 ... 10_000)],
            lookback: { _ in 0 }, kernel: { p in ValueWhenKernel(occurrence: Int(p[0])) }),
    ]
}

/// Bars are counted on the calendar: a NaN condition gives NaN but time still passes.
struct BarsSinceKernel: StreamKernel {
    var since = -1                        // −1: never true yet
    mutating func run(_ x: KernelInputs, _ out: KernelOutputs, count: Int) {
        for i in 0 ..< count {
            let c = x[0][i]
            if since >= 0 { since += 1 }
            if c == 1 { since = 0 }
            out[0][i] = c.isNaN || since < 0 ? .nan : Double(since)
        }
    }
}

/// Keeps x at the last occurrence+1 true bars; a NaN condition gives NaN and changes nothing.
struct ValueWhenKernel: StreamKernel {
    var ring: Ring
    let occurrence: Int
    init(occurrence: Int) { self.occurrence = occurrence; ring = Ring(occurrence + 1) }
    mutating func run(_ x: KernelInputs, _ out: KernelOutputs, count: Int) {
        for i in 0 ..< count {
            let c = x[0][i]
            if c.isNaN { out[0][i] = .nan; continue }
            if c == 1 { ring.push(x[1][i]) }
            out[0][i] = ring.isFull ? ring.oldest : .nan
        }
    }
}
