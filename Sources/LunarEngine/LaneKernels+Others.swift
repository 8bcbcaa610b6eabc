import CKernels
import LunarKernels

/// Lane versions of the volatility, volume, average and statistics families (atr, obv,
/// bbands, wma…kama, linreg, correl, beta) and of diff and shift.
///
/// The types are private to this file (only the table is seen from outside), so the family
/// files cannot clash on names.
extension LaneKernels {
    static let others: [String: Maker] = [
        "trange": { _ in TRangeLanes() },
        "atr": { ATRLanes(n: Int($0[0]), natr: false) },
        "natr": { ATRLanes(n: Int($0[0]), natr: true) },
        "rma": { RMALanes(n: Int($0[0])) },
        "bbands": { BBandsLanes(n: Int($0[0]), up: $0[1], down: $0[2]) },
        "obv": { _ in OBVLanes() },
        "ad": { _ in ADLanes(fast: 0, slow: 0) },
        "adosc": { ADLanes(fast: Int($0[0]), slow: Int($0[1])) },
        "wma": { WMALanes(n: Int($0[0])) },
        "dema": { MultiEMALanes(n: Int($0[0]), depth: 2) },
        "tema": { MultiEMALanes(n: Int($0[0]), depth: 3) },
        "trima": { TRIMALanes(n: Int($0[0])) },
        "kama": { KAMALanes(n: Int($0[0])) },
        "linreg": { LinRegLanes(n: Int($0[0])) },
        "correl": { CorrelLanes(n: Int($0[0])) },
        "beta": { BetaLanes(n: Int($0[0])) },
        "variance": { VarianceLanes(n: Int($0[0])) },
        "sum": { SumLanes(n: Int($0[0])) },
        "diff": { DiffShiftLanes(n: Int($0[0]), diff: true) },
        "shift": { DiffShiftLanes(n: Int($0[0]), diff: false) },
    ]
}

// MARK: - helpers

// Four lanes here are two `SIMD2<Double>` halves, and masks the comparisons' 64-bit lanes
// (all ones = true) combined with the integer `& | ~`. x86-64's baseline is SSE2: `SIMD4`'s
// comparisons give a `<4 x i1>` that LLVM packs, unpacks and moves through general registers
// a lane at a time (several times the work of the kernel); two-lane halves stay in the
// registers' own compare-and-mask instructions. The arithmetic is the same IEEE operations,
// lane by lane. Counts are Doubles for the same reason (SSE2 has no 64-bit integer compare);
// they stay far below 2⁵³, so they are exact.

private typealias D2 = SIMD2<Double>
private typealias K2 = SIMD2<Int64>

/// Four lanes of Doubles: lanes 0 and 1 in `lo`, 2 and 3 in `hi`.
private struct V4 {
    var lo, hi: D2
    @inline(__always) init(_ lo: D2, _ hi: D2) { self.lo = lo; self.hi = hi }
    @inline(__always) init(repeating v: Double) { lo = D2(repeating: v); hi = lo }
    @inline(__always) init(_ a: Double, _ b: Double, _ c: Double, _ d: Double) { lo = D2(a, b); hi = D2(c, d) }
    static var zero: V4 { V4(repeating: 0) }
    @inline(__always) subscript(l: Int) -> Double { l < 2 ? lo[l] : hi[l - 2] }
    @inline(__always) static func + (a: V4, b: V4) -> V4 { V4(a.lo + b.lo, a.hi + b.hi) }
    @inline(__always) static func - (a: V4, b: V4) -> V4 { V4(a.lo - b.lo, a.hi - b.hi) }
    @inline(__always) static func * (a: V4, b: V4) -> V4 { V4(a.lo * b.lo, a.hi * b.hi) }
    @inline(__always) static func / (a: V4, b: V4) -> V4 { V4(a.lo / b.lo, a.hi / b.hi) }
    @inline(__always) static func + (a: V4, b: Double) -> V4 { a + V4(repeating: b) }
    @inline(__always) static func += (a: inout V4, b: V4) { a = a + b }
    @inline(__always) static func *= (a: inout V4, b: V4) { a = a * b }
    /// Two `sqrtpd`s (`SIMD2`'s own `squareRoot` is a libm call per lane here): the same bits.
    @inline(__always) func squareRoot() -> V4 { V4(lunar_sqrt2(lo), lunar_sqrt2(hi)) }
}

/// Four lanes of masks (all ones = true), halves as in `V4`.
private struct M4 {
    var lo, hi: K2
    @inline(__always) init(_ lo: K2, _ hi: K2) { self.lo = lo; self.hi = hi }
    @inline(__always) init(repeating v: Int64) { lo = K2(repeating: v); hi = lo }
    @inline(__always) subscript(l: Int) -> Int64 { l < 2 ? lo[l] : hi[l - 2] }
    @inline(__always) static func & (a: M4, b: M4) -> M4 { M4(a.lo & b.lo, a.hi & b.hi) }
    @inline(__always) static func | (a: M4, b: M4) -> M4 { M4(a.lo | b.lo, a.hi | b.hi) }
    @inline(__always) static prefix func ~ (a: M4) -> M4 { M4(~a.lo, ~a.hi) }
    @inline(__always) static func |= (a: inout M4, b: M4) { a = a | b }
}

/// Computed, not stored: a stored global is read through a lazy-initialization check.
private var nan4: V4 { V4(repeating: .nan) }

@inline(__always) private func eq4(_ a: V4, _ b: V4) -> M4 { M4((a.lo .== b.lo)._storage, (a.hi .== b.hi)._storage) }
@inline(__always) private func lt4(_ a: V4, _ b: V4) -> M4 { M4((a.lo .< b.lo)._storage, (a.hi .< b.hi)._storage) }
@inline(__always) private func gt4(_ a: V4, _ b: V4) -> M4 { M4((a.lo .> b.lo)._storage, (a.hi .> b.hi)._storage) }
@inline(__always) private func le4(_ a: V4, _ b: V4) -> M4 { M4((a.lo .<= b.lo)._storage, (a.hi .<= b.hi)._storage) }
@inline(__always) private func ge4(_ a: V4, _ b: V4) -> M4 { M4((a.lo .>= b.lo)._storage, (a.hi .>= b.hi)._storage) }
/// Not NaN.
@inline(__always) private func ok4(_ a: V4) -> M4 { eq4(a, a) }

@inline(__always) private func choose2(_ k: K2, _ a: D2, _ b: D2) -> D2 {
    let x = unsafeBitCast(a, to: K2.self), y = unsafeBitCast(b, to: K2.self)
    return unsafeBitCast((x & k) | (y & ~k), to: D2.self)
}

/// `a` in the lanes where `k` is set, else `b` (bitwise, like `pick`).
@inline(__always) private func choose(_ k: M4, _ a: V4, _ b: V4) -> V4 {
    V4(choose2(k.lo, a.lo, b.lo), choose2(k.hi, a.hi, b.hi))
}

/// `Swift.abs` on a Double clears the sign bit (its `magnitude`); so does this, per lane.
@inline(__always) private func magnitude(_ v: V4) -> V4 {
    let m = K2(repeating: Int64.max)
    return V4(unsafeBitCast(unsafeBitCast(v.lo, to: K2.self) & m, to: D2.self),
              unsafeBitCast(unsafeBitCast(v.hi, to: K2.self) & m, to: D2.self))
}

/// `TA.isZero`: −1e-14 < v < 1e-14.
@inline(__always) private func isZero(_ v: V4) -> M4 { gt4(v, V4(repeating: -1e-14)) & lt4(v, V4(repeating: 1e-14)) }

/// 1 where `k` is set, else 0.
@inline(__always) private func one4(_ k: M4) -> V4 { choose(k, V4(repeating: 1), .zero) }

/// Bar `i` of the four lanes' series.
@inline(__always) private func load4(_ p: Lanes4<UnsafePointer<Double>>, _ i: Int) -> V4 {
    V4(D2(p.p0[i], p.p1[i]), D2(p.p2[i], p.p3[i]))
}

@inline(__always) private func store4(_ v: V4, _ p: Lanes4<UnsafeMutablePointer<Double>>, _ i: Int) {
    p.p0[i] = v.lo[0]; p.p1[i] = v.lo[1]; p.p2[i] = v.hi[0]; p.p3[i] = v.hi[1]
}

/// `Ring`'s slots for four lanes that are pushed every bar: the position and fill are shared
/// (all lanes start together); the values live in the kernel's own buffer, zero-filled, so
/// the value a push overwrites while filling is 0, never NaN.
private struct BarWindow {
    var head = 0, filled = 0
    let capacity: Int
    init(capacity: Int) { self.capacity = capacity }
    var isFull: Bool { filled == capacity }
    /// The slot the next value goes in (the oldest one once full), and moves past it.
    @inline(__always) mutating func next() -> Int {
        if filled < capacity { filled += 1; return filled - 1 }
        let s = head
        head += 1
        if head == capacity { head = 0 }
        return s
    }
}

/// `WindowSum`'s per-lane state, which restarts after a NaN: the number of values since the
/// lane's last NaN (counted up to n − 1) and the sum of the newest n−1 of them. The values
/// live in a ring the caller pushes every bar (a `BarWindow` of capacity n); `oldest` is its
/// oldest value after the push. A lane with n values since its last NaN has its last n bars
/// in the ring, so that oldest value is the one `WindowSum`'s own ring would hold.
private struct RestartingSum {
    var run = V4.zero
    var partial = V4.zero

    /// The sum of the last n values (NaN while the lane has fewer since its last NaN), and the
    /// lanes where it is a sum. `last` is n − 1.
    @inline(__always) mutating func push(_ v: V4, oldest: V4, last: V4) -> (sum: V4, full: M4) {
        let valid = ok4(v)
        let full = valid & ge4(run, last)
        let total = partial + v
        partial = choose(valid, choose(full, total - oldest, total), .zero)
        run = choose(valid, choose(full, run, run + 1), .zero)
        return (choose(full, total, nan4), full)
    }
}

/// `EMAState` and `WilderState` as a step (the lanes of `EMALanes`, ATR's smoothing): NaN
/// skipped, seeded with the mean of the first n values, then the average's own update —
/// `(x − e)·k + e` for an EMA, `(a·(n−1) + x) / n` for Wilder's.
private struct SeededLaneStep {
    var seen = V4.zero
    var seedSum = V4.zero
    var value = nan4

    @inline(__always) mutating func push(_ v: V4, dn: V4, update: (_ value: V4, _ x: V4) -> V4) -> V4 {
        let valid = ok4(v)
        let seeding = valid & lt4(seen, dn)
        let updating = valid & ~seeding
        seedSum = choose(seeding, seedSum + v, seedSum)
        seen = choose(seeding, seen + 1, seen)
        let seeded = seeding & eq4(seen, dn)
        value = choose(seeded, seedSum / dn, value)
        value = choose(updating, update(value, v), value)
        return choose(seeded | updating, value, nan4)
    }

    /// The EMA step.
    @inline(__always) mutating func push(_ v: V4, dn: V4, alpha: V4) -> V4 {
        push(v, dn: dn) { e, x in (x - e) * alpha + e }
    }

    /// Wilder's step.
    @inline(__always) mutating func push(_ v: V4, dn: V4, dn1: V4) -> V4 {
        push(v, dn: dn) { a, x in (a * dn1 + x) / dn }
    }

    /// Every lane has its seed: from here on `push` only updates.
    @inline(__always) func isSeeded(_ dn: V4) -> Bool {
        let m = eq4(seen, dn)
        return m.lo[0] & m.lo[1] & m.hi[0] & m.hi[1] != 0
    }

    /// `push` once `isSeeded`: seeding is never taken, so a valid value updates.
    @inline(__always) mutating func steadyPush(_ v: V4, dn: V4, dn1: V4) -> V4 {
        let valid = ok4(v)
        value = choose(valid, (value * dn1 + v) / dn, value)
        return choose(valid, value, nan4)
    }
}

// MARK: - volatility

/// `TA.trueRange`: h − l, replaced by |h − pc| and then |l − pc| where strictly larger.
@inline(__always) private func trueRange(_ h: V4, _ l: V4, _ pc: V4) -> V4 {
    let r = h - l
    let a = magnitude(h - pc)
    let ra = choose(gt4(a, r), a, r)
    let b = magnitude(l - pc)
    return choose(gt4(b, ra), b, ra)
}

/// `ATRKernel` in `.trange` mode: a bar with any NaN is skipped (the previous close stays);
/// NaN until a lane has had a previous close.
private struct TRangeLanes: LaneKernel {
    var prevClose = nan4

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let hs = inputs[0], ls = inputs[1], cs = inputs[2], out = outputs[0]
        var pc = prevClose
        for i in 0 ..< count {
            let h = load4(hs, i), l = load4(ls, i), c = load4(cs, i)
            let valid = ok4(h) & ok4(l) & ok4(c)
            store4(choose(valid & ok4(pc), trueRange(h, l, pc), nan4), out, i)
            pc = choose(valid, c, pc)
        }
        prevClose = pc
    }
}

/// `ATRKernel` in `.atr` and `.natr` modes: the true range of each bar after a lane's first,
/// through Wilder's average; a bar with any NaN is skipped. natr is 100·atr/c, 0 where
/// `TA.isZero(c)`.
private struct ATRLanes: LaneKernel {
    let n: Int
    let natr: Bool
    var prevClose = nan4
    var wilder = SeededLaneStep()
    init(n: Int, natr: Bool) { self.n = n; self.natr = natr }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let hs = inputs[0], ls = inputs[1], cs = inputs[2], out = outputs[0]
        let dn = V4(repeating: Double(n)), dn1 = V4(repeating: Double(n - 1)), hundred = V4(repeating: 100)
        let natr = self.natr
        var pc = prevClose, w = wilder
        @inline(__always) func emit(_ a: V4, _ c: V4, _ i: Int) {
            if natr {
                store4(choose(ok4(a), choose(isZero(c), .zero, (a / c) * hundred), nan4), out, i)
            } else {
                store4(a, out, i)
            }
        }
        var i = 0
        while i < count && !w.isSeeded(dn) {
            let h = load4(hs, i), l = load4(ls, i), c = load4(cs, i)
            let valid = ok4(h) & ok4(l) & ok4(c)
            // The Wilder step skips NaN: a skipped bar or a lane's first bar gives it NaN.
            emit(w.push(choose(valid & ok4(pc), trueRange(h, l, pc), nan4), dn: dn, dn1: dn1), c, i)
            pc = choose(valid, c, pc)
            i += 1
        }
        // Every lane seeded, so every lane has a previous close.
        while i < count {
            let h = load4(hs, i), l = load4(ls, i), c = load4(cs, i)
            let valid = ok4(h) & ok4(l) & ok4(c)
            emit(w.steadyPush(choose(valid, trueRange(h, l, pc), nan4), dn: dn, dn1: dn1), c, i)
            pc = choose(valid, c, pc)
            i += 1
        }
        prevClose = pc; wilder = w
    }
}

/// `RMAKernel`: `WilderState` over x.
private struct RMALanes: LaneKernel {
    let n: Int
    var wilder = SeededLaneStep()
    init(n: Int) { self.n = n }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let x = inputs[0], out = outputs[0]
        let dn = V4(repeating: Double(n)), dn1 = V4(repeating: Double(n - 1))
        var w = wilder
        var i = 0
        while i < count && !w.isSeeded(dn) { store4(w.push(load4(x, i), dn: dn, dn1: dn1), out, i); i += 1 }
        while i < count { store4(w.steadyPush(load4(x, i), dn: dn, dn1: dn1), out, i); i += 1 }
        wilder = w
    }
}

/// `BBandsKernel`: the middle is `WindowSum`'s running sum / n (restarted after a NaN, so not
/// `SMALanes`' sum), σ two passes over the last n values oldest first (as `StdevLanes`, but
/// around that middle). One ring serves both: it holds the last n values of every lane.
///
/// Once the ring is full, bars go two at a time: the σ sums of bar t and bar t+1 run in one
/// pass over bar t+1's window (bar t's is the value that left it, then all but the newest),
/// two independent add chains instead of one, each in its own bar's order.
private struct BBandsLanes: LaneKernel {
    var window: BarWindow
    var values: [V4]
    var sum = RestartingSum()
    let n: Int
    let up, down: Double
    init(n: Int, up: Double, down: Double) {
        self.n = n; self.up = up; self.down = down
        window = BarWindow(capacity: n); values = [V4](repeating: .zero, count: n)
    }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let x = inputs[0], o0 = outputs[0], o1 = outputs[1], o2 = outputs[2]
        let n = self.n, dn = V4(repeating: Double(n)), last = V4(repeating: Double(n - 1))
        let up = V4(repeating: self.up), down = V4(repeating: self.down)
        var w = window, s = sum
        values.withUnsafeMutableBufferPointer { r in
            @inline(__always) func bands(_ mid: V4, _ ss: V4, _ full: M4, _ i: Int) {
                let sd = (ss / dn).squareRoot()
                store4(choose(full, mid + up * sd, nan4), o0, i)
                store4(choose(full, mid, nan4), o1, i)
                store4(choose(full, mid - down * sd, nan4), o2, i)
            }
            var i = 0
            while i < count && !w.isFull {
                let v = load4(x, i)
                r[w.next()] = v
                let (total, full) = s.push(v, oldest: r[w.head], last: last)
                if w.isFull {
                    let mid = total / dn
                    var ss = V4.zero
                    for k in 0 ..< n { let d = r[k] - mid; ss += d * d }   // head is 0 on the filling push
                    bands(mid, ss, full, i)
                } else {
                    store4(nan4, o0, i); store4(nan4, o1, i); store4(nan4, o2, i)
                }
                i += 1
            }
            while i + 1 < count {
                let va = load4(x, i)
                r[w.next()] = va
                let first = r[w.head]                           // bar t's oldest, overwritten next
                let (ta, fa) = s.push(va, oldest: first, last: last)
                let vb = load4(x, i + 1)
                r[w.next()] = vb
                let (tb, fb) = s.push(vb, oldest: r[w.head], last: last)
                let ma = ta / dn, mb = tb / dn
                let d0 = first - ma
                var sa = V4.zero + d0 * d0, sb = V4.zero
                // Bar t+1's window oldest first; bar t takes all but its newest value.
                let h = w.head
                if h == 0 {
                    for k in 0 ..< n - 1 { let y = r[k], da = y - ma, db = y - mb; sa += da * da; sb += db * db }
                    let db = r[n - 1] - mb; sb += db * db
                } else {
                    for k in h ..< n { let y = r[k], da = y - ma, db = y - mb; sa += da * da; sb += db * db }
                    for k in 0 ..< h - 1 { let y = r[k], da = y - ma, db = y - mb; sa += da * da; sb += db * db }
                    let db = r[h - 1] - mb; sb += db * db
                }
                bands(ma, sa, fa, i)
                bands(mb, sb, fb, i + 1)
                i += 2
            }
            if i < count {
                let v = load4(x, i)
                r[w.next()] = v
                let (total, full) = s.push(v, oldest: r[w.head], last: last)
                let mid = total / dn
                var ss = V4.zero
                for k in w.head ..< n { let d = r[k] - mid; ss += d * d }
                for k in 0 ..< w.head { let d = r[k] - mid; ss += d * d }
                bands(mid, ss, full, i)
            }
        }
        window = w; sum = s
    }
}

// MARK: - volume

/// `OBVKernel`: a bar with a NaN is skipped; a lane's first bar starts at its volume, then
/// ± volume by the strict comparison with the previous close.
private struct OBVLanes: LaneKernel {
    var started = M4(repeating: 0)
    var obv = V4.zero, prev = V4.zero

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let cs = inputs[0], vs = inputs[1], out = outputs[0]
        var started = self.started, obv = self.obv, prev = self.prev
        for i in 0 ..< count {
            let c = load4(cs, i), v = load4(vs, i)
            let valid = ok4(c) & ok4(v)
            let moved = choose(gt4(c, prev), obv + v, choose(lt4(c, prev), obv - v, obv))
            obv = choose(valid, choose(started, moved, v), obv)
            prev = choose(valid, c, prev)
            started |= valid
            store4(choose(valid, obv, nan4), out, i)
        }
        self.started = started; self.obv = obv; self.prev = prev
    }
}

/// `ADKernel`: AD adds ((c − l) − (h − c))/(h − l)·v where h − l > 0; a bar with a NaN is
/// skipped. ADOSC (fast > 0) runs `k·ad + (1 − k)·e` from e = the lane's first AD value.
private struct ADLanes: LaneKernel {
    var ad = V4.zero
    var seen = V4.zero
    var fastE = V4.zero, slowE = V4.zero
    let oscillator: Bool
    let kFast, kSlow: Double
    let lookback: Int
    init(fast: Int, slow: Int) {
        oscillator = fast > 0
        kFast = 2 / (Double(fast) + 1); kSlow = 2 / (Double(slow) + 1)
        lookback = max(fast, slow) - 1
    }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let hs = inputs[0], ls = inputs[1], cs = inputs[2], vs = inputs[3], out = outputs[0]
        let kF = V4(repeating: kFast), kS = V4(repeating: kSlow)
        let kF1 = V4(repeating: 1 - kFast), kS1 = V4(repeating: 1 - kSlow)
        let lookback = V4(repeating: Double(self.lookback))
        var ad = self.ad, seen = self.seen, fastE = self.fastE, slowE = self.slowE
        for i in 0 ..< count {
            let h = load4(hs, i), l = load4(ls, i), c = load4(cs, i), v = load4(vs, i)
            let valid = ok4(h) & ok4(l) & ok4(c) & ok4(v)
            let range = h - l
            ad = choose(valid & gt4(range, .zero), ad + (((c - l) - (h - c)) / range) * v, ad)
            guard oscillator else { store4(choose(valid, ad, nan4), out, i); continue }
            let first = eq4(seen, .zero)
            fastE = choose(valid, choose(first, ad, kF * ad + kF1 * fastE), fastE)
            slowE = choose(valid, choose(first, ad, kS * ad + kS1 * slowE), slowE)
            store4(choose(valid & ge4(seen, lookback), fastE - slowE, nan4), out, i)
            seen = choose(valid, seen + 1, seen)
        }
        self.ad = ad; self.seen = seen; self.fastE = fastE; self.slowE = slowE
    }
}

// MARK: - averages

/// `WMAState`: TA-Lib's two running sums, restarted per lane after a NaN. The trailing value
/// is the oldest of the last n, read from a ring every lane is pushed into each bar.
private struct WMALanes: LaneKernel {
    var window: BarWindow
    var values: [V4]
    var run = V4.zero                                   // values since the lane's last NaN, at most n
    var periodSum = V4.zero, periodSub = V4.zero, trailing = V4.zero
    let n: Int
    let divider: Double
    init(n: Int) {
        self.n = n; divider = Double(n * (n + 1)) / 2
        window = BarWindow(capacity: n); values = [V4](repeating: .zero, count: n)
    }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let x = inputs[0], out = outputs[0]
        let dn = V4(repeating: Double(n)), last = V4(repeating: Double(n - 1))
        let divider = V4(repeating: self.divider)
        var w = window, run = self.run, periodSum = self.periodSum, periodSub = self.periodSub, trailing = self.trailing
        values.withUnsafeMutableBufferPointer { r in
            for i in 0 ..< count {
                let v = load4(x, i)
                r[w.next()] = v
                let valid = ok4(v)
                let full = valid & ge4(run, last)
                let filled = choose(full, dn, run + 1)          // the scalar ring's fill after the push
                // Filling: periodSub += v; periodSum += v·filled.
                let sub = periodSub + v
                let fillSum = periodSum + v * filled
                // Full: periodSub += v − trailing; periodSum += v·n, read, then −= periodSub.
                let fullSub = sub - trailing
                let fullSum = periodSum + v * dn
                let avg = fullSum / divider
                periodSub = choose(valid, choose(full, fullSub, sub), .zero)
                periodSum = choose(valid, choose(full, fullSum - fullSub, fillSum), .zero)
                trailing = choose(full, r[w.head], choose(valid, trailing, .zero))
                run = choose(valid, filled, .zero)
                store4(choose(full, avg, nan4), out, i)
            }
        }
        window = w; self.run = run; self.periodSum = periodSum; self.periodSub = periodSub; self.trailing = trailing
    }
}

/// `MultiEMAKernel`: chained `EMAState`s; a NaN from one stage is skipped by the next, so the
/// stages are `SeededLaneStep`s fed each other's outputs. dema = 2·e1 − e2, tema = 3·e1 − 3·e2 + e3.
private struct MultiEMALanes: LaneKernel {
    var e1 = SeededLaneStep(), e2 = SeededLaneStep(), e3 = SeededLaneStep()
    let n: Int
    let depth: Int
    init(n: Int, depth: Int) { self.n = n; self.depth = depth }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let x = inputs[0], out = outputs[0]
        let dn = V4(repeating: Double(n)), alpha = V4(repeating: 2 / (Double(n) + 1))
        let two = V4(repeating: 2), three = V4(repeating: 3)
        var e1 = self.e1, e2 = self.e2, e3 = self.e3
        if depth == 2 {
            for i in 0 ..< count {
                let a = e1.push(load4(x, i), dn: dn, alpha: alpha)
                let b = e2.push(a, dn: dn, alpha: alpha)
                store4(choose(ok4(b), two * a - b, nan4), out, i)
            }
        } else {
            for i in 0 ..< count {
                let a = e1.push(load4(x, i), dn: dn, alpha: alpha)
                let b = e2.push(a, dn: dn, alpha: alpha)
                let c = e3.push(b, dn: dn, alpha: alpha)
                store4(choose(ok4(c), three * a - three * b + c, nan4), out, i)
            }
        }
        self.e1 = e1; self.e2 = e2; self.e3 = e3
    }
}

/// `TRIMAKernel`: an `SMAState` (`WindowSum` / n) of an `SMAState`; the inner one's NaN
/// restarts the outer one, as in the scalar chain.
private struct TRIMALanes: LaneKernel {
    var innerWindow, outerWindow: BarWindow
    var innerValues, outerValues: [V4]
    var inner = RestartingSum(), outer = RestartingSum()
    let m1, m2: Int
    init(n: Int) {
        (m1, m2) = n % 2 == 1 ? ((n + 1) / 2, (n + 1) / 2) : (n / 2, n / 2 + 1)
        innerWindow = BarWindow(capacity: m1); outerWindow = BarWindow(capacity: m2)
        innerValues = [V4](repeating: .zero, count: m1); outerValues = [V4](repeating: .zero, count: m2)
    }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let x = inputs[0], out = outputs[0]
        let d1 = V4(repeating: Double(m1)), d2 = V4(repeating: Double(m2))
        let last1 = V4(repeating: Double(m1 - 1)), last2 = V4(repeating: Double(m2 - 1))
        var wi = innerWindow, wo = outerWindow, si = inner, so = outer
        innerValues.withUnsafeMutableBufferPointer { ri in
            outerValues.withUnsafeMutableBufferPointer { ro in
                for i in 0 ..< count {
                    let v = load4(x, i)
                    ri[wi.next()] = v
                    let a = si.push(v, oldest: ri[wi.head], last: last1).sum / d1
                    ro[wo.next()] = a
                    store4(so.push(a, oldest: ro[wo.head], last: last2).sum / d2, out, i)
                }
            }
        }
        innerWindow = wi; outerWindow = wo; inner = si; outer = so
    }
}

/// `KAMAKernel`. NaN bars are skipped, so each lane's ring of past values moves at its own
/// pace: every lane has its own position in a ring of n+3 slots (one more than the scalar's
/// n+2, so the slot a skipped bar writes junk into is never one that is read).
private struct KAMALanes: LaneKernel {
    let n: Int
    var ring: [Double]                                  // slot s of lane l at 4·s + l
    var p0 = 0, p1 = 0, p2 = 0, p3 = 0                 // each lane's next slot
    var seen = V4.zero
    var sumROC = V4.zero
    var kama = V4.zero
    init(n: Int) { self.n = n; ring = [Double](repeating: 0, count: 4 * (n + 3)) }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let x = inputs[0], out = outputs[0]
        let n = self.n, cap = n + 3
        let dn = V4(repeating: Double(n)), dnm1 = V4(repeating: Double(n - 1))
        let fast = 2.0 / 3, slow = 2.0 / 31
        let span = V4(repeating: fast - slow), slow4 = V4(repeating: slow), one = V4(repeating: 1)
        var p0 = self.p0, p1 = self.p1, p2 = self.p2, p3 = self.p3
        var seen = self.seen, sumROC = self.sumROC, kama = self.kama
        ring.withUnsafeMutableBufferPointer { r in
            let d = r.baseAddress!
            /// Lane l's value k pushes before its newest (its position p is past the newest).
            @inline(__always) func at(_ p: Int, _ k: Int, _ l: Int) -> Double {
                var s = p - 1 - k
                if s < 0 { s += cap }
                return d[s &* 4 &+ l]
            }
            @inline(__always) func back(_ k: Int) -> V4 { V4(at(p0, k, 0), at(p1, k, 1), at(p2, k, 2), at(p3, k, 3)) }
            @inline(__always) func advance(_ p: inout Int, _ valid: Int64) {
                p &+= Int(valid & 1)
                if p == cap { p = 0 }
            }
            for i in 0 ..< count {
                let v = load4(x, i)
                let valid = ok4(v)
                d[p0 &* 4] = v[0]; d[p1 &* 4 &+ 1] = v[1]; d[p2 &* 4 &+ 2] = v[2]; d[p3 &* 4 &+ 3] = v[3]
                advance(&p0, valid[0]); advance(&p1, valid[1]); advance(&p2, valid[2]); advance(&p3, valid[3])
                let c = seen
                seen = choose(valid, seen + 1, seen)
                let b1 = back(1), bn = back(n), bn1 = back(n + 1)
                sumROC = choose(valid & gt4(c, dn), sumROC - magnitude(bn1 - bn), sumROC)
                sumROC = choose(valid & gt4(c, .zero), sumROC + magnitude(v - b1), sumROC)
                kama = choose(valid & gt4(c, .zero) & eq4(c, dnm1), v, kama)
                let updating = valid & ge4(c, dn)
                let change = v - bn
                let er = choose(le4(sumROC, change) | isZero(sumROC), one, magnitude(change / sumROC))
                var sc = er * span + slow4
                sc *= sc
                kama = choose(updating, (v - kama) * sc + kama, kama)
                store4(choose(updating, kama, nan4), out, i)
            }
        }
        self.p0 = p0; self.p1 = p1; self.p2 = p2; self.p3 = p3
        self.seen = seen; self.sumROC = sumROC; self.kama = kama
    }
}

// MARK: - statistics

/// `LinRegKernel`: per clean window, Σy and Σ(bars ago)·y oldest first.
private struct LinRegLanes: LaneKernel {
    var window: BarWindow
    var nans = V4.zero                                  // NaN values in the window
    var values: [V4]
    let n: Int
    let sumX, divisor: Double
    init(n: Int) {
        self.n = n; window = BarWindow(capacity: n); values = [V4](repeating: .zero, count: n)
        let dn = Double(n)
        sumX = dn * (dn - 1) * 0.5
        let sumXSqr = dn * (dn - 1) * (2 * dn - 1) / 6
        divisor = sumX * sumX - dn * sumXSqr
    }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let x = inputs[0], o0 = outputs[0], o1 = outputs[1], o2 = outputs[2]
        let n = self.n, dn = V4(repeating: Double(n)), dn1 = V4(repeating: Double(n) - 1)
        let sumX = V4(repeating: self.sumX), divisor = V4(repeating: self.divisor)
        var w = window, nans = self.nans
        values.withUnsafeMutableBufferPointer { r in
            for i in 0 ..< count {
                let v = load4(x, i)
                let s = w.next()
                nans = nans + one4(~ok4(v)) - one4(~ok4(r[s]))
                r[s] = v
                guard w.isFull else { store4(nan4, o0, i); store4(nan4, o1, i); store4(nan4, o2, i); continue }
                var sumXY = V4.zero, sumY = V4.zero
                var ago = n - 1                                 // the oldest value is n−1 bars ago
                for k in w.head ..< n { let y = r[k]; sumY += y; sumXY += V4(repeating: Double(ago)) * y; ago -= 1 }
                for k in 0 ..< w.head { let y = r[k]; sumY += y; sumXY += V4(repeating: Double(ago)) * y; ago -= 1 }
                let m = (dn * sumXY - sumX * sumY) / divisor
                let b = (sumY - m * sumX) / dn
                let clean = eq4(nans, .zero)
                store4(choose(clean, b + m * dn1, nan4), o0, i)
                store4(choose(clean, m, nan4), o1, i)
                store4(choose(clean, b, nan4), o2, i)
            }
        }
        window = w; self.nans = nans
    }
}

/// `CorrelKernel`: a NaN in either series puts the pair out of the window; per clean window,
/// the means, then the centred sums, oldest first.
private struct CorrelLanes: LaneKernel {
    var window: BarWindow
    var nans = V4.zero                                  // NaN pairs in the window
    var xs, ys: [V4]
    let n: Int
    init(n: Int) {
        self.n = n; window = BarWindow(capacity: n)
        xs = [V4](repeating: .zero, count: n); ys = [V4](repeating: .zero, count: n)
    }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let ai = inputs[0], bi = inputs[1], out = outputs[0]
        let n = self.n, dn = V4(repeating: Double(n))
        var w = window, nans = self.nans
        xs.withUnsafeMutableBufferPointer { rx in
            ys.withUnsafeMutableBufferPointer { ry in
                for i in 0 ..< count {
                    let a = load4(ai, i), b = load4(bi, i)
                    let good = ok4(a) & ok4(b)
                    // Both rings hold NaN at the same bars, so one count serves both.
                    let s = w.next()
                    nans = nans + one4(~good) - one4(~ok4(rx[s]))
                    rx[s] = choose(good, a, nan4); ry[s] = choose(good, b, nan4)
                    guard w.isFull else { store4(nan4, out, i); continue }
                    var sx = V4.zero, sy = V4.zero
                    for k in w.head ..< n { sx += rx[k] }
                    for k in 0 ..< w.head { sx += rx[k] }
                    for k in w.head ..< n { sy += ry[k] }
                    for k in 0 ..< w.head { sy += ry[k] }
                    let mx = sx / dn, my = sy / dn
                    var sxx = V4.zero, syy = V4.zero, sxy = V4.zero
                    for k in w.head ..< n {
                        let dx = rx[k] - mx, dy = ry[k] - my
                        sxx += dx * dx; syy += dy * dy; sxy += dx * dy
                    }
                    for k in 0 ..< w.head {
                        let dx = rx[k] - mx, dy = ry[k] - my
                        sxx += dx * dx; syy += dy * dy; sxy += dx * dy
                    }
                    let d = sxx * syy
                    store4(choose(eq4(nans, .zero), choose(isZero(d), .zero, sxy / d.squareRoot()), nan4), out, i)
                }
            }
        }
        window = w; self.nans = nans
    }
}

/// `BetaKernel`: one-bar returns (0 where the previous price `TA.isZero`) in four running
/// sums, restarted per lane after a NaN. The returns go into a ring every bar (junk on a
/// lane's skipped bars); a lane with n returns since its restart has them as the last n.
private struct BetaLanes: LaneKernel {
    var window: BarWindow
    var rx, ry: [V4]
    var lastX = nan4, lastY = nan4
    var run = V4.zero                                   // returns since the lane's restart, up to n − 1
    var sx = V4.zero, sy = V4.zero, sxx = V4.zero, sxy = V4.zero
    let n: Int
    init(n: Int) {
        self.n = n; window = BarWindow(capacity: n)
        rx = [V4](repeating: .zero, count: n); ry = [V4](repeating: .zero, count: n)
    }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let ai = inputs[0], bi = inputs[1], out = outputs[0]
        let dn = V4(repeating: Double(n)), last = V4(repeating: Double(n - 1))
        var w = window, lastX = self.lastX, lastY = self.lastY, run = self.run
        var sx = self.sx, sy = self.sy, sxx = self.sxx, sxy = self.sxy
        rx.withUnsafeMutableBufferPointer { rx in
            ry.withUnsafeMutableBufferPointer { ry in
                for i in 0 ..< count {
                    let px = load4(ai, i), py = load4(bi, i)
                    let valid = ok4(px) & ok4(py)
                    let pushing = valid & ok4(lastX)
                    let x = choose(isZero(lastX), .zero, (px - lastX) / lastX)
                    let y = choose(isZero(lastY), .zero, (py - lastY) / lastY)
                    let s = w.next()
                    rx[s] = x; ry[s] = y
                    let sxx1 = sxx + x * x, sx1 = sx + x, sxy1 = sxy + x * y, sy1 = sy + y
                    let full = pushing & ge4(run, last)
                    let d = dn * sxx1 - sx1 * sx1
                    store4(choose(full, choose(isZero(d), .zero, (dn * sxy1 - sx1 * sy1) / d), nan4), out, i)
                    let ox = rx[w.head], oy = ry[w.head]
                    sxx = choose(pushing, choose(full, sxx1 - ox * ox, sxx1), choose(valid, sxx, .zero))
                    sx = choose(pushing, choose(full, sx1 - ox, sx1), choose(valid, sx, .zero))
                    sxy = choose(pushing, choose(full, sxy1 - ox * oy, sxy1), choose(valid, sxy, .zero))
                    sy = choose(pushing, choose(full, sy1 - oy, sy1), choose(valid, sy, .zero))
                    run = choose(pushing, choose(full, run, run + 1), choose(valid, run, .zero))
                    lastX = choose(valid, px, nan4); lastY = choose(valid, py, nan4)
                }
            }
        }
        window = w; self.lastX = lastX; self.lastY = lastY; self.run = run
        self.sx = sx; self.sy = sy; self.sxx = sxx; self.sxy = sxy
    }
}

/// `VarianceKernel`: two `WindowSum`s, of x and of x²; they restart together (x² is NaN
/// exactly when x is), and the oldest square is the oldest value squared again.
private struct VarianceLanes: LaneKernel {
    var window: BarWindow
    var values: [V4]
    var sum = RestartingSum(), sumSq = RestartingSum()
    let n: Int
    init(n: Int) { self.n = n; window = BarWindow(capacity: n); values = [V4](repeating: .zero, count: n) }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let x = inputs[0], out = outputs[0]
        let dn = V4(repeating: Double(n)), last = V4(repeating: Double(n - 1))
        var w = window, s1 = sum, s2 = sumSq
        values.withUnsafeMutableBufferPointer { r in
            for i in 0 ..< count {
                let v = load4(x, i)
                r[w.next()] = v
                let old = r[w.head]
                let s = s1.push(v, oldest: old, last: last).sum
                let ss = s2.push(v * v, oldest: old * old, last: last).sum
                let mean = s / dn
                store4(ss / dn - mean * mean, out, i)
            }
        }
        window = w; sum = s1; sumSq = s2
    }
}

/// `SumKernel`: `WindowSum`.
private struct SumLanes: LaneKernel {
    var window: BarWindow
    var values: [V4]
    var sum = RestartingSum()
    let n: Int
    init(n: Int) { self.n = n; window = BarWindow(capacity: n); values = [V4](repeating: .zero, count: n) }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let x = inputs[0], out = outputs[0]
        let last = V4(repeating: Double(n - 1))
        var w = window, s = sum
        values.withUnsafeMutableBufferPointer { r in
            for i in 0 ..< count {
                let v = load4(x, i)
                r[w.next()] = v
                store4(s.push(v, oldest: r[w.head], last: last).sum, out, i)
            }
        }
        window = w; sum = s
    }
}

// MARK: - transforms

/// `LagKernel` in `.mom` mode (diff: x − x[t−k], NaN where either is) and `ShiftKernel`
/// (x[t−k]; k = 0 copies): a ring of the last k bars, NaN while it fills.
private struct DiffShiftLanes: LaneKernel {
    var ring: [V4]
    var head = 0, filled = 0
    let n: Int
    let diff: Bool
    init(n: Int, diff: Bool) { self.n = n; self.diff = diff; ring = [V4](repeating: .zero, count: max(n, 1)) }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let x = inputs[0], out = outputs[0]
        let n = self.n
        if n == 0 { for i in 0 ..< count { store4(load4(x, i), out, i) }; return }
        var head = self.head, filled = self.filled
        let diff = self.diff
        ring.withUnsafeMutableBufferPointer { r in
            var i = 0
            while i < count && filled < n {
                r[filled] = load4(x, i); filled += 1
                store4(nan4, out, i)
                i += 1
            }
            if diff {
                while i < count {
                    let v = load4(x, i), old = r[head]
                    r[head] = v
                    head += 1
                    if head == n { head = 0 }
                    store4(choose(ok4(v) & ok4(old), v - old, nan4), out, i)
                    i += 1
                }
            } else {
                while i < count {
                    let v = load4(x, i)
                    store4(r[head], out, i)
                    r[head] = v
                    head += 1
                    if head == n { head = 0 }
                    i += 1
                }
            }
        }
        self.head = head; self.filled = filled
    }
}
