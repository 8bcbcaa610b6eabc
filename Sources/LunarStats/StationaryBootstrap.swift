import Foundation
import LunarData

/// Politis & Romano's stationary bootstrap: resamples of a return series made of blocks that
/// start at uniform random positions (wrapping around) with geometric lengths of mean `block`.
/// Seeded (SplitMix64), so the same seed gives the same intervals.
public struct StationaryBootstrap: Sendable {
    public let block: Double
    public let seed: UInt64

    public init(block: Double, seed: UInt64 = 42) { self.block = max(1, block); self.seed = seed }

    /// The automatic mean block length of Politis & White (2004) with the correction of Patton,
    /// Politis & White (2009): b = (2ĝ² / d̂)^{1/3}·n^{1/3}, d̂ = 2·σ̂⁴, with ĝ and σ̂² sums of
    /// autocovariances under the flat-top kernel h(x) = min(1, 2(1 − |x|)) up to lag M = 2m̂,
    /// m̂ the first lag after which k_n = max(5, ⌊log₁₀ n⌋) autocorrelations lie within
    /// ±2√(log₁₀ n / n) (at most ⌈√n⌉ + k_n); b is capped at ⌈min(3√n, n/3)⌉. The tuning
    /// follows Patton's program as the `arch` package does, and matches it (tests).
    public static func optimalBlock(_ x: [Double]) -> Double {
        let n = x.count
        guard n >= 4 else { return 1 }
        let mean = x.reduce(0, +) / Double(n)
        let e = x.map { $0 - mean }
        let cap = ceil(min(3 * Double(n).squareRoot(), Double(n) / 3))
        let kn = max(5, Int(log10(Double(n))))
        let mMax = Int(ceil(Double(n).squareRoot())) + kn
        let band = 2 * (log10(Double(n)) / Double(n)).squareRoot()
        var acv = [Double](repeating: 0, count: mMax + 1), acorr = acv
        var first: Int? = nil
        func dot(_ a: Range<Int>, _ shift: Int) -> Double { var s = 0.0; for i in a where i - shift >= 0 && i - shift < n { s += e[i] * e[i - shift] }; return s }
        for lag in 0 ... mMax where lag < n {
            let cross = dot(lag ..< n, lag)
            // The autocorrelation's normalization: the two overlapping tails, one step shorter.
            var v1 = 0.0, v2 = 0.0
            for i in (lag + 1) ..< max(lag + 1, n) { v1 += e[i] * e[i] }
            for i in 0 ..< max(0, n - lag - 1) { v2 += e[i] * e[i] }
            acv[lag] = cross / Double(n)
            acorr[lag] = abs(cross) / (v1 * v2).squareRoot()
            if lag >= kn && first == nil && acorr[(lag - kn) ..< lag].allSatisfy({ $0 < band }) { first = lag - kn }
        }
        let m = min(first.map { 2 * max($0, 1) } ?? mMax, mMax)
        var g = 0.0, longRun = acv[0]
        for k in 1 ... max(1, m) where k <= mMax {
            let h = Double(k) / Double(m) <= 0.5 ? 1 : 2 * (1 - Double(k) / Double(m))
            g += 2 * h * Double(k) * acv[k]
            longRun += 2 * h * acv[k]
        }
        let d = 2 * longRun * longRun
        guard d > 0 else { return 1 }
        return min(pow(2 * g * g / d, 1.0 / 3) * pow(Double(n), 1.0 / 3), cap)
    }

    /// `count` resamples of the indices 0..<n.
    public func indices(n: Int, count: Int) -> [[Int]] {
        var rng = SplitMix64(seed: seed)
        let p = 1 / block
        return (0 ..< count).map { _ in
            var out = [Int](), i = rng.below(n)
            out.reserveCapacity(n)
            for _ in 0 ..< n {
                out.append(i)
                i = rng.nextUnit() < p ? rng.below(n) : (i + 1) % n
            }
            return out
        }
    }

    /// The percentile interval of `statistic` over `resamples` resamples of `returns`.
    public func interval(_ returns: [Double], level: Double = 0.9, resamples: Int = 1000,
                         statistic: ([Double]) -> Double) -> (low: Double, high: Double) {
        let values = indices(n: returns.count, count: resamples).map { idx in statistic(idx.map { returns[$0] }) }
            .filter { !$0.isNaN }.sorted()
        guard !values.isEmpty else { return (.nan, .nan) }
        func q(_ p: Double) -> Double {
            // Linear interpolation between order statistics (numpy's default).
            let h = p * Double(values.count - 1), lo = Int(h.rounded(.down))
            return lo + 1 < values.count ? values[lo] + (h - Double(lo)) * (values[lo + 1] - values[lo]) : values[lo]
        }
        return (q((1 - level) / 2), q((1 + level) / 2))
    }
}
