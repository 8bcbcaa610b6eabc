import CKernels
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

/// Four lanes' square roots as two `sqrtpd`s: `SIMD4`'s own is a libm call per lane on Linux
/// (behind a branch for errno). IEEE square roots, so the same bits.
@inline(__always) func squareRoot(_ v: SIMD4<Double>) -> SIMD4<Double> {
    SIMD4(lowHalf: lunar_sqrt2(v.lowHalf), highHalf: lunar_sqrt2(v.highHalf))
}

/// `a` in the lanes where `m` is set, else `b`. Bitwise (and, and-not, or), because
/// `replacing(with:where:)` compiles to a branch per lane here; the lanes keep exactly the
/// chosen values, so results are unchanged.
@inline(__always) func pick(_ m: Mask4, _ a: SIMD4<Double>, _ b: SIMD4<Double>) -> SIMD4<Double> {
    let k = m._storage
    let x = unsafeBitCast(a, to: SIMD4<Int64>.self), y = unsafeBitCast(b, to: SIMD4<Int64>.self)
    return unsafeBitCast((x & k) | (y & ~k), to: SIMD4<Double>.self)
}


/// 1 in the lanes where `m` is set, else 0 (a set lane holds all ones, i.e. −1).
@inline(__always) func ones(_ m: Mask4) -> SIMD4<Int64> { 0 &- m._storage }

/// `SMAKernel` in four lanes. All lanes start at bar 0 together, so the fill count and the
/// ring position are shared; sums and NaN counts are per lane. A NaN adds (or removes) 0
/// instead of being skipped: the sum starts at +0 and x + (−x) rounds to +0, so it is never
/// −0, and adding or subtracting +0 leaves it unchanged — the same bits as skipping.
struct SMALanes: LaneKernel {
    /// n groups of the four lanes' window values, and the sums and counts (`lunar_sma4_run`
    /// runs the loop: see CKernels.h).
    var ring: [SIMD4<Double>]
    var state: lunar_sma4
    init(n: Int) {
        ring = [SIMD4<Double>](repeating: .zero, count: n)
        state = lunar_sma4(n: n, head: 0, filled: 0, nans: (0, 0, 0, 0), sum: (0, 0, 0, 0))
    }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let x = inputs[0], o = outputs[0]
        ring.withUnsafeMutableBytes { r in
            lunar_sma4_run(&state, r.baseAddress!.assumingMemoryBound(to: Double.self), x.p0, x.p1, x.p2, x.p3,
                           o.p0, o.p1, o.p2, o.p3, count)
        }
    }
}

/// `CrossKernel` for four symbols, each along its own bars (its block is contiguous), two
/// bars at a time. The rule: NaN resets both flags and gives NaN; a > b fires when "was below"
/// is set and the previous bar was not above; a < b sets "was below". On a bar after the
/// block's first, "previous not above and was below" is exactly "previous below", unless the
/// previous bar had a == b (then "was below" is older): so a block without equal inputs fires
/// where a > b follows a < b, read from two overlapping loads, and a block with one runs the
/// rule bar by bar. The flags at the block's end come from a scan back to its last a < b or NaN.
/// (In four SIMD lanes the masks went through general registers lane by lane: 87
/// instructions a bar.)
struct CrossLanes: LaneKernel {
    let swapped: Bool
    private var wasBelow: (Bool, Bool, Bool, Bool) = (false, false, false, false)
    private var above: (Bool, Bool, Bool, Bool) = (false, false, false, false)
    init(swapped: Bool) { self.swapped = swapped }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let a = swapped ? inputs[1] : inputs[0], b = swapped ? inputs[0] : inputs[1]
        let out = outputs[0]
        CrossLanes.lane(a.p0, b.p0, out.p0, count, &wasBelow.0, &above.0)
        CrossLanes.lane(a.p1, b.p1, out.p1, count, &wasBelow.1, &above.1)
        CrossLanes.lane(a.p2, b.p2, out.p2, count, &wasBelow.2, &above.2)
        CrossLanes.lane(a.p3, b.p3, out.p3, count, &wasBelow.3, &above.3)
    }

    private typealias D2 = SIMD2<Double>
    private typealias K2 = SIMD2<Int64>

    /// One symbol's block; `wasBelow` and `above` are its flags before the block and after.
    private static func lane(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ o: UnsafeMutablePointer<Double>,
                             _ count: Int, _ wasBelow: inout Bool, _ above: inout Bool) {
        guard count > 0 else { return }
        @inline(__always) func load(_ p: UnsafePointer<Double>, _ i: Int) -> D2 { UnsafeRawPointer(p + i).loadUnaligned(as: D2.self) }
        let x0 = a[0], y0 = b[0]
        var equal = x0 == y0
        o[0] = x0.isNaN || y0.isNaN ? .nan : (x0 > y0 && wasBelow && !above ? 1 : 0)
        let one = K2(repeating: Int64(bitPattern: (1.0).bitPattern)), nan = K2(repeating: Int64(bitPattern: Double.nan.bitPattern))
        var anyEqual = K2.zero
        var i = 1
        while i &+ 2 <= count {
            let x = load(a, i), y = load(b, i), xp = load(a, i &- 1), yp = load(b, i &- 1)
            let valid = ((x .== x) .& (y .== y))._storage
            let fire = (x .> y)._storage & (xp .< yp)._storage
            anyEqual |= (x .== y)._storage
            UnsafeMutableRawPointer(o + i).storeBytes(of: unsafeBitCast((one & fire) | (nan & ~valid), to: D2.self), as: D2.self)
            i &+= 2
        }
        if i < count {
            let x = a[i], y = b[i]
            equal = equal || x == y
            o[i] = x.isNaN || y.isNaN ? .nan : (x > y && a[i - 1] < b[i - 1] ? 1 : 0)
        }
        if equal || anyEqual != .zero {
            // Equal inputs somewhere: the rule bar by bar, from the flags before the block.
            for t in 0 ..< count {
                let x = a[t], y = b[t]
                if x.isNaN || y.isNaN { wasBelow = false; above = false; o[t] = .nan; continue }
                o[t] = x > y && wasBelow && !above ? 1 : 0
                if x < y { wasBelow = true }
                above = x > y
            }
            return
        }
        // "Was below" at the end: set by the last a < b unless a NaN came after it.
        var t = count - 1
        while t >= 0 && !(a[t] < b[t]) && !(a[t].isNaN || b[t].isNaN) { t -= 1 }
        if t >= 0 { wasBelow = a[t] < b[t] }
        above = a[count - 1] > b[count - 1]
    }
}

/// `StdevKernel` in four lanes: the same two passes over the window, oldest first (the
/// registry's sums, term for term). The values live in a linear history — the window's last
/// n − 1 values, then the block's — so that every bar's window is a contiguous run and four
/// bars' windows are summed in one pass: one bar at a time, each pass was a chain of n
/// dependent additions per lane (latency, not arithmetic, set its speed).
struct StdevLanes: LaneKernel {
    let n: Int
    /// The last min(pushed, n) values, oldest first, at the front (the oldest is the one that
    /// leaves the next bar's window); the block goes after.
    private var history: [SIMD4<Double>]
    private var kept = 0
    /// Values pushed so far (the lanes fill together), and the NaNs in each lane's window.
    private var pushed = 0
    private var nans = SIMD4<Int64>(repeating: 0)
    init(n: Int) { self.n = n; history = [] }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let x = inputs[0], out = outputs[0]
        let n = self.n, dn = SIMD4<Double>(repeating: Double(n)), nan = SIMD4<Double>(repeating: .nan)
        if history.count < n + count { history += [SIMD4<Double>](repeating: .zero, count: n + count - history.count) }
        let kept = self.kept, pushed = self.pushed
        var nans = self.nans
        history.withUnsafeMutableBufferPointer { hb in
            let h = hb.baseAddress!
            for i in 0 ..< count { h[kept + i] = gather(x, i) }
            // Bar i is at h[kept + i]; its window, when full, starts at h[kept + i − n + 1].
            var i = 0
            while i < count {
                if i + 4 <= count && pushed + i >= n - 1 {
                    // Four full windows: each bar's NaN count, then both passes for all four.
                    StdevLanes.count(h, kept + i, leaving: pushed + i >= n, n, &nans); let c0 = nans .== 0
                    StdevLanes.count(h, kept + i + 1, leaving: pushed + i + 1 >= n, n, &nans); let c1 = nans .== 0
                    StdevLanes.count(h, kept + i + 2, leaving: pushed + i + 2 >= n, n, &nans); let c2 = nans .== 0
                    StdevLanes.count(h, kept + i + 3, leaving: pushed + i + 3 >= n, n, &nans); let c3 = nans .== 0
                    // Lanes 0–1, then 2–3: four bars' sums of one pair fit the sixteen vector
                    // registers (all four lanes spilled inside the loops).
                    let w = UnsafeRawPointer(h + (kept + i - n + 1))
                    let lo = StdevLanes.windows(w, n, dn2: SIMD2(repeating: Double(n)), byteOffset: 0)
                    let hi = StdevLanes.windows(w, n, dn2: SIMD2(repeating: Double(n)), byteOffset: 16)
                    scatter(pick(c0, SIMD4(lowHalf: lo.0, highHalf: hi.0), nan), out, i)
                    scatter(pick(c1, SIMD4(lowHalf: lo.1, highHalf: hi.1), nan), out, i + 1)
                    scatter(pick(c2, SIMD4(lowHalf: lo.2, highHalf: hi.2), nan), out, i + 2)
                    scatter(pick(c3, SIMD4(lowHalf: lo.3, highHalf: hi.3), nan), out, i + 3)
                    i += 4
                    continue
                }
                StdevLanes.count(h, kept + i, leaving: pushed + i >= n, n, &nans)
                guard pushed + i >= n - 1 else { scatter(nan, out, i); i += 1; continue }
                let w = h + (kept + i - n + 1)
                var sum = SIMD4<Double>.zero
                for j in 0 ..< n { sum += w[j] }
                let mean = sum / dn
                var ss = SIMD4<Double>.zero
                for j in 0 ..< n { let d = w[j] - mean; ss += d * d }
                scatter(pick(nans .== 0, squareRoot(ss / dn), nan), out, i)
                i += 1
            }
            // Keep the last n values (or all there are) at the front for the next block.
            let total = kept + count, keep = min(total, n)
            for k in 0 ..< keep { h[k] = h[total - keep + k] }
        }
        self.kept = min(kept + count, n)
        self.pushed = pushed + count
        self.nans = nans
    }

    /// Two lanes' standard deviations of the four windows that start at `w` + 0…3 values of
    /// four lanes (the pair at `byteOffset` within each): both passes, oldest first.
    @inline(__always)
    private static func windows(_ w: UnsafeRawPointer, _ n: Int, dn2: SIMD2<Double>, byteOffset: Int)
        -> (SIMD2<Double>, SIMD2<Double>, SIMD2<Double>, SIMD2<Double>) {
        typealias D2 = SIMD2<Double>
        @inline(__always) func at(_ j: Int) -> D2 { w.load(fromByteOffset: j &* 32 &+ byteOffset, as: D2.self) }
        var s0 = D2.zero, s1 = D2.zero, s2 = D2.zero, s3 = D2.zero
        for j in 0 ..< n { s0 += at(j); s1 += at(j &+ 1); s2 += at(j &+ 2); s3 += at(j &+ 3) }
        let m0 = s0 / dn2, m1 = s1 / dn2, m2 = s2 / dn2, m3 = s3 / dn2
        var q0 = D2.zero, q1 = D2.zero, q2 = D2.zero, q3 = D2.zero
        for j in 0 ..< n {
            let d0 = at(j) - m0, d1 = at(j &+ 1) - m1, d2 = at(j &+ 2) - m2, d3 = at(j &+ 3) - m3
            q0 += d0 * d0; q1 += d1 * d1; q2 += d2 * d2; q3 += d3 * d3
        }
        return (lunar_sqrt2(q0 / dn2), lunar_sqrt2(q1 / dn2), lunar_sqrt2(q2 / dn2), lunar_sqrt2(q3 / dn2))
    }

    /// The NaN count after the value at `at` comes in and, once the window is full, the one
    /// n places back leaves. (A static function: a nested one would box the count.)
    @inline(__always)
    private static func count(_ h: UnsafeMutablePointer<SIMD4<Double>>, _ at: Int, leaving: Bool, _ n: Int,
                              _ nans: inout SIMD4<Int64>) {
        let v = h[at]
        nans &+= ones(v .!= v)
        if leaving { let old = h[at - n]; nans &-= ones(old .!= old) }
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
        var i = 0
        while i < count && any(seen .< n64) {
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
            i += 1
        }
        // Every lane seeded: a valid value updates its lane, which is then the output (the
        // loop above with `seeding` false everywhere, without its 64-bit compares, which
        // baseline x86-64 has no instruction for).
        while i < count {
            let v = gather(x, i)
            let valid = v .== v
            value = pick(valid, (v - value) * alpha + value, value)
            scatter(pick(valid, value, nan), out, i)
            i += 1
        }
        self.seen = seen; self.seedSum = seedSum; self.value = value
    }
}
