/// The deepest fall from a running peak (v / peak − 1, ≤ 0) and the longest stretch of bars
/// below a previous peak, one bar at a time: the simulator keeps one beside each curve it
/// writes, so the metrics need no pass of their own. NaN values are skipped; a value equal
/// to the peak is at the peak.
public struct Drawdown: Sendable, Equatable {
    var peak = -Double.infinity, peakBar = 0
    var deepest = 0.0, longest = 0
    /// (1 + deepest)(1 + 1e-12): only a value below peak × bound may set a new deepest fall
    /// (the slack covers rounding), and only one unlike the bar before (a repeated value has
    /// its fall already seen; a curve resting at its low repeats on every bar).
    var bound = 1 + 1e-12
    var previous = Double.nan

    public init() {}

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
}
