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

private typealias V4 = SIMD4<Double>
private let nan4 = V4(repeating: .nan)

/// `Swift.abs` on a Double clears the sign bit (its `magnitude`); so does this, per lane.
@inline(__always) private func magnitude(_ v: V4) -> V4 {
    unsafeBitCast(unsafeBitCast(v, to: SIMD4<UInt64>.self) & SIMD4(repeating: 0x7FFF_FFFF_FFFF_FFFF), to: V4.self)
}

/// `TA.isZero`: −1e-14 < v < 1e-14.
@inline(__always) private func isZero(_ v: V4) -> Mask4 { (v .> V4(repeating: -1e-14)) .& (v .< V4(repeating: 1e-14)) }

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
/// lane's last NaN (counted up to n − 1) and the sum of the newest n−1 of them. The values live in a
/// ring the caller pushes every bar (a `BarWindow` of capacity n); `oldest` is its oldest value
/// after the push. A lane with n values since its last NaN has its last n bars in the ring,
/// so that oldest value is the one `WindowSum`'s own ring would hold.
private struct RestartingSum {
    var run = V4.zero
    var partial = V4.zero

    /// The sum of the last n values (NaN while the lane has fewer since its last NaN), and the
    /// lanes where it is a sum. `last` is n − 1.
    @inline(__always) mutating func push(_ v: V4, oldest: V4, last: V4) -> (sum: V4, full: Mask4) {
        let valid = v .== v
        let full = valid .& (run .>= last)
        let total = partial + v
        partial = pick(valid, pick(full, total - oldest, total), .zero)
        run = pick(valid, pick(full, run, run + 1), .zero)
        return (pick(full, total, nan4), full)
    }
}

/// `EMAState` as a step (the same lanes as `EMALanes`): NaN skipped, seeded with the mean of
/// the first n values, then `(x − e)·k + e`.
private struct EMAChainStep {
    var seen = SIMD4<Int64>(repeating: 0)
    var seedSum = V4.zero
    var value = nan4

    @inline(__always) mutating func push(_ v: V4, n: SIMD4<Int64>, dn: V4, alpha: V4) -> V4 {
        let valid = v .== v
        let seeding = valid .& (seen .< n)
        let updating = valid .& .!seeding
        seedSum = pick(seeding, seedSum + v, seedSum)
        seen &+= ones(seeding)
        let seeded = seeding .& (seen .== n)
        value = pick(seeded, seedSum / dn, value)
        value = pick(updating, (v - value) * alpha + value, value)
        return pick(seeded .| updating, value, nan4)
    }
}

/// `WilderState` as a step: NaN skipped, seeded with the mean of the first n values, then
/// `(a·(n−1) + x) / n`.
private struct WilderLaneStep {
    var seen = SIMD4<Int64>(repeating: 0)
    var seedSum = V4.zero
    var value = nan4

    @inline(__always) mutating func push(_ v: V4, n: SIMD4<Int64>, dn: V4, dn1: V4) -> V4 {
        let valid = v .== v
        let seeding = valid .& (seen .< n)
        let updating = valid .& .!seeding
        seedSum = pick(seeding, seedSum + v, seedSum)
        seen &+= ones(seeding)
        let seeded = seeding .& (seen .== n)
        value = pick(seeded, seedSum / dn, value)
        value = pick(updating, (value * dn1 + v) / dn, value)
        return pick(seeded .| updating, value, nan4)
    }
}

// MARK: - volatility

/// `TA.trueRange`: h − l, replaced by |h − pc| and then |l − pc| where strictly larger.
@inline(__always) private func trueRange(_ h: V4, _ l: V4, _ pc: V4) -> V4 {
    var r = h - l
    let a = magnitude(h - pc)
    r = pick(a .> r, a, r)
    let b = magnitude(l - pc)
    return pick(b .> r, b, r)
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
            let h = gather(hs, i), l = gather(ls, i), c = gather(cs, i)
            let valid = (h .== h) .& (l .== l) .& (c .== c)
            let tr = trueRange(h, l, pc)
            scatter(pick(valid .& (pc .== pc), tr, nan4), out, i)
            pc = pick(valid, c, pc)
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
    var wilder = WilderLaneStep()
    init(n: Int, natr: Bool) { self.n = n; self.natr = natr }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let hs = inputs[0], ls = inputs[1], cs = inputs[2], out = outputs[0]
        let n64 = SIMD4<Int64>(repeating: Int64(n)), dn = V4(repeating: Double(n)), dn1 = V4(repeating: Double(n - 1))
        let hundred = V4(repeating: 100)
        var pc = prevClose, w = wilder
        for i in 0 ..< count {
            let h = gather(hs, i), l = gather(ls, i), c = gather(cs, i)
            let valid = (h .== h) .& (l .== l) .& (c .== c)
            // The Wilder step skips NaN: a skipped bar or a lane's first bar gives it NaN.
            let tr = pick(valid .& (pc .== pc), trueRange(h, l, pc), nan4)
            let a = w.push(tr, n: n64, dn: dn, dn1: dn1)
            pc = pick(valid, c, pc)
            if natr {
                scatter(pick(a .!= a, nan4, pick(isZero(c), .zero, (a / c) * hundred)), out, i)
            } else {
                scatter(a, out, i)
            }
        }
        prevClose = pc; wilder = w
    }
}

/// `RMAKernel`: `WilderState` over x.
private struct RMALanes: LaneKernel {
    let n: Int
    var wilder = WilderLaneStep()
    init(n: Int) { self.n = n }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let x = inputs[0], out = outputs[0]
        let n64 = SIMD4<Int64>(repeating: Int64(n)), dn = V4(repeating: Double(n)), dn1 = V4(repeating: Double(n - 1))
        var w = wilder
        for i in 0 ..< count { scatter(w.push(gather(x, i), n: n64, dn: dn, dn1: dn1), out, i) }
        wilder = w
    }
}

/// `BBandsKernel`: the middle is `WindowSum`'s running sum / n (restarted after a NaN, so not
/// `SMALanes`' sum), σ two passes over the last n values oldest first (as `StdevLanes`, but
/// around that middle). One ring serves both: it holds the last n values of every lane.
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
            for i in 0 ..< count {
                let v = gather(x, i)
                r[w.next()] = v
                let (total, full) = s.push(v, oldest: r[w.head], last: last)
                guard w.isFull else { scatter(nan4, o0, i); scatter(nan4, o1, i); scatter(nan4, o2, i); continue }
                let mid = total / dn
                var ss = V4.zero
                for k in w.head ..< n { let d = r[k] - mid; ss += d * d }
                for k in 0 ..< w.head { let d = r[k] - mid; ss += d * d }
                let sd = (ss / dn).squareRoot()
                scatter(pick(full, mid + up * sd, nan4), o0, i)
                scatter(pick(full, mid, nan4), o1, i)
                scatter(pick(full, mid - down * sd, nan4), o2, i)
            }
        }
        window = w; sum = s
    }
}

// MARK: - volume

/// `OBVKernel`: a bar with a NaN is skipped; a lane's first bar starts at its volume, then
/// ± volume by the strict comparison with the previous close.
private struct OBVLanes: LaneKernel {
    var started = Mask4(repeating: false)
    var obv = V4.zero, prev = V4.zero

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let cs = inputs[0], vs = inputs[1], out = outputs[0]
        var started = self.started, obv = self.obv, prev = self.prev
        for i in 0 ..< count {
            let c = gather(cs, i), v = gather(vs, i)
            let valid = (c .== c) .& (v .== v)
            let moved = pick(c .> prev, obv + v, pick(c .< prev, obv - v, obv))
            obv = pick(valid, pick(started, moved, v), obv)
            prev = pick(valid, c, prev)
            started = started .| valid
            scatter(pick(valid, obv, nan4), out, i)
        }
        self.started = started; self.obv = obv; self.prev = prev
    }
}

/// `ADKernel`: AD adds ((c − l) − (h − c))/(h − l)·v where h − l > 0; a bar with a NaN is
/// skipped. ADOSC (fast > 0) runs `k·ad + (1 − k)·e` from e = the lane's first AD value.
private struct ADLanes: LaneKernel {
    var ad = V4.zero
    var seen = SIMD4<Int64>(repeating: 0)
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
        let lookback = SIMD4<Int64>(repeating: Int64(self.lookback)), zero64 = SIMD4<Int64>(repeating: 0)
        var ad = self.ad, seen = self.seen, fastE = self.fastE, slowE = self.slowE
        for i in 0 ..< count {
            let h = gather(hs, i), l = gather(ls, i), c = gather(cs, i), v = gather(vs, i)
            let valid = (h .== h) .& (l .== l) .& (c .== c) .& (v .== v)
            let range = h - l
            ad = pick(valid .& (range .> .zero), ad + (((c - l) - (h - c)) / range) * v, ad)
            guard oscillator else { scatter(pick(valid, ad, nan4), out, i); continue }
            let first = seen .== zero64
            fastE = pick(valid, pick(first, ad, kF * ad + kF1 * fastE), fastE)
            slowE = pick(valid, pick(first, ad, kS * ad + kS1 * slowE), slowE)
            scatter(pick(valid .& (seen .>= lookback), fastE - slowE, nan4), out, i)
            seen &+= ones(valid)
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
        let dn = V4(repeating: Double(n)), last = V4(repeating: Double(n - 1)), one = V4(repeating: 1)
        let divider = V4(repeating: self.divider)
        var w = window, run = self.run, periodSum = self.periodSum, periodSub = self.periodSub, trailing = self.trailing
        values.withUnsafeMutableBufferPointer { r in
            for i in 0 ..< count {
                let v = gather(x, i)
                r[w.next()] = v
                let valid = v .== v
                let full = valid .& (run .>= last)
                let filled = pick(full, dn, run + one)          // the scalar ring's fill after the push
                // Filling: periodSub += v; periodSum += v·filled.
                let sub = periodSub + v
                let fillSum = periodSum + v * filled
                // Full: periodSub += v − trailing; periodSum += v·n, read, then −= periodSub.
                let fullSub = sub - trailing
                let fullSum = periodSum + v * dn
                let avg = fullSum / divider
                periodSub = pick(valid, pick(full, fullSub, sub), .zero)
                periodSum = pick(valid, pick(full, fullSum - fullSub, fillSum), .zero)
                trailing = pick(full, r[w.head], pick(valid, trailing, .zero))
                run = pick(valid, filled, .zero)
                scatter(pick(full, avg, nan4), out, i)
            }
        }
        window = w; self.run = run; self.periodSum = periodSum; self.periodSub = periodSub; self.trailing = trailing
    }
}

/// `MultiEMAKernel`: chained `EMAState`s; a NaN from one stage is skipped by the next, so the
/// stages are `EMAChainStep`s fed each other's outputs. dema = 2·e1 − e2, tema = 3·e1 − 3·e2 + e3.
private struct MultiEMALanes: LaneKernel {
    var e1 = EMAChainStep(), e2 = EMAChainStep(), e3 = EMAChainStep()
    let n: Int
    let depth: Int
    init(n: Int, depth: Int) { self.n = n; self.depth = depth }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let x = inputs[0], out = outputs[0]
        let n64 = SIMD4<Int64>(repeating: Int64(n)), dn = V4(repeating: Double(n))
        let alpha = V4(repeating: 2 / (Double(n) + 1))
        let two = V4(repeating: 2), three = V4(repeating: 3)
        var e1 = self.e1, e2 = self.e2, e3 = self.e3
        if depth == 2 {
            for i in 0 ..< count {
                let a = e1.push(gather(x, i), n: n64, dn: dn, alpha: alpha)
                let b = e2.push(a, n: n64, dn: dn, alpha: alpha)
                scatter(pick(b .!= b, nan4, two * a - b), out, i)
            }
        } else {
            for i in 0 ..< count {
                let a = e1.push(gather(x, i), n: n64, dn: dn, alpha: alpha)
                let b = e2.push(a, n: n64, dn: dn, alpha: alpha)
                let c = e3.push(b, n: n64, dn: dn, alpha: alpha)
                scatter(pick(c .!= c, nan4, three * a - three * b + c), out, i)
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
                    let v = gather(x, i)
                    ri[wi.next()] = v
                    let a = si.push(v, oldest: ri[wi.head], last: last1).sum / d1
                    ro[wo.next()] = a
                    scatter(so.push(a, oldest: ro[wo.head], last: last2).sum / d2, out, i)
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
    var ring: [V4]
    var pos = SIMD4<Int64>(repeating: 0)                // each lane's next slot
    var seen = SIMD4<Int64>(repeating: 0)
    var sumROC = V4.zero
    var kama = V4.zero
    init(n: Int) { self.n = n; ring = [V4](repeating: .zero, count: n + 3) }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let x = inputs[0], out = outputs[0]
        let cap = SIMD4<Int64>(repeating: Int64(n + 3)), zero64 = SIMD4<Int64>(repeating: 0)
        let n64 = SIMD4<Int64>(repeating: Int64(n)), nm1 = SIMD4<Int64>(repeating: Int64(n - 1))
        let fast = 2.0 / 3, slow = 2.0 / 31
        let span = V4(repeating: fast - slow), slow4 = V4(repeating: slow), one = V4(repeating: 1)
        var pos = self.pos, seen = self.seen, sumROC = self.sumROC, kama = self.kama
        ring.withUnsafeMutableBufferPointer { r in
            let d = UnsafeMutableRawPointer(r.baseAddress!).assumingMemoryBound(to: Double.self)
            @inline(__always) func back(_ k: Int64) -> V4 {   // k values before the newest (pos is past it)
                var s = pos &- (k + 1)
                s = pick(s .< zero64, s &+ cap, s)
                return V4(d[Int(s[0]) &* 4], d[Int(s[1]) &* 4 &+ 1], d[Int(s[2]) &* 4 &+ 2], d[Int(s[3]) &* 4 &+ 3])
            }
            for i in 0 ..< count {
                let v = gather(x, i)
                let valid = v .== v
                d[Int(pos[0]) &* 4] = v[0]; d[Int(pos[1]) &* 4 &+ 1] = v[1]
                d[Int(pos[2]) &* 4 &+ 2] = v[2]; d[Int(pos[3]) &* 4 &+ 3] = v[3]
                let advanced = pos &+ 1
                pos = pick(valid, pick(advanced .== cap, zero64, advanced), pos)
                let c = seen
                seen &+= ones(valid)
                let b1 = back(1), bn = back(Int64(n)), bn1 = back(Int64(n + 1))
                sumROC = pick(valid .& (c .> n64), sumROC - magnitude(bn1 - bn), sumROC)
                sumROC = pick(valid .& (c .> zero64), sumROC + magnitude(v - b1), sumROC)
                kama = pick(valid .& (c .> zero64) .& (c .== nm1), v, kama)
                let updating = valid .& (c .>= n64)
                let change = v - bn
                let er = pick((sumROC .<= change) .| isZero(sumROC), one, magnitude(change / sumROC))
                var sc = er * span + slow4
                sc *= sc
                kama = pick(updating, (v - kama) * sc + kama, kama)
                scatter(pick(updating, kama, nan4), out, i)
            }
        }
        self.pos = pos; self.seen = seen; self.sumROC = sumROC; self.kama = kama
    }
}

// MARK: - statistics

/// `LinRegKernel`: per clean window, Σy and Σ(bars ago)·y oldest first.
private struct LinRegLanes: LaneKernel {
    var window: LaneRing
    var values: [V4]
    let n: Int
    let sumX, divisor: Double
    init(n: Int) {
        self.n = n; window = LaneRing(capacity: n); values = [V4](repeating: .zero, count: n)
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
        var w = window
        values.withUnsafeMutableBufferPointer { r in
            for i in 0 ..< count {
                w.push(gather(x, i), r)
                guard w.filled == n else { scatter(nan4, o0, i); scatter(nan4, o1, i); scatter(nan4, o2, i); continue }
                var sumXY = V4.zero, sumY = V4.zero
                var ago = n - 1                                 // the oldest value is n−1 bars ago
                for k in w.head ..< n { let y = r[k]; sumY += y; sumXY += V4(repeating: Double(ago)) * y; ago -= 1 }
                for k in 0 ..< w.head { let y = r[k]; sumY += y; sumXY += V4(repeating: Double(ago)) * y; ago -= 1 }
                let m = (dn * sumXY - sumX * sumY) / divisor
                let b = (sumY - m * sumX) / dn
                let clean = w.nans .== 0
                scatter(pick(clean, b + m * dn1, nan4), o0, i)
                scatter(pick(clean, m, nan4), o1, i)
                scatter(pick(clean, b, nan4), o2, i)
            }
        }
        window = w
    }
}

/// `CorrelKernel`: a NaN in either series puts the pair out of the window; per clean window,
/// the means, then the centred sums, oldest first.
private struct CorrelLanes: LaneKernel {
    var window: BarWindow
    var nans = SIMD4<Int64>(repeating: 0)
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
                    let a = gather(ai, i), b = gather(bi, i)
                    let bad = (a .!= a) .| (b .!= b)
                    // Both rings hold NaN at the same bars, so one count serves both.
                    let s = w.next()
                    let old = rx[s]
                    nans &+= ones(bad)
                    nans &-= ones(old .!= old)
                    rx[s] = pick(bad, nan4, a); ry[s] = pick(bad, nan4, b)
                    guard w.isFull else { scatter(nan4, out, i); continue }
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
                    scatter(pick(nans .!= 0, nan4, pick(isZero(d), .zero, sxy / d.squareRoot())), out, i)
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
    var run = V4.zero                                   // returns since the lane's restart, at most n
    var sx = V4.zero, sy = V4.zero, sxx = V4.zero, sxy = V4.zero
    let n: Int
    init(n: Int) {
        self.n = n; window = BarWindow(capacity: n)
        rx = [V4](repeating: .zero, count: n); ry = [V4](repeating: .zero, count: n)
    }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let ai = inputs[0], bi = inputs[1], out = outputs[0]
        let dn = V4(repeating: Double(n)), last = V4(repeating: Double(n - 1)), one = V4(repeating: 1)
        var w = window, lastX = self.lastX, lastY = self.lastY, run = self.run
        var sx = self.sx, sy = self.sy, sxx = self.sxx, sxy = self.sxy
        rx.withUnsafeMutableBufferPointer { rx in
            ry.withUnsafeMutableBufferPointer { ry in
                for i in 0 ..< count {
                    let px = gather(ai, i), py = gather(bi, i)
                    let valid = (px .== px) .& (py .== py)
                    let pushing = valid .& (lastX .== lastX)
                    let x = pick(isZero(lastX), .zero, (px - lastX) / lastX)
                    let y = pick(isZero(lastY), .zero, (py - lastY) / lastY)
                    let s = w.next()
                    rx[s] = x; ry[s] = y
                    let sxx1 = sxx + x * x, sx1 = sx + x, sxy1 = sxy + x * y, sy1 = sy + y
                    let full = pushing .& (run .>= last)
                    let d = dn * sxx1 - sx1 * sx1
                    scatter(pick(full, pick(isZero(d), .zero, (dn * sxy1 - sx1 * sy1) / d), nan4), out, i)
                    let ox = rx[w.head], oy = ry[w.head]
                    sxx = pick(pushing, pick(full, sxx1 - ox * ox, sxx1), pick(valid, sxx, .zero))
                    sx = pick(pushing, pick(full, sx1 - ox, sx1), pick(valid, sx, .zero))
                    sxy = pick(pushing, pick(full, sxy1 - ox * oy, sxy1), pick(valid, sxy, .zero))
                    sy = pick(pushing, pick(full, sy1 - oy, sy1), pick(valid, sy, .zero))
                    run = pick(pushing, pick(full, run, run + one), pick(valid, run, .zero))
                    lastX = pick(valid, px, nan4); lastY = pick(valid, py, nan4)
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
                let v = gather(x, i)
                r[w.next()] = v
                let old = r[w.head]
                let s = s1.push(v, oldest: old, last: last).sum
                let ss = s2.push(v * v, oldest: old * old, last: last).sum
                let mean = s / dn
                scatter(ss / dn - mean * mean, out, i)
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
                let v = gather(x, i)
                r[w.next()] = v
                scatter(s.push(v, oldest: r[w.head], last: last).sum, out, i)
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
        if n == 0 { for i in 0 ..< count { scatter(gather(x, i), out, i) }; return }
        var head = self.head, filled = self.filled
        let diff = self.diff
        ring.withUnsafeMutableBufferPointer { r in
            var i = 0
            while i < count && filled < n {
                r[filled] = gather(x, i); filled += 1
                scatter(nan4, out, i)
                i += 1
            }
            if diff {
                while i < count {
                    let v = gather(x, i), old = r[head]
                    r[head] = v
                    head += 1
                    if head == n { head = 0 }
                    scatter(pick((v .== v) .& (old .== old), v - old, nan4), out, i)
                    i += 1
                }
            } else {
                while i < count {
                    let v = gather(x, i)
                    scatter(r[head], out, i)
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
