import LunarKernels

/// Four symbols' pointers for one input or output of a lane kernel.
struct Lanes4<P> {
    static var width: Int { 4 }
    var p0, p1, p2, p3: P
    init(repeating p: P) { p0 = p; p1 = p; p2 = p; p3 = p }
    subscript(l: Int) -> P {
        get { switch l { case 0: return p0; case 1: return p1; case 2: return p2; default: return p3 } }
        set { switch l { case 0: p0 = newValue; case 1: p1 = newValue; case 2: p2 = newValue; default: p3 = newValue } }
    }
}

/// A primitive run for four symbols at once, one SIMD lane each.
///
/// A running sum or a crossing state machine is a serial chain per symbol (each bar waits for
/// the previous one); four symbols in the lanes of one vector run four chains side by side.
/// Each lane performs exactly the operations of the registry kernel, in the same order, so the
/// results are bit-equal to `StreamKernel`'s: the oracle tests run every graph with lanes on
/// and off and require identical bits.
protocol LaneKernel {
    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int)
}

/// Every primitive with a lane version, by registry name. Each family's lane kernels live in
/// their own file with their own table (`LaneKernels+Momentum.swift`, …); the executor asks
/// `make`, and `LaneKernelTests` runs every name in `names` against the registry kernel.
public enum LaneKernels {
    typealias Maker = @Sendable ([Double]) -> any LaneKernel

    static let table: [String: Maker] = [averages, momentum, others].reduce(into: [:]) { all, family in
        all.merge(family) { _, _ in fatalError("a primitive has two lane versions") }
    }

    /// The lane version of a registry primitive, when there is one.
    static func make(_ name: String, _ params: [Double]) -> (any LaneKernel)? { table[name]?(params) }

    /// The primitives that have a lane version.
    public static var names: [String] { table.keys.sorted() }

    /// sma, ema, stdev and the crossings (this file; highest and lowest share the momentum
    /// file's O(1) window with stoch and willr).
    static let averages: [String: Maker] = [
        "sma": { SMALanes(n: Int($0[0])) },
        "crossover": { _ in CrossLanes(swapped: false) },
        "crossunder": { _ in CrossLanes(swapped: true) },
        "ema": { EMALanes(n: Int($0[0]), alpha: 2 / ($0[0] + 1)) },
        "stdev": { StdevLanes(n: Int($0[0])) },
    ]
}

// The lane helpers every family file uses.

@inline(__always) func gather(_ p: Lanes4<UnsafePointer<Double>>, _ i: Int) -> SIMD4<Double> {
    SIMD4(p.p0[i], p.p1[i], p.p2[i], p.p3[i])
}

@inline(__always) func scatter(_ v: SIMD4<Double>, _ p: Lanes4<UnsafeMutablePointer<Double>>, _ i: Int) {
    p.p0[i] = v[0]; p.p1[i] = v[1]; p.p2[i] = v[2]; p.p3[i] = v[3]
}

typealias Mask4 = SIMDMask<SIMD4<Int64>>

/// `a` in the lanes where `m` is set, else `b`. Bitwise (and, and-not, or), because
/// `replacing(with:where:)` compiles to a branch per lane here; the lanes keep exactly the
/// chosen values, so results are unchanged.
@inline(__always) func pick(_ m: Mask4, _ a: SIMD4<Double>, _ b: SIMD4<Double>) -> SIMD4<Double> {
    let k = m._storage
    let x = unsafeBitCast(a, to: SIMD4<Int64>.self), y = unsafeBitCast(b, to: SIMD4<Int64>.self)
    return unsafeBitCast((x & k) | (y & ~k), to: SIMD4<Double>.self)
}

@inline(__always) func pick(_ m: Mask4, _ a: SIMD4<Int64>, _ b: SIMD4<Int64>) -> SIMD4<Int64> {
    (a & m._storage) | (b & ~m._storage)
}

/// 1 in the lanes where `m` is set, else 0 (a set lane holds all ones, i.e. −1).
@inline(__always) func ones(_ m: Mask4) -> SIMD4<Int64> { 0 &- m._storage }

/// `SMAKernel` in four lanes. All lanes start at bar 0 together, so the fill count and the
/// ring position are shared; sums and NaN counts are per lane. A NaN adds (or removes) 0
/// instead of being skipped: the sum starts at +0 and x + (−x) rounds to +0, so it is never
/// −0, and adding or subtracting +0 leaves it unchanged — the same bits as skipping.
struct SMALanes: LaneKernel {
    var ring: [SIMD4<Double>]
    var head = 0, filled = 0
    var nans = SIMD4<Int64>(repeating: 0)
    var sum = SIMD4<Double>(repeating: 0)
    let n: Int
    init(n: Int) { self.n = n; ring = [SIMD4<Double>](repeating: .zero, count: n) }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let x = inputs[0], out = outputs[0]
        let dn = SIMD4<Double>(repeating: Double(n)), n = self.n
        let zero = SIMD4<Double>.zero, nan = SIMD4<Double>(repeating: .nan)
        var head = self.head, filled = self.filled, nans = self.nans, sum = self.sum
        ring.withUnsafeMutableBufferPointer { r in
            for i in 0 ..< count {
                let v = gather(x, i)
                let vNaN = v .!= v
                nans &+= ones(vNaN)
                sum += pick(vNaN, zero, v)
                if filled < n {
                    r[filled] = v; filled += 1
                } else {
                    let old = r[head]
                    r[head] = v
                    head += 1
                    if head == n { head = 0 }
                    let oldNaN = old .!= old
                    nans &-= ones(oldNaN)
                    sum -= pick(oldNaN, zero, old)
                }
                let avg = filled == n ? pick(nans .!= 0, nan, sum / dn) : nan
                scatter(avg, out, i)
            }
        }
        self.head = head; self.filled = filled; self.nans = nans; self.sum = sum
    }
}

/// `CrossKernel` in four lanes, branch-free: NaN resets both flags and gives NaN; a > b fires
/// when "was below" is set and the previous bar was not above; a < b sets "was below".
struct CrossLanes: LaneKernel {
    let swapped: Bool
    var wasBelow = SIMDMask<SIMD4<Int64>>(repeating: false)
    var above = SIMDMask<SIMD4<Int64>>(repeating: false)
    init(swapped: Bool) { self.swapped = swapped }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let a = swapped ? inputs[1] : inputs[0], b = swapped ? inputs[0] : inputs[1]
        let out = outputs[0]
        let zero = SIMD4<Double>.zero, one = SIMD4<Double>(repeating: 1), nan = SIMD4<Double>(repeating: .nan)
        var wasBelow = self.wasBelow, above = self.above
        for i in 0 ..< count {
            let x = gather(a, i), y = gather(b, i)
            let valid = (x .== x) .& (y .== y)
            let gt = x .> y, lt = x .< y
            let fire = gt .& wasBelow .& .!above
            scatter(pick(valid, pick(fire, one, zero), nan), out, i)
            wasBelow = valid .& (wasBelow .| lt)
            above = gt
        }
        self.wasBelow = wasBelow; self.above = above
    }
}

/// `Ring`'s bookkeeping for four lanes (the values live in the kernel's own buffer): the
/// lanes fill together, so position and fill are shared; NaN counts are per lane.
struct LaneRing {
    var head = 0, filled = 0
    var nans = SIMD4<Int64>(repeating: 0)
    let capacity: Int
    init(capacity: Int) { self.capacity = capacity }

    @inline(__always)
    mutating func push(_ x: SIMD4<Double>, _ v: UnsafeMutableBufferPointer<SIMD4<Double>>) {
        nans &+= ones(x .!= x)
        if filled < capacity { v[filled] = x; filled += 1; return }
        let old = v[head]
        v[head] = x
        head += 1
        if head == capacity { head = 0 }
        nans &-= ones(old .!= old)
    }
}

/// `StdevKernel` in four lanes: the same two passes over the window, oldest first.
struct StdevLanes: LaneKernel {
    var window: LaneRing
    var values: [SIMD4<Double>]
    let n: Int
    init(n: Int) { self.n = n; window = LaneRing(capacity: n); values = [SIMD4<Double>](repeating: .zero, count: n) }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let x = inputs[0], out = outputs[0]
        let dn = SIMD4<Double>(repeating: Double(n)), n = self.n
        let nan = SIMD4<Double>(repeating: .nan)
        var w = window
        values.withUnsafeMutableBufferPointer { v in
            for i in 0 ..< count {
                w.push(gather(x, i), v)
                guard w.filled == n else { scatter(nan, out, i); continue }
                var sum = SIMD4<Double>.zero
                for k in w.head ..< n { sum += v[k] }
                for k in 0 ..< w.head { sum += v[k] }
                let mean = sum / dn
                var ss = SIMD4<Double>.zero
                for k in w.head ..< n { let d = v[k] - mean; ss += d * d }
                for k in 0 ..< w.head { let d = v[k] - mean; ss += d * d }
                scatter(pick(w.nans .!= 0, nan, (ss / dn).squareRoot()), out, i)
            }
        }
        window = w
    }
}

/// `EMAKernel` in four lanes. NaN bars are skipped per lane, so each lane keeps its own count
/// of seed values; every lane computes both the seed and the update, and keeps the one its
/// state calls for.
struct EMALanes: LaneKernel {
    let n: Int
    let alpha: Double
    var seen = SIMD4<Int64>(repeating: 0)
    var seedSum = SIMD4<Double>.zero
    var value = SIMD4<Double>(repeating: .nan)
    init(n: Int, alpha: Double) { self.n = n; self.alpha = alpha }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let x = inputs[0], out = outputs[0]
        let n64 = SIMD4<Int64>(repeating: Int64(n)), dn = SIMD4<Double>(repeating: Double(n))
        let alpha = SIMD4<Double>(repeating: self.alpha), nan = SIMD4<Double>(repeating: .nan)
        var seen = self.seen, seedSum = self.seedSum, value = self.value
        for i in 0 ..< count {
            let v = gather(x, i)
            let valid = v .== v
            let seeding = valid .& (seen .< n64)
            let updating = valid .& .!seeding
            seedSum = pick(seeding, seedSum + v, seedSum)
            seen &+= ones(seeding)
            let seeded = seeding .& (seen .== n64)
            value = pick(seeded, seedSum / dn, value)
            value = pick(updating, (v - value) * alpha + value, value)
            scatter(pick(seeded .| updating, value, nan), out, i)
        }
        self.seen = seen; self.seedSum = seedSum; self.value = value
    }
}
