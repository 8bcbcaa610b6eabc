/// Lane versions of the momentum family (rsi, stoch, cci, willr, mfi, roc/mom, macd, adx…).
///
/// Each struct performs, per lane, the registry kernel's floating-point operations in the same
/// order (Momentum.swift, Trend.swift, Volume.swift, KernelSupport.swift); where the registry
/// kernel branches on the data, every lane computes both sides and keeps its own with `pick`.
///
/// These kernels branch on the data a lot, so they run on masks a lot, and they hold their
/// four lanes as two `SIMD2<Double>` halves, each with its own state, stepped side by side in
/// one loop: on the portable x86-64 target (SSE2) a `SIMD4<Double>` comparison yields a mask
/// LLVM packs into 32-bit lanes and unpacks again for every use, which cost more than the
/// arithmetic; a `SIMD2<Double>` mask is one register. Counts are Doubles too (exact far
/// beyond any bar count): SSE2 compares doubles in one instruction, 64-bit integers in five.
extension LaneKernels {
    static let momentum: [String: Maker] = [
        "rsi": { RSILanes(n: Int($0[0]), cmo: false) },
        "cmo": { RSILanes(n: Int($0[0]), cmo: true) },
        "macd": { p in MACDLanes(fast: Int(min(p[0], p[1])), slow: Int(max(p[0], p[1])), signal: Int(p[2])) },
        "stoch": { p in StochLanes(fastk: Int(p[0]), smooth: [Int(p[1]), Int(p[2])]) },
        "stochf": { p in StochLanes(fastk: Int(p[0]), smooth: [Int(p[1])]) },
        "stochrsi": { p in StochRSILanes(n: Int(p[0]), fastk: Int(p[1]), fastd: Int(p[2])) },
        "cci": { CCILanes(n: Int($0[0])) },
        "willr": { WillRLanes(n: Int($0[0])) },
        "highest": { RollingExtremeLanes(n: Int($0[0]), highest: true) },
        "lowest": { RollingExtremeLanes(n: Int($0[0]), highest: false) },
        "mom": { LagLanes(n: Int($0[0]), mode: .mom) },
        "roc": { LagLanes(n: Int($0[0]), mode: .roc) },
        "rocp": { LagLanes(n: Int($0[0]), mode: .rocp) },
        "mfi": { MFILanes(n: Int($0[0])) },
        "adx": { DMLanes(n: Int($0[0]), mode: .adx) },
        "dx": { DMLanes(n: Int($0[0]), mode: .dx) },
        "plus_di": { DMLanes(n: Int($0[0]), mode: .plusDI) },
        "minus_di": { DMLanes(n: Int($0[0]), mode: .minusDI) },
        "plus_dm": { DMLanes(n: Int($0[0]), mode: .plusDM) },
        "minus_dm": { DMLanes(n: Int($0[0]), mode: .minusDM) },
    ]
}

// MARK: - Helpers (this file only)

fileprivate typealias V2 = SIMD2<Double>
fileprivate typealias M2 = SIMDMask<SIMD2<Int64>>

/// `a` in the lanes where `m` is set, else `b` (bitwise, as `pick` for four lanes).
@inline(__always) fileprivate func pick(_ m: M2, _ a: V2, _ b: V2) -> V2 {
    let k = m._storage
    let x = unsafeBitCast(a, to: SIMD2<Int64>.self), y = unsafeBitCast(b, to: SIMD2<Int64>.self)
    return unsafeBitCast((x & k) | (y & ~k), to: V2.self)
}

/// 1 in the lanes where `m` is set, else 0.
@inline(__always) fileprivate func count1(_ m: M2) -> V2 {
    unsafeBitCast(m._storage & SIMD2(repeating: Int64(bitPattern: (1.0).bitPattern)), to: V2.self)
}

/// NaN in both lanes (a function, not a global: a global's lazy initialization would be
/// checked inside the loops).
@inline(__always) fileprivate var nan2: V2 { V2(repeating: .nan) }

/// `TA.isZero` per lane: |v| < 1e-14 (NaN is not zero).
@inline(__always) fileprivate func isZero2(_ v: V2) -> M2 {
    (v .> V2(repeating: -1e-14)) .& (v .< V2(repeating: 1e-14))
}

/// `Swift.abs` per lane: the sign bit cleared, NaN included.
@inline(__always) fileprivate func abs2(_ v: V2) -> V2 {
    unsafeBitCast(unsafeBitCast(v, to: SIMD2<Int64>.self) & SIMD2(repeating: Int64.max), to: V2.self)
}

@inline(__always) fileprivate func isNumber(_ v: V2) -> M2 { v .== v }

/// The next ring position per lane: j + 1, back to 0 at n.
@inline(__always) fileprivate func advance(_ j: V2, _ n: V2) -> V2 {
    let k = j + 1
    return pick(k .== n, .zero, k)
}

/// Lanes 0–1 and 2–3 of an input at bar i.
@inline(__always) fileprivate func gatherLo(_ p: Lanes4<UnsafePointer<Double>>, _ i: Int) -> V2 { V2(p.p0[i], p.p1[i]) }
@inline(__always) fileprivate func gatherHi(_ p: Lanes4<UnsafePointer<Double>>, _ i: Int) -> V2 { V2(p.p2[i], p.p3[i]) }

@inline(__always) fileprivate func scatter(_ lo: V2, _ hi: V2, _ p: Lanes4<UnsafeMutablePointer<Double>>, _ i: Int) {
    p.p0[i] = lo[0]; p.p1[i] = lo[1]; p.p2[i] = hi[0]; p.p3[i] = hi[1]
}

/// A kernel's window slots: `slots` SIMD2s that live as long as the kernel, read and written
/// as raw memory through byte offsets (no bounds or exclusivity checks in the hot loops; a
/// lane may store its own Double into a slot, for the rings whose position differs per lane).
fileprivate final class MomentumSlots {
    let raw: UnsafeMutableRawPointer
    init(slots: Int) {
        let count = max(1, slots) * 2
        raw = .allocate(byteCount: count * 8, alignment: 64)
        raw.initializeMemory(as: Double.self, repeating: 0, count: count)
    }
    deinit { raw.deallocate() }
}

fileprivate typealias Raw = UnsafeMutableRawPointer

@inline(__always) fileprivate func load2(_ r: Raw, _ slot: Int) -> V2 { r.load(fromByteOffset: slot &* 16, as: V2.self) }
@inline(__always) fileprivate func store2(_ r: Raw, _ slot: Int, _ v: V2) { r.storeBytes(of: v, toByteOffset: slot &* 16, as: V2.self) }

/// Lane l of slot j[l], for both lanes: a ring whose position differs per lane.
@inline(__always) fileprivate func loadLanes(_ r: Raw, _ base: Int, _ j: V2) -> V2 {
    V2(r.load(fromByteOffset: (base &+ Int(j[0])) &* 16, as: Double.self),
       r.load(fromByteOffset: (base &+ Int(j[1])) &* 16 &+ 8, as: Double.self))
}

@inline(__always) fileprivate func storeLanes(_ r: Raw, _ base: Int, _ j: V2, _ v: V2) {
    r.storeBytes(of: v[0], toByteOffset: (base &+ Int(j[0])) &* 16, as: Double.self)
    r.storeBytes(of: v[1], toByteOffset: (base &+ Int(j[1])) &* 16 &+ 8, as: Double.self)
}

/// `RSIState` for two lanes (rsi, cmo, stochrsi): every lane computes the seed step and the
/// Wilder step and keeps the one its own count of valid bars calls for.
fileprivate struct RSIHalf {
    let dn, dn1: V2
    var seen = V2.zero
    var prev = V2.zero, gain = V2.zero, loss = V2.zero
    init(n: Int) { dn = V2(repeating: Double(n)); dn1 = V2(repeating: Double(n) - 1) }

    /// Whether both lanes are past the seed: every valid bar is then a Wilder step.
    var warmed: Bool { all(seen .> dn) }

    /// `push` once `warmed`: the same operations on the lanes it updates.
    @inline(__always) mutating func steady(_ v: V2, cmo: Bool) -> V2 {
        let valid = isNumber(v)
        let d = v - prev
        prev = pick(valid, v, prev)
        var g = gain * dn1, l = loss * dn1
        let down = d .< .zero
        l = pick(down, l - d, l); g = pick(down, g, g + d)
        gain = pick(valid, g / dn, gain); loss = pick(valid, l / dn, loss)
        let sum = gain + loss
        let r = cmo ? 100 * ((gain - loss) / sum) : 100 * (gain / sum)
        return pick(valid, pick(isZero2(sum), .zero, r), nan2)
    }

    @inline(__always) mutating func push(_ v: V2, cmo: Bool) -> V2 {
        let valid = isNumber(v)
        let c = seen
        seen += count1(valid)
        let d = v - prev
        prev = pick(valid, v, prev)
        let moving = valid .& (c .> .zero)             // c == 0: only prev moves
        let wilder = c .> dn
        var g = pick(wilder, gain * dn1, gain), l = pick(wilder, loss * dn1, loss)
        let down = d .< .zero
        l = pick(down, l - d, l); g = pick(down, g, g + d)
        let averaged = c .>= dn                        // c == n: the seed means; c > n: Wilder
        g = pick(averaged, g / dn, g); l = pick(averaged, l / dn, l)
        gain = pick(moving, g, gain); loss = pick(moving, l, loss)
        let sum = gain + loss
        let r = cmo ? 100 * ((gain - loss) / sum) : 100 * (gain / sum)
        return pick(moving .& averaged, pick(isZero2(sum), .zero, r), nan2)
    }
}

/// `WindowSum` (TA-Lib's SMA sum) for two lanes. It restarts after a NaN, so each lane counts
/// its values since its last NaN; the values sit in one ring by bar (shared position), whose
/// oldest slot is a lane's oldest value once that lane has n of them.
fileprivate struct WindowSumHalf {
    let n: Int
    let base: Int                                      // first slot in the kernel's storage
    var pos = 0
    var since = V2.zero
    var partial = V2.zero
    init(n: Int, base: Int) { self.n = n; self.base = base }

    /// The sum of each lane's last n values, NaN while fewer than n followed its last NaN.
    @inline(__always) mutating func push(_ v: V2, _ r: Raw) -> V2 {
        store2(r, base &+ pos, v)
        pos += 1
        if pos == n { pos = 0 }
        let oldest = load2(r, base &+ pos)             // the bar n−1 back (v itself when n = 1)
        let valid = isNumber(v)
        since = pick(valid, since + 1, .zero)
        let full = since .>= V2(repeating: Double(n))
        let total = partial + v
        partial = pick(valid, pick(full, total - oldest, total), .zero)
        return pick(full, total, nan2)
    }
}

/// `ExtremeWindow` for two lanes: the largest (smallest) of the last n values, NaN unless all
/// n are numbers, in O(1) per bar (van Herk / Gil–Werman): bars fall in blocks of n; the
/// window is a suffix of the previous block (its suffix extremes, computed once the block is
/// complete) and a prefix of the current one (a running extreme). The deque keeps the latest
/// of equal values (it pops them), so every step here prefers the later value on a tie: the
/// same value, to the bit (+0 and −0 compare equal). The caller tracks NaN: a window with a
/// NaN gives some value here, which the caller replaces with NaN (`BarsSinceNaN`).
fileprivate struct ExtremeHalf {
    let values, suffix: Int                            // n slots each, in the kernel's storage
    var prefix = V2.zero
    init(base: Int, n: Int) { values = base; suffix = base + n }

    /// Pushes bar t's values; `pos` is t mod n, shared by every window of the kernel. The
    /// extreme of the last n values once t ≥ n − 1 and none of them is NaN.
    @inline(__always)
    mutating func push(_ v: V2, highest: Bool, t: Int, pos: Int, n: Int, _ r: Raw) -> V2 {
        store2(r, values &+ pos, v)
        if pos == 0 { prefix = v } else { prefix = pick(highest ? v .>= prefix : v .<= prefix, v, prefix) }
        var best = prefix
        if pos == n - 1 {
            // The window is the block; its suffix extremes serve the next block.
            var s = v
            store2(r, suffix &+ pos, s)
            var j = n - 2
            while j >= 0 {
                let x = load2(r, values &+ j)
                s = pick(highest ? x .> s : x .< s, x, s)
                store2(r, suffix &+ j, s)
                j -= 1
            }
        } else if t >= n {
            let s = load2(r, suffix &+ (pos + 1))
            best = pick(highest ? prefix .>= s : prefix .<= s, prefix, s)
        }
        return best
    }
}

/// `ExtremeWindow`'s NaN rule for two lanes: its extreme is NaN until n bars have followed
/// the last NaN. stoch and willr give NaN where either extreme is, so one count serves both
/// windows: bars since the last bar with the high or the low NaN.
fileprivate struct BarsSinceNaN {
    var count = V2.zero
    /// Whether the last n bars (this one included) are all numbers.
    @inline(__always) mutating func push(_ h: V2, _ l: V2, dn: V2) -> M2 {
        count = pick(isNumber(h) .& isNumber(l), count + 1, .zero)
        return count .>= dn
    }
}

/// `stochasticK` per lane: 0 where the range / 100 counts as zero.
@inline(__always) fileprivate func stochasticK(_ c: V2, _ hh: V2, _ ll: V2) -> V2 {
    let diff = (hh - ll) / 100
    return pick(isZero2(diff), .zero, (c - ll) / diff)
}

// MARK: - Kernels

/// `RSIKernel` (rsi, cmo) in four lanes.
struct RSILanes: LaneKernel {
    fileprivate var lo, hi: RSIHalf
    let cmo: Bool
    init(n: Int, cmo: Bool) { lo = RSIHalf(n: n); hi = RSIHalf(n: n); self.cmo = cmo }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        var lo = self.lo, hi = self.hi
        if cmo { Self.loop(&lo, &hi, inputs[0], outputs[0], count, cmo: true) } else { Self.loop(&lo, &hi, inputs[0], outputs[0], count, cmo: false) }
        self.lo = lo; self.hi = hi
    }

    // A static function of inout locals rather than a nested one: a nested function that
    // captures mutable locals boxes them and checks each access.
    @inline(__always) private static func loop(_ lo: inout RSIHalf, _ hi: inout RSIHalf, _ x: Lanes4<UnsafePointer<Double>>,
                                               _ out: Lanes4<UnsafeMutablePointer<Double>>, _ count: Int, cmo: Bool) {
        var i = 0
        while i < count && !(lo.warmed && hi.warmed) {
            scatter(lo.push(gatherLo(x, i), cmo: cmo), hi.push(gatherHi(x, i), cmo: cmo), out, i); i += 1
        }
        while i < count { scatter(lo.steady(gatherLo(x, i), cmo: cmo), hi.steady(gatherHi(x, i), cmo: cmo), out, i); i += 1 }
    }
}

/// `MACDKernel` for two lanes: per-lane counts of valid bars drive the slow/fast seeds (both
/// ready at the lane's bar slow−1) and the signal EMA's own seed (`EMAState`).
fileprivate struct MACDHalf {
    var seen = V2.zero
    var fastSum = V2.zero, slowSum = V2.zero
    var fastE = V2.zero, slowE = V2.zero
    var sSeen = V2.zero
    var sSum = V2.zero, sValue = V2(repeating: .nan)

    struct Constants {
        let slow, slowLast, fastFrom, signal: V2       // counts
        let dSlow, dFast, dSignal: V2                  // divisors
        let kFast, kSlow, kSignal: V2
    }

    /// Whether both lanes are past both seeds: every valid bar then updates both EMAs and the
    /// signal, and the counts no longer matter (`steady`).
    func warmed(_ k: Constants) -> Bool { all((seen .>= k.slow) .& (sSeen .>= k.signal)) }

    /// `push` once `warmed`: the same operations on the lanes it updates.
    @inline(__always) mutating func steady(_ v: V2, _ k: Constants) -> (V2, V2, V2) {
        let valid = isNumber(v)
        fastE = pick(valid, (v - fastE) * k.kFast + fastE, fastE)
        slowE = pick(valid, (v - slowE) * k.kSlow + slowE, slowE)
        let m = fastE - slowE
        let sIn = valid .& isNumber(m)
        sValue = pick(sIn, (m - sValue) * k.kSignal + sValue, sValue)
        let s = pick(sIn, sValue, nan2)
        let ok = isNumber(s)
        return (pick(ok, m, nan2), pick(ok, s, nan2), pick(ok, m - s, nan2))
    }

    @inline(__always) mutating func push(_ v: V2, _ k: Constants) -> (V2, V2, V2) {
        let valid = isNumber(v)
        let c = seen
        seen += count1(valid)
        let seeding = valid .& (c .< k.slow)
        slowSum = pick(seeding, slowSum + v, slowSum)
        fastSum = pick(seeding .& (c .>= k.fastFrom), fastSum + v, fastSum)
        let seeded = valid .& (c .== k.slowLast)
        slowE = pick(seeded, slowSum / k.dSlow, slowE); fastE = pick(seeded, fastSum / k.dFast, fastE)
        let updating = valid .& (c .>= k.slow)
        fastE = pick(updating, (v - fastE) * k.kFast + fastE, fastE)
        slowE = pick(updating, (v - slowE) * k.kSlow + slowE, slowE)
        let m = fastE - slowE
        // signal.push(m): EMAState, skipping NaN.
        let sIn = (seeded .| updating) .& isNumber(m)
        let sSeeding = sIn .& (sSeen .< k.signal)
        sSum = pick(sSeeding, sSum + m, sSum)
        sSeen += count1(sSeeding)
        let sSeeded = sSeeding .& (sSeen .== k.signal)
        sValue = pick(sSeeded, sSum / k.dSignal, sValue)
        let sUpdating = sIn .& .!sSeeding
        sValue = pick(sUpdating, (m - sValue) * k.kSignal + sValue, sValue)
        let s = pick(sSeeded .| sUpdating, sValue, nan2)
        let ok = isNumber(s)
        return (pick(ok, m, nan2), pick(ok, s, nan2), pick(ok, m - s, nan2))
    }
}

/// `MACDKernel` in four lanes.
struct MACDLanes: LaneKernel {
    let fast, slow, signal: Int
    let kFast, kSlow, kSignal: Double
    fileprivate var lo = MACDHalf(), hi = MACDHalf()
    init(fast: Int, slow: Int, signal: Int) {
        self.fast = fast; self.slow = slow; self.signal = signal
        kFast = 2 / (Double(fast) + 1); kSlow = 2 / (Double(slow) + 1); kSignal = 2 / (Double(signal) + 1)
    }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let x = inputs[0], outM = outputs[0], outS = outputs[1], outH = outputs[2]
        let k = MACDHalf.Constants(
            slow: V2(repeating: Double(slow)), slowLast: V2(repeating: Double(slow - 1)),
            fastFrom: V2(repeating: Double(slow - fast)), signal: V2(repeating: Double(signal)),
            dSlow: V2(repeating: Double(slow)), dFast: V2(repeating: Double(fast)), dSignal: V2(repeating: Double(signal)),
            kFast: V2(repeating: kFast), kSlow: V2(repeating: kSlow), kSignal: V2(repeating: kSignal))
        var lo = self.lo, hi = self.hi, i = 0
        while i < count && !(lo.warmed(k) && hi.warmed(k)) {
            let a = lo.push(gatherLo(x, i), k), b = hi.push(gatherHi(x, i), k)
            scatter(a.0, b.0, outM, i); scatter(a.1, b.1, outS, i); scatter(a.2, b.2, outH, i)
            i += 1
        }
        while i < count {
            let a = lo.steady(gatherLo(x, i), k), b = hi.steady(gatherHi(x, i), k)
            scatter(a.0, b.0, outM, i); scatter(a.1, b.1, outS, i); scatter(a.2, b.2, outH, i)
            i += 1
        }
        self.lo = lo; self.hi = hi
    }
}

/// `StochKernel` for two lanes: the two extremes, %K, then one or two SMA sums.
fileprivate struct StochHalf {
    var highs, lows: ExtremeHalf
    var clean = BarsSinceNaN()
    var first, second: WindowSumHalf
    /// Storage: the two extremes' 2n slots each, then the two sums' rings.
    init(base: Int, n: Int, m1: Int, m2: Int) {
        highs = ExtremeHalf(base: base, n: n); lows = ExtremeHalf(base: base + 2 * n, n: n)
        first = WindowSumHalf(n: m1, base: base + 4 * n); second = WindowSumHalf(n: m2, base: base + 4 * n + m1)
    }
    static func slots(n: Int, m1: Int, m2: Int) -> Int { 4 * n + m1 + m2 }

    /// The raw %K (`stochasticK`, NaN where an extreme or the close is).
    @inline(__always)
    mutating func raw(_ h: V2, _ l: V2, _ c: V2, t: Int, pos: Int, n: Int, dn: V2, _ r: Raw) -> V2 {
        let hh = highs.push(h, highest: true, t: t, pos: pos, n: n, r)
        let ll = lows.push(l, highest: false, t: t, pos: pos, n: n, r)
        let defined = clean.push(h, l, dn: dn) .& isNumber(c)
        return pick(defined, stochasticK(c, hh, ll), nan2)
    }

    /// The smoothing of a raw %K: the two outputs.
    @inline(__always)
    mutating func smooth(_ raw: V2, twoStages: Bool, dFirst: V2, dSecond: V2, _ r: Raw) -> (V2, V2) {
        var k = raw, d = first.push(raw, r) / dFirst
        if twoStages { k = d; d = second.push(k, r) / dSecond }
        return (pick(d .!= d, nan2, k), d)
    }
}

/// `StochKernel` (stoch, stochf) in four lanes.
struct StochLanes: LaneKernel {
    let n: Int
    let twoStages: Bool
    let dFirst, dSecond: Double
    fileprivate let slots: MomentumSlots
    fileprivate var lo, hi: StochHalf
    var t = 0, pos = 0
    init(fastk: Int, smooth: [Int]) {
        n = fastk
        twoStages = smooth.count > 1
        let m1 = smooth[0], m2 = twoStages ? smooth[1] : 1
        dFirst = Double(m1); dSecond = Double(m2)
        let half = StochHalf.slots(n: fastk, m1: m1, m2: m2)
        slots = MomentumSlots(slots: 2 * half)
        lo = StochHalf(base: 0, n: fastk, m1: m1, m2: m2); hi = StochHalf(base: half, n: fastk, m1: m1, m2: m2)
    }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        var lo = self.lo, hi = self.hi, t = self.t, pos = self.pos
        if twoStages {
            Self.loop(&lo, &hi, &t, &pos, inputs, outputs, count, n, dFirst, dSecond, slots.raw, twoStages: true)
        } else {
            Self.loop(&lo, &hi, &t, &pos, inputs, outputs, count, n, dFirst, dSecond, slots.raw, twoStages: false)
        }
        self.lo = lo; self.hi = hi; self.t = t; self.pos = pos
    }

    @inline(__always) private static func loop(_ lo: inout StochHalf, _ hi: inout StochHalf, _ t: inout Int, _ pos: inout Int,
                                               _ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                                               _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, _ count: Int,
                                               _ n: Int, _ dFirst: Double, _ dSecond: Double, _ r: Raw, twoStages: Bool) {
        let xh = inputs[0], xl = inputs[1], xc = inputs[2], outK = outputs[0], outD = outputs[1]
        let dn = V2(repeating: Double(n)), dFirst = V2(repeating: dFirst), dSecond = V2(repeating: dSecond)
        // Two passes over the block, the raw %K parked in the k output: one bar's chain from
        // the inputs through four divisions to %D is long, and the passes let the bars overlap.
        // (Lanes past a tile's end have both outputs at one junk block; pass 2 reads bar i
        // before it writes bar i there, so that is safe too.)
        for i in 0 ..< count {
            let a = lo.raw(gatherLo(xh, i), gatherLo(xl, i), gatherLo(xc, i), t: t, pos: pos, n: n, dn: dn, r)
            let b = hi.raw(gatherHi(xh, i), gatherHi(xl, i), gatherHi(xc, i), t: t, pos: pos, n: n, dn: dn, r)
            scatter(a, b, outK, i)
            t += 1; pos += 1
            if pos == n { pos = 0 }
        }
        for i in 0 ..< count {
            let rawLo = V2(outK.p0[i], outK.p1[i]), rawHi = V2(outK.p2[i], outK.p3[i])
            let a = lo.smooth(rawLo, twoStages: twoStages, dFirst: dFirst, dSecond: dSecond, r)
            let b = hi.smooth(rawHi, twoStages: twoStages, dFirst: dFirst, dSecond: dSecond, r)
            scatter(a.0, b.0, outK, i); scatter(a.1, b.1, outD, i)
        }
    }
}

/// `StochRSIKernel` in four lanes: RSI, a plain ring of it (shared fill, per-lane NaN counts;
/// slot j holds lanes 0–1 at 2j, lanes 2–3 at 2j + 1) whose max and min are taken slot by slot
/// with strict comparisons as `Ring.maxValue` does, both halves in one loop; %K, and the SMA
/// sum for %D.
struct StochRSILanes: LaneKernel {
    let fastk: Int
    let dFastd: Double
    fileprivate let slots: MomentumSlots
    fileprivate var rsiLo, rsiHi: RSIHalf
    fileprivate var fastdLo, fastdHi: WindowSumHalf
    fileprivate var nansLo = V2.zero, nansHi = V2.zero
    var head = 0, filled = 0
    init(n: Int, fastk: Int, fastd: Int) {
        self.fastk = fastk; dFastd = Double(fastd)
        slots = MomentumSlots(slots: 2 * (fastk + fastd))
        rsiLo = RSIHalf(n: n); rsiHi = RSIHalf(n: n)
        fastdLo = WindowSumHalf(n: fastd, base: 2 * fastk); fastdHi = WindowSumHalf(n: fastd, base: 2 * fastk + fastd)
    }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let x = inputs[0], outK = outputs[0], outD = outputs[1]
        let r = slots.raw, n = fastk
        let dFastd = V2(repeating: self.dFastd)
        var rsiLo = self.rsiLo, rsiHi = self.rsiHi, fastdLo = self.fastdLo, fastdHi = self.fastdHi
        var nansLo = self.nansLo, nansHi = self.nansHi, head = self.head, filled = self.filled
        for i in 0 ..< count {
            let vLo = rsiLo.push(gatherLo(x, i), cmo: false), vHi = rsiHi.push(gatherHi(x, i), cmo: false)
            // Ring.push
            nansLo += count1(vLo .!= vLo); nansHi += count1(vHi .!= vHi)
            let slot: Int
            if filled < n {
                slot = filled; filled += 1
            } else {
                slot = head; head += 1
                if head == n { head = 0 }
                let oLo = load2(r, 2 &* slot), oHi = load2(r, 2 &* slot &+ 1)
                nansLo -= count1(oLo .!= oLo); nansHi -= count1(oHi .!= oHi)
            }
            store2(r, 2 &* slot, vLo); store2(r, 2 &* slot &+ 1, vHi)
            var kLo = nan2, kHi = nan2
            if filled == n {
                var maxLo = V2(repeating: -.infinity), minLo = V2(repeating: .infinity), maxHi = maxLo, minHi = minLo
                for s in 0 ..< n {
                    let a = load2(r, 2 &* s), b = load2(r, 2 &* s &+ 1)
                    maxLo = pick(a .> maxLo, a, maxLo); minLo = pick(a .< minLo, a, minLo)
                    maxHi = pick(b .> maxHi, b, maxHi); minHi = pick(b .< minHi, b, minHi)
                }
                kLo = pick(nansLo .== .zero, stochasticK(vLo, maxLo, minLo), nan2)
                kHi = pick(nansHi .== .zero, stochasticK(vHi, maxHi, minHi), nan2)
            }
            let dLo = fastdLo.push(kLo, r) / dFastd, dHi = fastdHi.push(kHi, r) / dFastd
            scatter(pick(dLo .!= dLo, nan2, kLo), pick(dHi .!= dHi, nan2, kHi), outK, i)
            scatter(dLo, dHi, outD, i)
        }
        self.rsiLo = rsiLo; self.rsiHi = rsiHi; self.fastdLo = fastdLo; self.fastdHi = fastdHi
        self.nansLo = nansLo; self.nansHi = nansHi; self.head = head; self.filled = filled
    }
}

/// `CCIKernel` in four lanes. Its ring restarts after a NaN and is summed slot by slot, so
/// each lane writes its own slot (a position per lane; slot j holds lanes 0–1 at 2j, lanes 2–3
/// at 2j + 1) and the slot-order sums are plain vector sums over the slots. The sums are
/// serial chains, so bars go two at a time over two copies of the ring: `a` as of the first
/// bar, `b` as of the second (the first with one slot per lane replaced), one pass over both
/// feeding four chains (two halves × two bars), each adding its lane's values in slot order as
/// the registry does. Between pairs both copies hold the same values.
struct CCILanes: LaneKernel {
    let n: Int
    fileprivate let slots: MomentumSlots
    fileprivate var nextLo = V2.zero, nextHi = V2.zero    // each lane's next slot
    fileprivate var sinceLo = V2.zero, sinceHi = V2.zero  // values since its last NaN
    init(n: Int) { self.n = n; slots = MomentumSlots(slots: 4 * n) }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let xh = inputs[0], xl = inputs[1], xc = inputs[2], out = outputs[0]
        let r = slots.raw, n = self.n, dn = V2(repeating: Double(n)), scale = V2(repeating: 0.015)
        let b0 = 2 * n                                     // copy b's first slot
        var nextLo = self.nextLo, nextHi = self.nextHi, sinceLo = self.sinceLo, sinceHi = self.sinceHi
        @inline(__always) func cci(_ tp: V2, _ mean: V2, _ dev: V2, _ full: M2) -> V2 {
            let num = tp - mean
            return pick(full, pick(isZero2(num) .| isZero2(dev), .zero, num / (scale * (dev / dn))), nan2)
        }
        var i = 0
        while i < count {
            let tpLo = (gatherLo(xh, i) + gatherLo(xl, i) + gatherLo(xc, i)) / 3
            let tpHi = (gatherHi(xh, i) + gatherHi(xl, i) + gatherHi(xc, i)) / 3
            // A NaN lane restarts at slot 0 and refills every slot before it is read again,
            // so writing its NaN here is harmless.
            storeLanes(r, 0, nextLo + nextLo, tpLo); storeLanes(r, 1, nextHi + nextHi, tpHi)
            storeLanes(r, b0, nextLo + nextLo, tpLo); storeLanes(r, b0 + 1, nextHi + nextHi, tpHi)
            let validLo = isNumber(tpLo), validHi = isNumber(tpHi)
            nextLo = pick(validLo, advance(nextLo, dn), .zero); nextHi = pick(validHi, advance(nextHi, dn), .zero)
            sinceLo = pick(validLo, sinceLo + 1, .zero); sinceHi = pick(validHi, sinceHi + 1, .zero)
            let fullLo = sinceLo .>= dn, fullHi = sinceHi .>= dn
            if i + 1 < count {
                let j = i + 1
                let tpLo2 = (gatherLo(xh, j) + gatherLo(xl, j) + gatherLo(xc, j)) / 3
                let tpHi2 = (gatherHi(xh, j) + gatherHi(xl, j) + gatherHi(xc, j)) / 3
                storeLanes(r, b0, nextLo + nextLo, tpLo2); storeLanes(r, b0 + 1, nextHi + nextHi, tpHi2)
                let validLo2 = isNumber(tpLo2), validHi2 = isNumber(tpHi2)
                let sinceLo2 = pick(validLo2, sinceLo + 1, .zero), sinceHi2 = pick(validHi2, sinceHi + 1, .zero)
                let fullLo2 = sinceLo2 .>= dn, fullHi2 = sinceHi2 .>= dn
                if any(fullLo .| fullHi .| fullLo2 .| fullHi2) {
                    var meanLo = V2.zero, meanHi = V2.zero, meanLo2 = V2.zero, meanHi2 = V2.zero
                    for s in 0 ..< n {
                        meanLo += load2(r, 2 &* s); meanHi += load2(r, 2 &* s &+ 1)
                        meanLo2 += load2(r, b0 &+ 2 &* s); meanHi2 += load2(r, b0 &+ 2 &* s &+ 1)
                    }
                    meanLo /= dn; meanHi /= dn; meanLo2 /= dn; meanHi2 /= dn
                    var devLo = V2.zero, devHi = V2.zero, devLo2 = V2.zero, devHi2 = V2.zero
                    for s in 0 ..< n {
                        devLo += abs2(load2(r, 2 &* s) - meanLo); devHi += abs2(load2(r, 2 &* s &+ 1) - meanHi)
                        devLo2 += abs2(load2(r, b0 &+ 2 &* s) - meanLo2); devHi2 += abs2(load2(r, b0 &+ 2 &* s &+ 1) - meanHi2)
                    }
                    scatter(cci(tpLo, meanLo, devLo, fullLo), cci(tpHi, meanHi, devHi, fullHi), out, i)
                    scatter(cci(tpLo2, meanLo2, devLo2, fullLo2), cci(tpHi2, meanHi2, devHi2, fullHi2), out, j)
                } else {
                    scatter(nan2, nan2, out, i); scatter(nan2, nan2, out, j)
                }
                storeLanes(r, 0, nextLo + nextLo, tpLo2); storeLanes(r, 1, nextHi + nextHi, tpHi2)
                nextLo = pick(validLo2, advance(nextLo, dn), .zero); nextHi = pick(validHi2, advance(nextHi, dn), .zero)
                sinceLo = sinceLo2; sinceHi = sinceHi2
                i += 2
                continue
            }
            // The block's last bar alone.
            if any(fullLo .| fullHi) {
                var meanLo = V2.zero, meanHi = V2.zero
                for s in 0 ..< n { meanLo += load2(r, 2 &* s); meanHi += load2(r, 2 &* s &+ 1) }
                meanLo /= dn; meanHi /= dn
                var devLo = V2.zero, devHi = V2.zero
                for s in 0 ..< n {
                    devLo += abs2(load2(r, 2 &* s) - meanLo); devHi += abs2(load2(r, 2 &* s &+ 1) - meanHi)
                }
                scatter(cci(tpLo, meanLo, devLo, fullLo), cci(tpHi, meanHi, devHi, fullHi), out, i)
            } else {
                scatter(nan2, nan2, out, i)
            }
            i += 1
        }
        self.nextLo = nextLo; self.nextHi = nextHi; self.sinceLo = sinceLo; self.sinceHi = sinceHi
    }
}

/// `WillRKernel` for two lanes.
fileprivate struct WillRHalf {
    var highs, lows: ExtremeHalf
    var clean = BarsSinceNaN()
    init(base: Int, n: Int) { highs = ExtremeHalf(base: base, n: n); lows = ExtremeHalf(base: base + 2 * n, n: n) }

    @inline(__always) mutating func push(_ h: V2, _ l: V2, _ c: V2, t: Int, pos: Int, n: Int, dn: V2, _ r: Raw) -> V2 {
        let hh = highs.push(h, highest: true, t: t, pos: pos, n: n, r)
        let ll = lows.push(l, highest: false, t: t, pos: pos, n: n, r)
        let defined = clean.push(h, l, dn: dn) .& isNumber(c)
        let diff = (hh - ll) / -100
        let w = pick(isZero2(diff), .zero, (hh - c) / diff)
        return pick(defined, w, nan2)
    }
}

/// `WillRKernel` in four lanes.
struct WillRLanes: LaneKernel {
    let n: Int
    fileprivate let slots: MomentumSlots
    fileprivate var lo, hi: WillRHalf
    var t = 0, pos = 0
    init(n: Int) {
        self.n = n; slots = MomentumSlots(slots: 8 * n)
        lo = WillRHalf(base: 0, n: n); hi = WillRHalf(base: 4 * n, n: n)
    }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let xh = inputs[0], xl = inputs[1], xc = inputs[2], out = outputs[0]
        let r = slots.raw, n = self.n, dn = V2(repeating: Double(n))
        var lo = self.lo, hi = self.hi, t = self.t, pos = self.pos
        for i in 0 ..< count {
            let a = lo.push(gatherLo(xh, i), gatherLo(xl, i), gatherLo(xc, i), t: t, pos: pos, n: n, dn: dn, r)
            let b = hi.push(gatherHi(xh, i), gatherHi(xl, i), gatherHi(xc, i), t: t, pos: pos, n: n, dn: dn, r)
            scatter(a, b, out, i)
            t += 1; pos += 1
            if pos == n { pos = 0 }
        }
        self.lo = lo; self.hi = hi; self.t = t; self.pos = pos
    }
}

/// `ExtremeKernel` (highest, lowest) in four lanes: `ExtremeHalf`'s O(1) window per half (the
/// registry's deque is O(1) too; a scan of the window per bar made W4's highest/lowest its
/// second cost), NaN until n bars have followed the last NaN.
struct RollingExtremeLanes: LaneKernel {
    let n: Int
    let highest: Bool
    fileprivate let slots: MomentumSlots
    fileprivate var lo, hi: ExtremeHalf
    fileprivate var sinceLo = V2.zero, sinceHi = V2.zero
    var t = 0, pos = 0
    init(n: Int, highest: Bool) {
        self.n = n; self.highest = highest
        slots = MomentumSlots(slots: 4 * n)
        lo = ExtremeHalf(base: 0, n: n); hi = ExtremeHalf(base: 2 * n, n: n)
    }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let x = inputs[0], out = outputs[0]
        let r = slots.raw, n = self.n, dn = V2(repeating: Double(n)), highest = self.highest
        var lo = self.lo, hi = self.hi, sinceLo = self.sinceLo, sinceHi = self.sinceHi, t = self.t, pos = self.pos
        for i in 0 ..< count {
            let a = gatherLo(x, i), b = gatherHi(x, i)
            let ea = lo.push(a, highest: highest, t: t, pos: pos, n: n, r)
            let eb = hi.push(b, highest: highest, t: t, pos: pos, n: n, r)
            sinceLo = pick(isNumber(a), sinceLo + 1, .zero); sinceHi = pick(isNumber(b), sinceHi + 1, .zero)
            scatter(pick(sinceLo .>= dn, ea, nan2), pick(sinceHi .>= dn, eb, nan2), out, i)
            t += 1; pos += 1
            if pos == n { pos = 0 }
        }
        self.lo = lo; self.hi = hi; self.sinceLo = sinceLo; self.sinceHi = sinceHi; self.t = t; self.pos = pos
    }
}

/// `LagKernel` (mom, roc, rocp) in four lanes: a plain ring, shared by the lanes (slot j
/// holds lanes 0–1 at 2j and lanes 2–3 at 2j + 1).
struct LagLanes: LaneKernel {
    enum Mode { case mom, roc, rocp }
    let n: Int
    let mode: Mode
    fileprivate let slots: MomentumSlots
    var head = 0, filled = 0
    init(n: Int, mode: Mode) { self.n = n; self.mode = mode; slots = MomentumSlots(slots: 2 * n) }

    @inline(__always) private static func lag(_ v: V2, _ old: V2, _ mode: Mode) -> V2 {
        let value: V2
        switch mode {
        case .mom: value = v - old
        case .roc: value = pick(old .!= .zero, (v / old - 1) * 100, .zero)
        case .rocp: value = pick(old .!= .zero, (v - old) / old, .zero)
        }
        return pick(isNumber(v) .& isNumber(old), value, nan2)
    }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let x = inputs[0], out = outputs[0]
        let r = slots.raw, n = self.n
        var head = self.head, filled = self.filled, i = 0
        // Filling: no value n bars back yet.
        while i < count && filled < n {
            store2(r, 2 * filled, gatherLo(x, i)); store2(r, 2 * filled + 1, gatherHi(x, i)); filled += 1
            scatter(nan2, nan2, out, i); i += 1
        }
        switch mode {
        case .mom: Self.steady(&head, &i, x, out, count, n, r, .mom)
        case .roc: Self.steady(&head, &i, x, out, count, n, r, .roc)
        case .rocp: Self.steady(&head, &i, x, out, count, n, r, .rocp)
        }
        self.head = head; self.filled = filled
    }

    @inline(__always) private static func steady(_ head: inout Int, _ i: inout Int, _ x: Lanes4<UnsafePointer<Double>>,
                                                 _ out: Lanes4<UnsafeMutablePointer<Double>>, _ count: Int, _ n: Int,
                                                 _ r: Raw, _ mode: Mode) {
        while i < count {
            let a = gatherLo(x, i), b = gatherHi(x, i)
            let oa = load2(r, 2 &* head), ob = load2(r, 2 &* head &+ 1)
            store2(r, 2 &* head, a); store2(r, 2 &* head &+ 1, b)
            head += 1
            if head == n { head = 0 }
            scatter(lag(a, oa, mode), lag(b, ob, mode), out, i); i += 1
        }
    }
}

/// `MFIKernel` for two lanes. Its rings take only a lane's valid bars, so each lane has its
/// own position: the oldest flows are gathered lane by lane and the new ones stored the same
/// way (a lane that does not move stores its oldest value back).
fileprivate struct MFIHalf {
    let pos, neg: Int                                  // n slots each
    var seen = V2.zero
    var next = V2.zero                                 // each lane's oldest slot once full
    var filled = V2.zero
    var prevTP = V2.zero
    var posSum = V2.zero, negSum = V2.zero
    init(base: Int, n: Int) { pos = base; neg = base + n }

    /// Whether both lanes have n flows after their first bar: every valid bar then drops the
    /// oldest flow, adds one and gives a value.
    func warmed(_ dn: V2) -> Bool { all(seen .> dn) }

    /// `push` once `warmed`: the same operations on the lanes it updates.
    @inline(__always) mutating func steady(_ h: V2, _ l: V2, _ c: V2, _ vol: V2, dn: V2, _ r: Raw) -> V2 {
        let valid = isNumber(h) .& isNumber(l) .& isNumber(c) .& isNumber(vol)
        let tp = (h + l + c) / 3
        let oldP = loadLanes(r, pos, next), oldN = loadLanes(r, neg, next)
        let p0 = posSum - oldP, n0 = negSum - oldN
        let change = tp - prevTP
        let flow = tp * vol
        let p = pick(change .> .zero, flow, .zero), m = pick(change .< .zero, flow, .zero)
        posSum = pick(valid, p0 + p, posSum); negSum = pick(valid, n0 + m, negSum)
        storeLanes(r, pos, next, pick(valid, p, oldP)); storeLanes(r, neg, next, pick(valid, m, oldN))
        next = pick(valid, advance(next, dn), next)
        prevTP = pick(valid, tp, prevTP)
        let total = posSum + negSum
        let mfi = pick(total .< V2(repeating: 1), .zero, 100 * (posSum / total))
        return pick(valid, mfi, nan2)
    }

    @inline(__always) mutating func push(_ h: V2, _ l: V2, _ c: V2, _ vol: V2, dn: V2, _ r: Raw) -> V2 {
        let valid = isNumber(h) .& isNumber(l) .& isNumber(c) .& isNumber(vol)
        let tp = (h + l + c) / 3
        let t = seen
        seen += count1(valid)
        let moving = valid .& (t .> .zero)
        let full = filled .== dn
        let oldP = loadLanes(r, pos, next), oldN = loadLanes(r, neg, next)
        let p0 = pick(full, posSum - oldP, posSum), n0 = pick(full, negSum - oldN, negSum)
        let change = tp - prevTP
        let flow = tp * vol
        let p = pick(change .> .zero, flow, .zero), m = pick(change .< .zero, flow, .zero)
        posSum = pick(moving, p0 + p, posSum); negSum = pick(moving, n0 + m, negSum)
        storeLanes(r, pos, next, pick(moving, p, oldP)); storeLanes(r, neg, next, pick(moving, m, oldN))
        next = pick(moving, advance(next, dn), next)
        filled += count1(moving .& .!full)
        prevTP = pick(valid, tp, prevTP)
        let total = posSum + negSum
        let mfi = pick(total .< V2(repeating: 1), .zero, 100 * (posSum / total))
        return pick(moving .& (t .>= dn), mfi, nan2)
    }
}

/// `MFIKernel` in four lanes.
struct MFILanes: LaneKernel {
    let n: Int
    fileprivate let slots: MomentumSlots
    fileprivate var lo, hi: MFIHalf
    init(n: Int) { self.n = n; slots = MomentumSlots(slots: 4 * n); lo = MFIHalf(base: 0, n: n); hi = MFIHalf(base: 2 * n, n: n) }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let xh = inputs[0], xl = inputs[1], xc = inputs[2], xv = inputs[3], out = outputs[0]
        let r = slots.raw, dn = V2(repeating: Double(n))
        var lo = self.lo, hi = self.hi, i = 0
        while i < count && !(lo.warmed(dn) && hi.warmed(dn)) {
            let a = lo.push(gatherLo(xh, i), gatherLo(xl, i), gatherLo(xc, i), gatherLo(xv, i), dn: dn, r)
            let b = hi.push(gatherHi(xh, i), gatherHi(xl, i), gatherHi(xc, i), gatherHi(xv, i), dn: dn, r)
            scatter(a, b, out, i); i += 1
        }
        while i < count {
            let a = lo.steady(gatherLo(xh, i), gatherLo(xl, i), gatherLo(xc, i), gatherLo(xv, i), dn: dn, r)
            let b = hi.steady(gatherHi(xh, i), gatherHi(xl, i), gatherHi(xc, i), gatherHi(xv, i), dn: dn, r)
            scatter(a, b, out, i); i += 1
        }
        self.lo = lo; self.hi = hi
    }
}

/// `DMKernel` for two lanes: per-lane counts of valid bars select the plain sums (t < n),
/// Wilder's sums, and ADX's seed and average.
fileprivate struct DMHalf {
    var seen = V2.zero
    var prevHigh = V2.zero, prevLow = V2.zero, prevClose = V2.zero
    var sumP = V2.zero, sumM = V2.zero, sumTR = V2.zero
    var lastDX = V2.zero, sumDX = V2.zero, adx = V2.zero

    struct Constants { let n, nLast, seedLast, dn, dn1: V2 }

    /// Whether every valid bar of both lanes is now a Wilder step (and, for adx, an average
    /// step): `push` with `steady` set then skips the counts.
    func warmed(_ mode: DMLanes.Mode, _ k: Constants) -> Bool { all(seen .> (mode == .adx ? k.seedLast : k.nLast)) }

    @inline(__always)
    mutating func push(_ h: V2, _ l: V2, _ c: V2, mode: DMLanes.Mode, usesClose: Bool, steady: Bool, _ k: Constants) -> V2 {
        let zero = V2.zero, hundred = V2(repeating: 100)
        let valid = isNumber(h) .& isNumber(l) .& isNumber(c)
        let t = seen
        if !steady { seen += count1(valid) }
        let moving = steady ? valid : valid .& (t .> zero)
        let diffP = h - prevHigh, diffM = prevLow - l
        let plus = pick((diffP .> zero) .& (diffP .> diffM), diffP, zero)
        let minus = pick((diffM .> zero) .& (diffP .< diffM), diffM, zero)
        var tr = zero
        if usesClose {
            // TA.trueRange
            tr = h - l
            let a = abs2(h - prevClose)
            tr = pick(a .> tr, a, tr)
            let b = abs2(l - prevClose)
            tr = pick(b .> tr, b, tr)
        }
        prevHigh = pick(valid, h, prevHigh); prevLow = pick(valid, l, prevLow); prevClose = pick(valid, c, prevClose)
        if steady {
            sumP = pick(moving, sumP - sumP / k.dn + plus, sumP)
            sumM = pick(moving, sumM - sumM / k.dn + minus, sumM)
            sumTR = pick(moving, sumTR - sumTR / k.dn + tr, sumTR)
        } else {
            let early = t .< k.n
            sumP = pick(moving, pick(early, sumP + plus, sumP - sumP / k.dn + plus), sumP)
            sumM = pick(moving, pick(early, sumM + minus, sumM - sumM / k.dn + minus), sumM)
            sumTR = pick(moving, pick(early, sumTR + tr, sumTR - sumTR / k.dn + tr), sumTR)
        }
        let late = steady ? moving : moving .& .!(t .< k.n)
        switch mode {
        case .plusDM, .minusDM:
            let s = mode == .plusDM ? sumP : sumM
            return pick(late .| (moving .& (t .== k.nLast)), s, nan2)
        case .plusDI, .minusDI:
            let s = mode == .plusDI ? sumP : sumM
            return pick(late, pick(isZero2(sumTR), zero, 100 * (s / sumTR)), nan2)
        case .dx, .adx:
            let minusDI = hundred * (sumM / sumTR), plusDI = hundred * (sumP / sumTR)
            let sum = minusDI + plusDI
            let dx = hundred * (abs2(minusDI - plusDI) / sum)
            let defined = .!isZero2(sumTR) .& .!isZero2(sum)
            if mode == .dx {
                // TA-Lib repeats the previous DX where it is undefined (0 at the start).
                lastDX = pick(late .& defined, dx, lastDX)
                return pick(late, lastDX, nan2)
            }
            if steady {
                adx = pick(late .& defined, (adx * k.dn1 + dx) / k.dn, adx)
                return pick(late, adx, nan2)
            }
            let seeding = late .& (t .<= k.seedLast)
            sumDX = pick(seeding, sumDX + pick(defined, dx, zero), sumDX)
            let seeded = late .& (t .== k.seedLast)
            adx = pick(seeded, sumDX / k.dn, adx)
            let averaging = late .& (t .> k.seedLast)
            adx = pick(averaging .& defined, (adx * k.dn1 + dx) / k.dn, adx)
            return pick(seeded .| averaging, adx, nan2)
        }
    }
}

/// `DMKernel` (adx, dx, plus_di, minus_di, plus_dm, minus_dm) in four lanes.
struct DMLanes: LaneKernel {
    enum Mode { case plusDM, minusDM, plusDI, minusDI, dx, adx }
    let n: Int
    let mode: Mode
    fileprivate var lo = DMHalf(), hi = DMHalf()
    init(n: Int, mode: Mode) { self.n = n; self.mode = mode }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        // plus_dm and minus_dm take (high, low): their close is 0, as in the registry kernel.
        let usesClose = mode != .plusDM && mode != .minusDM
        let xh = inputs[0], xl = inputs[1], xc = usesClose ? inputs[2] : inputs[0], out = outputs[0]
        let k = DMHalf.Constants(n: V2(repeating: Double(n)), nLast: V2(repeating: Double(n - 1)),
                                 seedLast: V2(repeating: Double(2 * n - 1)),
                                 dn: V2(repeating: Double(n)), dn1: V2(repeating: Double(n) - 1))
        var lo = self.lo, hi = self.hi
        switch mode {
        case .plusDM: Self.loop(&lo, &hi, xh, xl, xc, out, count, k, .plusDM, false)
        case .minusDM: Self.loop(&lo, &hi, xh, xl, xc, out, count, k, .minusDM, false)
        case .plusDI: Self.loop(&lo, &hi, xh, xl, xc, out, count, k, .plusDI, true)
        case .minusDI: Self.loop(&lo, &hi, xh, xl, xc, out, count, k, .minusDI, true)
        case .dx: Self.loop(&lo, &hi, xh, xl, xc, out, count, k, .dx, true)
        case .adx: Self.loop(&lo, &hi, xh, xl, xc, out, count, k, .adx, true)
        }
        self.lo = lo; self.hi = hi
    }

    @inline(__always) private static func loop(_ lo: inout DMHalf, _ hi: inout DMHalf, _ xh: Lanes4<UnsafePointer<Double>>,
                                               _ xl: Lanes4<UnsafePointer<Double>>, _ xc: Lanes4<UnsafePointer<Double>>,
                                               _ out: Lanes4<UnsafeMutablePointer<Double>>, _ count: Int,
                                               _ k: DMHalf.Constants, _ mode: Mode, _ usesClose: Bool) {
        var i = 0
        while i < count && !(lo.warmed(mode, k) && hi.warmed(mode, k)) {
            let a = lo.push(gatherLo(xh, i), gatherLo(xl, i), usesClose ? gatherLo(xc, i) : .zero,
                            mode: mode, usesClose: usesClose, steady: false, k)
            let b = hi.push(gatherHi(xh, i), gatherHi(xl, i), usesClose ? gatherHi(xc, i) : .zero,
                            mode: mode, usesClose: usesClose, steady: false, k)
            scatter(a, b, out, i); i += 1
        }
        while i < count {
            let a = lo.push(gatherLo(xh, i), gatherLo(xl, i), usesClose ? gatherLo(xc, i) : .zero,
                            mode: mode, usesClose: usesClose, steady: true, k)
            let b = hi.push(gatherHi(xh, i), gatherHi(xl, i), usesClose ? gatherHi(xc, i) : .zero,
                            mode: mode, usesClose: usesClose, steady: true, k)
            scatter(a, b, out, i); i += 1
        }
    }
}
