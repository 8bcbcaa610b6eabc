/// Lane versions of the momentum family (rsi, stoch, cci, willr, mfi, roc/mom, macd, adx…).
///
/// Each struct performs, per lane, the registry kernel's floating-point operations in the same
/// order (Momentum.swift, Trend.swift, Volume.swift, KernelSupport.swift); where the registry
/// kernel branches on the data, every lane computes both sides and keeps its own with `pick`.
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

/// A kernel's window slots, `vectors` SIMD4s that live as long as the kernel, read and written
/// as raw memory: no bounds or exclusivity checks in the hot loops, and a lane may store its
/// own Double into a slot (the rings whose position differs per lane).
fileprivate final class MomentumSlots {
    let raw: UnsafeMutableRawPointer
    init(vectors: Int) {
        let bytes = max(1, vectors) * 32
        raw = .allocate(byteCount: bytes, alignment: 64)
        raw.initializeMemory(as: Double.self, repeating: 0, count: bytes / 8)
    }
    deinit { raw.deallocate() }
}

@inline(__always) fileprivate func load4(_ r: UnsafeMutableRawPointer, _ j: Int) -> SIMD4<Double> {
    r.load(fromByteOffset: j &* 32, as: SIMD4<Double>.self)
}

@inline(__always) fileprivate func store4(_ r: UnsafeMutableRawPointer, _ j: Int, _ v: SIMD4<Double>) {
    r.storeBytes(of: v, toByteOffset: j &* 32, as: SIMD4<Double>.self)
}

/// Lane l of slot j_l, for each lane: a ring whose position differs per lane.
@inline(__always) fileprivate func loadLanes(_ r: UnsafeMutableRawPointer, _ j: SIMD4<Int64>) -> SIMD4<Double> {
    SIMD4(r.load(fromByteOffset: Int(j[0]) &* 32, as: Double.self),
          r.load(fromByteOffset: Int(j[1]) &* 32 &+ 8, as: Double.self),
          r.load(fromByteOffset: Int(j[2]) &* 32 &+ 16, as: Double.self),
          r.load(fromByteOffset: Int(j[3]) &* 32 &+ 24, as: Double.self))
}

@inline(__always) fileprivate func storeLanes(_ r: UnsafeMutableRawPointer, _ j: SIMD4<Int64>, _ v: SIMD4<Double>) {
    r.storeBytes(of: v[0], toByteOffset: Int(j[0]) &* 32, as: Double.self)
    r.storeBytes(of: v[1], toByteOffset: Int(j[1]) &* 32 &+ 8, as: Double.self)
    r.storeBytes(of: v[2], toByteOffset: Int(j[2]) &* 32 &+ 16, as: Double.self)
    r.storeBytes(of: v[3], toByteOffset: Int(j[3]) &* 32 &+ 24, as: Double.self)
}

/// `TA.isZero` per lane: |v| < 1e-14 (NaN is not zero).
@inline(__always) fileprivate func isZero4(_ v: SIMD4<Double>) -> Mask4 {
    (v .> SIMD4(repeating: -1e-14)) .& (v .< SIMD4(repeating: 1e-14))
}

/// `Swift.abs` per lane: the sign bit cleared, NaN included.
@inline(__always) fileprivate func abs4(_ v: SIMD4<Double>) -> SIMD4<Double> {
    unsafeBitCast(unsafeBitCast(v, to: SIMD4<Int64>.self) & SIMD4(repeating: Int64.max), to: SIMD4<Double>.self)
}

/// The next ring position per lane: j + 1, back to 0 at n.
@inline(__always) fileprivate func advance(_ j: SIMD4<Int64>, _ n: SIMD4<Int64>) -> SIMD4<Int64> {
    let k = j &+ 1
    return pick(k .== n, SIMD4<Int64>(repeating: 0), k)
}

fileprivate let nan4 = SIMD4<Double>(repeating: .nan)

/// `RSIState` in four lanes (rsi, cmo, stochrsi): every lane computes the seed step and the
/// Wilder step and keeps the one its own count of valid bars calls for.
fileprivate struct RSIStep {
    let n64: SIMD4<Int64>
    let dn, dn1: SIMD4<Double>
    var seen = SIMD4<Int64>(repeating: 0)
    var prev = SIMD4<Double>.zero, gain = SIMD4<Double>.zero, loss = SIMD4<Double>.zero
    init(n: Int) {
        n64 = SIMD4(repeating: Int64(n)); dn = SIMD4(repeating: Double(n)); dn1 = SIMD4(repeating: Double(n) - 1)
    }

    @inline(__always) mutating func push(_ v: SIMD4<Double>, cmo: Bool) -> SIMD4<Double> {
        let valid = v .== v
        let c = seen
        seen &+= ones(valid)
        let d = v - prev
        prev = pick(valid, v, prev)
        let moving = valid .& (c .> 0)                 // c == 0: only prev moves
        let wilder = c .> n64
        var g = pick(wilder, gain * dn1, gain), l = pick(wilder, loss * dn1, loss)
        let down = d .< 0
        l = pick(down, l - d, l); g = pick(down, g, g + d)
        let averaged = c .>= n64                       // c == n: the seed means; c > n: Wilder
        g = pick(averaged, g / dn, g); l = pick(averaged, l / dn, l)
        gain = pick(moving, g, gain); loss = pick(moving, l, loss)
        let sum = gain + loss
        let r = cmo ? 100 * ((gain - loss) / sum) : 100 * (gain / sum)
        return pick(moving .& averaged, pick(isZero4(sum), .zero, r), nan4)
    }
}

/// `WindowSum` (TA-Lib's SMA sum) in four lanes. It restarts after a NaN, so each lane counts
/// its own values since its last NaN; the values themselves sit in one ring by bar (shared
/// position), whose oldest slot is a lane's oldest value once that lane has n of them.
fileprivate struct WindowSumLanes {
    let n: Int
    let base: Int                                      // first slot in the kernel's storage
    var pos = 0
    var since = SIMD4<Int64>(repeating: 0)
    var partial = SIMD4<Double>.zero
    init(n: Int, base: Int) { self.n = n; self.base = base }

    /// The sum of each lane's last n values, NaN while fewer than n followed its last NaN.
    @inline(__always) mutating func push(_ v: SIMD4<Double>, _ r: UnsafeMutableRawPointer) -> SIMD4<Double> {
        store4(r, base &+ pos, v)
        pos += 1
        if pos == n { pos = 0 }
        let oldest = load4(r, base &+ pos)            // the bar n−1 back (v itself when n = 1)
        let valid = v .== v
        since = pick(valid, since &+ 1, .zero)
        let full = since .>= SIMD4(repeating: Int64(n))
        let total = partial + v
        partial = pick(valid, pick(full, total - oldest, total), .zero)
        return pick(full, total, nan4)
    }
}

/// `ExtremeWindow` in four lanes: the largest (smallest) of the last n values, NaN unless all
/// n are numbers. Among equal values the latest is kept, as the deque does (it pops equal
/// values): a running extreme replaced by any value ≥ it (≤), rescanned oldest first with the
/// same rule when it leaves the window. Lanes fill together, so the ring is shared.
fileprivate struct ExtremeLanesO1 {
    let base: Int
    var best: SIMD4<Double>
    var age = SIMD4<Int64>(repeating: 0)               // the bar `best` entered
    var nans = SIMD4<Int64>(repeating: 0)
    init(base: Int, highest: Bool) { self.base = base; best = SIMD4(repeating: highest ? -.infinity : .infinity) }

    /// Pushes bar t's values at ring position `pos` (t mod n).
    @inline(__always)
    mutating func push(_ v: SIMD4<Double>, highest: Bool, t: Int, pos: Int, n: Int, _ r: UnsafeMutableRawPointer) -> SIMD4<Double> {
        let old = load4(r, base &+ pos)
        store4(r, base &+ pos, v)
        nans &+= ones(v .!= v)
        if t >= n { nans &-= ones(old .!= old) }
        let t64 = SIMD4<Int64>(repeating: Int64(t))
        let take = highest ? v .>= best : v .<= best
        best = pick(take, v, best); age = pick(take, t64, age)
        if t >= n, any(age .<= SIMD4(repeating: Int64(t - n))) {
            // Oldest first from the slot after `pos`; a window without numbers leaves ±∞
            // "entered now", replaced by the next number.
            var b = SIMD4<Double>(repeating: highest ? -.infinity : .infinity), a = t64
            var bar = Int64(t - n + 1)
            for s in pos + 1 ..< n {
                let x = load4(r, base &+ s)
                let k = highest ? x .>= b : x .<= b
                b = pick(k, x, b); a = pick(k, SIMD4(repeating: bar), a); bar += 1
            }
            for s in 0 ... pos {
                let x = load4(r, base &+ s)
                let k = highest ? x .>= b : x .<= b
                b = pick(k, x, b); a = pick(k, SIMD4(repeating: bar), a); bar += 1
            }
            best = b; age = a
        }
        return t >= n - 1 ? pick(nans .== 0, best, nan4) : nan4
    }
}

/// `stochasticK` per lane: 0 where the range / 100 counts as zero.
@inline(__always) fileprivate func stochasticK4(_ c: SIMD4<Double>, _ hh: SIMD4<Double>, _ ll: SIMD4<Double>) -> SIMD4<Double> {
    let diff = (hh - ll) / 100
    return pick(isZero4(diff), .zero, (c - ll) / diff)
}

// MARK: - Kernels

/// `RSIKernel` (rsi, cmo) in four lanes.
struct RSILanes: LaneKernel {
    fileprivate var rsi: RSIStep
    let cmo: Bool
    init(n: Int, cmo: Bool) { rsi = RSIStep(n: n); self.cmo = cmo }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let x = inputs[0], out = outputs[0]
        var rsi = self.rsi
        if cmo {
            for i in 0 ..< count { scatter(rsi.push(gather(x, i), cmo: true), out, i) }
        } else {
            for i in 0 ..< count { scatter(rsi.push(gather(x, i), cmo: false), out, i) }
        }
        self.rsi = rsi
    }
}

/// `MACDKernel` in four lanes: per-lane counts of valid bars drive the slow/fast seeds (both
/// ready at the lane's bar slow−1) and the signal EMA's own seed (`EMAState`).
struct MACDLanes: LaneKernel {
    let fast, slow, signal: Int
    let kFast, kSlow, kSignal: Double
    var seen = SIMD4<Int64>(repeating: 0)
    var fastSum = SIMD4<Double>.zero, slowSum = SIMD4<Double>.zero
    var fastE = SIMD4<Double>.zero, slowE = SIMD4<Double>.zero
    var sSeen = SIMD4<Int64>(repeating: 0)
    var sSum = SIMD4<Double>.zero, sValue = SIMD4<Double>(repeating: .nan)
    init(fast: Int, slow: Int, signal: Int) {
        self.fast = fast; self.slow = slow; self.signal = signal
        kFast = 2 / (Double(fast) + 1); kSlow = 2 / (Double(slow) + 1); kSignal = 2 / (Double(signal) + 1)
    }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let x = inputs[0], outM = outputs[0], outS = outputs[1], outH = outputs[2]
        let slow64 = SIMD4<Int64>(repeating: Int64(slow)), slowLast = SIMD4<Int64>(repeating: Int64(slow - 1))
        let fastFrom = SIMD4<Int64>(repeating: Int64(slow - fast)), sig64 = SIMD4<Int64>(repeating: Int64(signal))
        let dSlow = SIMD4<Double>(repeating: Double(slow)), dFast = SIMD4<Double>(repeating: Double(fast))
        let dSig = SIMD4<Double>(repeating: Double(signal))
        let kFast = SIMD4<Double>(repeating: self.kFast), kSlow = SIMD4<Double>(repeating: self.kSlow)
        let kSig = SIMD4<Double>(repeating: kSignal)
        var seen = self.seen, fastSum = self.fastSum, slowSum = self.slowSum, fastE = self.fastE, slowE = self.slowE
        var sSeen = self.sSeen, sSum = self.sSum, sValue = self.sValue
        for i in 0 ..< count {
            let v = gather(x, i)
            let valid = v .== v
            let c = seen
            seen &+= ones(valid)
            let seeding = valid .& (c .< slow64)
            slowSum = pick(seeding, slowSum + v, slowSum)
            fastSum = pick(seeding .& (c .>= fastFrom), fastSum + v, fastSum)
            let seeded = valid .& (c .== slowLast)
            slowE = pick(seeded, slowSum / dSlow, slowE); fastE = pick(seeded, fastSum / dFast, fastE)
            let updating = valid .& (c .>= slow64)
            fastE = pick(updating, (v - fastE) * kFast + fastE, fastE)
            slowE = pick(updating, (v - slowE) * kSlow + slowE, slowE)
            let m = fastE - slowE
            // signal.push(m): EMAState, skipping NaN.
            let sIn = (seeded .| updating) .& (m .== m)
            let sSeeding = sIn .& (sSeen .< sig64)
            sSum = pick(sSeeding, sSum + m, sSum)
            sSeen &+= ones(sSeeding)
            let sSeeded = sSeeding .& (sSeen .== sig64)
            sValue = pick(sSeeded, sSum / dSig, sValue)
            let sUpdating = sIn .& .!sSeeding
            sValue = pick(sUpdating, (m - sValue) * kSig + sValue, sValue)
            let s = pick(sSeeded .| sUpdating, sValue, nan4)
            let ok = s .== s
            scatter(pick(ok, m, nan4), outM, i)
            scatter(pick(ok, s, nan4), outS, i)
            scatter(pick(ok, m - s, nan4), outH, i)
        }
        self.seen = seen; self.fastSum = fastSum; self.slowSum = slowSum; self.fastE = fastE; self.slowE = slowE
        self.sSeen = sSeen; self.sSum = sSum; self.sValue = sValue
    }
}

/// `StochKernel` (stoch, stochf) in four lanes: the two extremes, %K, then one or two SMA sums.
struct StochLanes: LaneKernel {
    let n: Int
    let twoStages: Bool
    let dFirst, dSecond: Double
    fileprivate let slots: MomentumSlots
    fileprivate var highs, lows: ExtremeLanesO1
    fileprivate var first, second: WindowSumLanes
    var t = 0, pos = 0
    init(fastk: Int, smooth: [Int]) {
        n = fastk
        twoStages = smooth.count > 1
        let m1 = smooth[0], m2 = twoStages ? smooth[1] : 1
        dFirst = Double(m1); dSecond = Double(m2)
        slots = MomentumSlots(vectors: 2 * fastk + m1 + m2)
        highs = ExtremeLanesO1(base: 0, highest: true); lows = ExtremeLanesO1(base: fastk, highest: false)
        first = WindowSumLanes(n: m1, base: 2 * fastk); second = WindowSumLanes(n: m2, base: 2 * fastk + m1)
    }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let xh = inputs[0], xl = inputs[1], xc = inputs[2], outK = outputs[0], outD = outputs[1]
        let r = slots.raw, n = self.n, twoStages = self.twoStages
        let dFirst = SIMD4<Double>(repeating: self.dFirst), dSecond = SIMD4<Double>(repeating: self.dSecond)
        var highs = self.highs, lows = self.lows, first = self.first, second = self.second
        var t = self.t, pos = self.pos
        for i in 0 ..< count {
            let hh = highs.push(gather(xh, i), highest: true, t: t, pos: pos, n: n, r)
            let ll = lows.push(gather(xl, i), highest: false, t: t, pos: pos, n: n, r)
            t += 1; pos += 1
            if pos == n { pos = 0 }
            let c = gather(xc, i)
            let raw = pick((hh .!= hh) .| (ll .!= ll) .| (c .!= c), nan4, stochasticK4(c, hh, ll))
            var k = raw, d = first.push(raw, r) / dFirst
            if twoStages { k = d; d = second.push(k, r) / dSecond }
            scatter(pick(d .!= d, nan4, k), outK, i)
            scatter(d, outD, i)
        }
        self.highs = highs; self.lows = lows; self.first = first; self.second = second
        self.t = t; self.pos = pos
    }
}

/// `StochRSIKernel` in four lanes: RSI, a plain ring of it (shared fill, per-lane NaN counts)
/// whose max and min are taken slot by slot with strict comparisons as `Ring.maxValue` does,
/// %K, and the SMA sum for %D.
struct StochRSILanes: LaneKernel {
    let fastk: Int
    let dFastd: Double
    fileprivate var rsi: RSIStep
    fileprivate var fastd: WindowSumLanes
    fileprivate let slots: MomentumSlots               // fastk RSI values, then fastd for %D
    var head = 0, filled = 0
    var nans = SIMD4<Int64>(repeating: 0)
    init(n: Int, fastk: Int, fastd: Int) {
        self.fastk = fastk; dFastd = Double(fastd)
        rsi = RSIStep(n: n)
        slots = MomentumSlots(vectors: fastk + fastd)
        self.fastd = WindowSumLanes(n: fastd, base: fastk)
    }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let x = inputs[0], outK = outputs[0], outD = outputs[1]
        let r = slots.raw, n = fastk
        let dFastd = SIMD4<Double>(repeating: self.dFastd)
        let lowInf = SIMD4<Double>(repeating: -.infinity), highInf = SIMD4<Double>(repeating: .infinity)
        var rsi = self.rsi, fastd = self.fastd, head = self.head, filled = self.filled, nans = self.nans
        for i in 0 ..< count {
            let value = rsi.push(gather(x, i), cmo: false)
            // Ring.push
            nans &+= ones(value .!= value)
            if filled < n {
                store4(r, filled, value); filled += 1
            } else {
                let old = load4(r, head)
                store4(r, head, value); head += 1
                if head == n { head = 0 }
                nans &-= ones(old .!= old)
            }
            var k = nan4
            if filled == n {
                var hi = lowInf, lo = highInf
                for s in 0 ..< n {
                    let y = load4(r, s)
                    hi = pick(y .> hi, y, hi); lo = pick(y .< lo, y, lo)
                }
                k = pick(nans .== 0, stochasticK4(value, hi, lo), nan4)
            }
            let d = fastd.push(k, r) / dFastd
            scatter(pick(d .!= d, nan4, k), outK, i)
            scatter(d, outD, i)
        }
        self.rsi = rsi; self.fastd = fastd; self.head = head; self.filled = filled; self.nans = nans
    }
}

/// `CCIKernel` in four lanes. Its ring restarts after a NaN and is summed slot by slot, so
/// each lane writes its own slot (a position per lane) and the slot-order sums are plain
/// vector sums over the slots.
struct CCILanes: LaneKernel {
    let n: Int
    fileprivate let slots: MomentumSlots
    var next = SIMD4<Int64>(repeating: 0)              // each lane's next slot
    var since = SIMD4<Int64>(repeating: 0)             // values since its last NaN
    init(n: Int) { self.n = n; slots = MomentumSlots(vectors: n) }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let xh = inputs[0], xl = inputs[1], xc = inputs[2], out = outputs[0]
        let r = slots.raw, n = self.n
        let n64 = SIMD4<Int64>(repeating: Int64(n)), dn = SIMD4<Double>(repeating: Double(n))
        let scale = SIMD4<Double>(repeating: 0.015)
        var next = self.next, since = self.since
        for i in 0 ..< count {
            let tp = (gather(xh, i) + gather(xl, i) + gather(xc, i)) / 3
            let valid = tp .== tp
            // A NaN lane restarts at slot 0 and refills every slot before it is read again,
            // so writing its NaN here is harmless.
            storeLanes(r, next, tp)
            next = pick(valid, advance(next, n64), .zero)
            since = pick(valid, since &+ 1, .zero)
            let full = since .>= n64
            guard any(full) else { scatter(nan4, out, i); continue }
            var mean = SIMD4<Double>.zero
            for s in 0 ..< n { mean += load4(r, s) }
            mean /= dn
            var dev = SIMD4<Double>.zero
            for s in 0 ..< n { dev += abs4(load4(r, s) - mean) }
            let num = tp - mean
            let cci = pick(isZero4(num) .| isZero4(dev), .zero, num / (scale * (dev / dn)))
            scatter(pick(full, cci, nan4), out, i)
        }
        self.next = next; self.since = since
    }
}

/// `WillRKernel` in four lanes.
struct WillRLanes: LaneKernel {
    let n: Int
    fileprivate let slots: MomentumSlots
    fileprivate var highs, lows: ExtremeLanesO1
    var t = 0, pos = 0
    init(n: Int) {
        self.n = n; slots = MomentumSlots(vectors: 2 * n)
        highs = ExtremeLanesO1(base: 0, highest: true); lows = ExtremeLanesO1(base: n, highest: false)
    }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let xh = inputs[0], xl = inputs[1], xc = inputs[2], out = outputs[0]
        let r = slots.raw, n = self.n
        var highs = self.highs, lows = self.lows, t = self.t, pos = self.pos
        for i in 0 ..< count {
            let hh = highs.push(gather(xh, i), highest: true, t: t, pos: pos, n: n, r)
            let ll = lows.push(gather(xl, i), highest: false, t: t, pos: pos, n: n, r)
            t += 1; pos += 1
            if pos == n { pos = 0 }
            let c = gather(xc, i)
            let diff = (hh - ll) / -100
            let w = pick(isZero4(diff), .zero, (hh - c) / diff)
            scatter(pick((hh .!= hh) .| (ll .!= ll) .| (c .!= c), nan4, w), out, i)
        }
        self.highs = highs; self.lows = lows; self.t = t; self.pos = pos
    }
}

/// `LagKernel` (mom, roc, rocp) in four lanes: a plain ring, shared by the lanes.
struct LagLanes: LaneKernel {
    enum Mode { case mom, roc, rocp }
    let n: Int
    let mode: Mode
    fileprivate let slots: MomentumSlots
    var head = 0, filled = 0
    init(n: Int, mode: Mode) { self.n = n; self.mode = mode; slots = MomentumSlots(vectors: n) }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let x = inputs[0], out = outputs[0]
        let r = slots.raw, n = self.n
        var head = self.head, filled = self.filled, i = 0
        // Filling: no value n bars back yet.
        while i < count && filled < n { store4(r, filled, gather(x, i)); filled += 1; scatter(nan4, out, i); i += 1 }
        switch mode {
        case .mom:
            while i < count {
                let v = gather(x, i), old = load4(r, head)
                store4(r, head, v); head += 1
                if head == n { head = 0 }
                scatter(pick((v .== v) .& (old .== old), v - old, nan4), out, i); i += 1
            }
        case .roc:
            while i < count {
                let v = gather(x, i), old = load4(r, head)
                store4(r, head, v); head += 1
                if head == n { head = 0 }
                let roc = pick(old .!= .zero, (v / old - 1) * 100, .zero)
                scatter(pick((v .== v) .& (old .== old), roc, nan4), out, i); i += 1
            }
        case .rocp:
            while i < count {
                let v = gather(x, i), old = load4(r, head)
                store4(r, head, v); head += 1
                if head == n { head = 0 }
                let rocp = pick(old .!= .zero, (v - old) / old, .zero)
                scatter(pick((v .== v) .& (old .== old), rocp, nan4), out, i); i += 1
            }
        }
        self.head = head; self.filled = filled
    }
}

/// `MFIKernel` in four lanes. Its rings take only a lane's valid bars, so each lane has its
/// own position: the oldest flows are gathered lane by lane and the new ones stored the same
/// way (a lane that does not move stores its oldest value back).
struct MFILanes: LaneKernel {
    let n: Int
    fileprivate let slots: MomentumSlots               // n positive flows, then n negative
    var seen = SIMD4<Int64>(repeating: 0)
    var next = SIMD4<Int64>(repeating: 0)              // each lane's oldest slot once full
    var filled = SIMD4<Int64>(repeating: 0)
    var prevTP = SIMD4<Double>.zero
    var posSum = SIMD4<Double>.zero, negSum = SIMD4<Double>.zero
    init(n: Int) { self.n = n; slots = MomentumSlots(vectors: 2 * n) }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let xh = inputs[0], xl = inputs[1], xc = inputs[2], xv = inputs[3], out = outputs[0]
        let rp = slots.raw, rn = slots.raw + 32 * n
        let n64 = SIMD4<Int64>(repeating: Int64(n)), one = SIMD4<Double>(repeating: 1)
        var seen = self.seen, next = self.next, filled = self.filled, prevTP = self.prevTP
        var posSum = self.posSum, negSum = self.negSum
        for i in 0 ..< count {
            let h = gather(xh, i), l = gather(xl, i), c = gather(xc, i), vol = gather(xv, i)
            let valid = (h .== h) .& (l .== l) .& (c .== c) .& (vol .== vol)
            let tp = (h + l + c) / 3
            let t = seen
            seen &+= ones(valid)
            let moving = valid .& (t .> 0)
            let full = filled .== n64
            let oldP = loadLanes(rp, next), oldN = loadLanes(rn, next)
            let p0 = pick(full, posSum - oldP, posSum), n0 = pick(full, negSum - oldN, negSum)
            let change = tp - prevTP
            let flow = tp * vol
            let p = pick(change .> 0, flow, .zero), m = pick(change .< 0, flow, .zero)
            posSum = pick(moving, p0 + p, posSum); negSum = pick(moving, n0 + m, negSum)
            storeLanes(rp, next, pick(moving, p, oldP)); storeLanes(rn, next, pick(moving, m, oldN))
            next = pick(moving, advance(next, n64), next)
            filled = pick(moving .& .!full, filled &+ 1, filled)
            prevTP = pick(valid, tp, prevTP)
            let total = posSum + negSum
            let mfi = pick(total .< one, .zero, 100 * (posSum / total))
            scatter(pick(moving .& (t .>= n64), mfi, nan4), out, i)
        }
        self.seen = seen; self.next = next; self.filled = filled; self.prevTP = prevTP
        self.posSum = posSum; self.negSum = negSum
    }
}

/// `DMKernel` (adx, dx, plus_di, minus_di, plus_dm, minus_dm) in four lanes: per-lane counts
/// of valid bars select the plain sums (t < n), Wilder's sums, and ADX's seed and average.
struct DMLanes: LaneKernel {
    enum Mode { case plusDM, minusDM, plusDI, minusDI, dx, adx }
    let n: Int
    let mode: Mode
    var seen = SIMD4<Int64>(repeating: 0)
    var prevHigh = SIMD4<Double>.zero, prevLow = SIMD4<Double>.zero, prevClose = SIMD4<Double>.zero
    var sumP = SIMD4<Double>.zero, sumM = SIMD4<Double>.zero, sumTR = SIMD4<Double>.zero
    var lastDX = SIMD4<Double>.zero, sumDX = SIMD4<Double>.zero, adx = SIMD4<Double>.zero
    init(n: Int, mode: Mode) { self.n = n; self.mode = mode }

    mutating func run(_ inputs: UnsafePointer<Lanes4<UnsafePointer<Double>>>,
                      _ outputs: UnsafePointer<Lanes4<UnsafeMutablePointer<Double>>>, count: Int) {
        let usesClose = mode != .plusDM && mode != .minusDM
        let xh = inputs[0], xl = inputs[1], xc = usesClose ? inputs[2] : inputs[0], out = outputs[0]
        let n64 = SIMD4<Int64>(repeating: Int64(n)), nLast = SIMD4<Int64>(repeating: Int64(n - 1))
        let seedLast = SIMD4<Int64>(repeating: Int64(2 * n - 1))
        let dn = SIMD4<Double>(repeating: Double(n)), dn1 = SIMD4<Double>(repeating: Double(n) - 1)
        let zero = SIMD4<Double>.zero, hundred = SIMD4<Double>(repeating: 100)
        let mode = self.mode
        var seen = self.seen, prevHigh = self.prevHigh, prevLow = self.prevLow, prevClose = self.prevClose
        var sumP = self.sumP, sumM = self.sumM, sumTR = self.sumTR
        var lastDX = self.lastDX, sumDX = self.sumDX, adx = self.adx
        for i in 0 ..< count {
            let h = gather(xh, i), l = gather(xl, i), c = usesClose ? gather(xc, i) : zero
            let valid = (h .== h) .& (l .== l) .& (c .== c)
            let t = seen
            seen &+= ones(valid)
            let moving = valid .& (t .> 0)
            let diffP = h - prevHigh, diffM = prevLow - l
            let plus = pick((diffP .> 0) .& (diffP .> diffM), diffP, zero)
            let minus = pick((diffM .> 0) .& (diffP .< diffM), diffM, zero)
            var tr = zero
            if usesClose {
                // TA.trueRange
                tr = h - l
                let a = abs4(h - prevClose)
                tr = pick(a .> tr, a, tr)
                let b = abs4(l - prevClose)
                tr = pick(b .> tr, b, tr)
            }
            prevHigh = pick(valid, h, prevHigh); prevLow = pick(valid, l, prevLow); prevClose = pick(valid, c, prevClose)
            let early = t .< n64
            sumP = pick(moving, pick(early, sumP + plus, sumP - sumP / dn + plus), sumP)
            sumM = pick(moving, pick(early, sumM + minus, sumM - sumM / dn + minus), sumM)
            sumTR = pick(moving, pick(early, sumTR + tr, sumTR - sumTR / dn + tr), sumTR)
            let late = moving .& .!early
            var value = nan4
            switch mode {
            case .plusDM, .minusDM:
                let s = mode == .plusDM ? sumP : sumM
                value = pick(late .| (moving .& (t .== nLast)), s, nan4)
            case .plusDI, .minusDI:
                let s = mode == .plusDI ? sumP : sumM
                value = pick(late, pick(isZero4(sumTR), zero, 100 * (s / sumTR)), nan4)
            case .dx, .adx:
                let minusDI = hundred * (sumM / sumTR), plusDI = hundred * (sumP / sumTR)
                let sum = minusDI + plusDI
                let dx = hundred * (abs4(minusDI - plusDI) / sum)
                let defined = .!isZero4(sumTR) .& .!isZero4(sum)
                if mode == .dx {
                    lastDX = pick(late .& defined, dx, lastDX)
                    value = pick(late, lastDX, nan4)
                } else {
                    let seeding = late .& (t .<= seedLast)
                    sumDX = pick(seeding, sumDX + pick(defined, dx, zero), sumDX)
                    let seeded = late .& (t .== seedLast)
                    adx = pick(seeded, sumDX / dn, adx)
                    let averaging = late .& (t .> seedLast)
                    adx = pick(averaging .& defined, (adx * dn1 + dx) / dn, adx)
                    value = pick(seeded .| averaging, adx, nan4)
                }
            }
            scatter(value, out, i)
        }
        self.seen = seen; self.prevHigh = prevHigh; self.prevLow = prevLow; self.prevClose = prevClose
        self.sumP = sumP; self.sumM = sumM; self.sumTR = sumTR
        self.lastDX = lastDX; self.sumDX = sumDX; self.adx = adx
    }
}
