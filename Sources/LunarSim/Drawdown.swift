/// The deepest fall from a running peak (v / peak − 1, ≤ 0) and the longest stretch of bars
/// below a previous peak, one bar at a time: the simulator keeps one beside each curve it
/// writes, so the metrics need no pass of their own. NaN values are skipped; a value equal
/// to the peak is at the peak.
struct Drawdown: Sendable, Equatable {
    var peak = -Double.infinity, peakBar = 0
    var deepest = 0.0, longest = 0
    /// (1 + deepest)(1 + 1e-12): only a value below peak × bound may set a new deepest fall
    /// (the slack covers rounding), and only one unlike the bar before (a repeated value has
    /// its fall already seen; a curve resting at its low repeats on every bar).
    var bound = 1 + 1e-12
    var previous = Double.nan


    @inline(__always)
    mutating func add(_ v: Double, bar i: Int) {
        // Selects rather than branches for the peak (whether a bar sets one is hard to
        // predict): `v > peak ? v : peak` is one max instruction and keeps the peak at NaN.
        peakBar = v >= peak ? i : peakBar
        peak = v > peak ? v : peak
        longest = max(longest, i - peakBar)
        if v < peak * bound && v != previous {
            let dd = v / peak - 1
            if dd < deepest { deepest = dd; bound = (1 + deepest) * (1 + 1e-12) }
        }
        previous = v
    }

    /// Adds bars `range` of a curve that holds `v` on each of them (a flat account's cash):
    /// what adding them one by one does. After the first, a repeated value sets no new fall
    /// (it equals the bar before) and no new peak; it only moves the peak's bar (at the peak)
    /// or lengthens the stretch below it.
    mutating func add(constant v: Double, bars range: Range<Int>) {
        guard let first = range.first else { return }
        add(v, bar: first)
        let last = range.upperBound - 1
        guard last > first else { return }
        if v >= peak { peakBar = last } else { longest = max(longest, last - peakBar) }
    }

    /// Adds bars `range` of the curve `e`, in order; every bar before the range must have been
    /// added already.
    mutating func add(_ e: UnsafePointer<Double>, bars range: Range<Int>) {
        var t = range.lowerBound
        let end = range.upperBound
        while t < end {
            // A block of eight bars with no new peak and no candidate low changes only the
            // duration: the common case once the curve has had its first falls.
            if t + 8 <= end && t > 0 {
                // Two lanes at a time (what baseline x86-64 has); `all` on wider masks is slow.
                let p = SIMD2(repeating: peak), l = SIMD2(repeating: peak * bound)
                let raw = UnsafeRawPointer(e + t)
                var quiet = SIMDMask<SIMD2<Int64>>(repeating: true)
                for k in 0 ..< 4 {
                    let v = raw.loadUnaligned(fromByteOffset: 16 * k, as: SIMD2<Double>.self)
                    let before = raw.loadUnaligned(fromByteOffset: 16 * k - 8, as: SIMD2<Double>.self)
                    quiet .&= (v .< p) .& ((v .>= l) .| (v .== before))
                }
                if quiet[0] && quiet[1] {
                    longest = max(longest, t + 7 - peakBar)
                    previous = e[t + 7]
                    t += 8
                    continue
                }
            }
            for i in t ..< min(end, t + 8) { add(e[i], bar: i) }
            t += 8
        }
    }
}
