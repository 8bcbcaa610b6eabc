import Foundation

/// The deterministic synthetic universe: geometric Brownian motion with per-symbol drift and
/// volatility, valid OHLC, business-day calendar. The same (symbols, bars, seed) gives the same
/// bits on every machine (own RNG, no platform random source).
public enum Synthetic {
    public static let defaultSymbols = 500
    public static let defaultBars = 2520
    public static let defaultSeed: UInt64 = 42

    /// Parses `synthetic` or `synthetic:N:T[:SEED]`; nil when `spec` names something else.
    /// - Parameter checkingSize: refuse a universe larger than memory (not when it is written
    ///   tile by tile, as `lunar data import` does).
    public static func parseSpec(_ spec: String, checkingSize: Bool = true) throws -> (symbols: Int, bars: Int, seed: UInt64)? {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.first == "synthetic" else { return nil }
        if parts.count == 1 { return (defaultSymbols, defaultBars, defaultSeed) }
        guard parts.count == 3 || parts.count == 4,
              let n = Int(parts[1]), let t = Int(parts[2]), n >= 1, t >= 1,
              parts.count == 3 || UInt64(parts[3]) != nil else {
            throw DataError.invalid("bad synthetic spec '\(spec)': use synthetic or synthetic:SYMBOLS:BARS[:SEED], e.g. synthetic:100:2520:7")
        }
        if checkingSize { try checkSize(symbols: n, bars: t) }
        return (n, t, parts.count == 4 ? UInt64(parts[3])! : defaultSeed)
    }

    /// Refuses a universe whose five fields of doubles cannot fit in this machine's memory,
    /// before anything is allocated.
    public static func checkSize(symbols n: Int, bars t: Int) throws {
        let memory = Double(ProcessInfo.processInfo.physicalMemory)
        let bytes = Double(n) * Double(t) * 5 * 8
        guard bytes > memory else { return }
        throw DataError.invalid("a synthetic universe of \(n) × \(t) needs " +
            String(format: "%.1f GiB of memory; this machine has %.1f GiB", bytes / 1_073_741_824, memory / 1_073_741_824))
    }

    public static func symbolName(_ i: Int, of n: Int) -> String {
        let width = max(4, String(n - 1).count)
        let digits = String(i)
        return "S" + String(repeating: "0", count: width - digits.count) + digits
    }

    /// Business days (Monday–Friday) starting 2015-01-02, as UTC midnights.
    public static func calendar(bars: Int) -> [Int64] {
        var out: [Int64] = []
        out.reserveCapacity(bars)
        var day = Calendar.daysFromCivil(2015, 1, 2)
        while out.count < bars {
            if Calendar.weekday(days: day) < 5 { out.append(day * 86_400) }
            day += 1
        }
        return out
    }

    /// - Parameter bankrupt: the fraction of symbols that go bankrupt: over up to 120 bars their
    ///   price falls to about 1 % of where it was, then they are delisted at 0 (the universe's
    ///   delistings say so). The other symbols' data are the same bits as without bankruptcies,
    ///   so survivors-only and full-universe runs differ by the bankrupt symbols alone.
    public static func panel(symbols n: Int, bars t: Int, seed: UInt64 = defaultSeed, bankrupt: Double = 0) -> Panel {
        var (open, high, low, close, volume) = prices(0 ..< n, bars: t, seed: seed)
        let symbols = (0 ..< n).map { symbolName($0, of: n) }
        let stamps = calendar(bars: t)
        var delistings: [String: Universe.Delisting] = [:]
        if bankrupt > 0 && t >= 6 {
            var rng = SplitMix64(seed: seed ^ 0xB4E4_C2D1_0BAD_F00D)
            var order = Array(0 ..< n)
            let k = min(n, Int((bankrupt * Double(n)).rounded()))
            for i in 0 ..< k {
                // A partial Fisher–Yates shuffle picks k distinct symbols.
                let j = i + Int(rng.nextUnit() * Double(n - i))
                order.swapAt(i, j)
                let s = order[i]
                let last = t / 3 + Int(rng.nextUnit() * Double(t - 2 - t / 3))
                let start = max(1, last - 120)
                let fall = log(0.01) / Double(last - start + 1)
                for b in start ... last {
                    let f = exp(fall * Double(b - start + 1))
                    let idx = s * t + b
                    open[idx] *= f; high[idx] *= f; low[idx] *= f; close[idx] *= f
                }
                for b in last + 1 ..< t {
                    let idx = s * t + b
                    open[idx] = .nan; high[idx] = .nan; low[idx] = .nan; close[idx] = .nan; volume[idx] = .nan
                }
                delistings[symbols[s]] = Universe.Delisting(date: stamps[last], price: 0)
            }
        }
        var panel = try! Panel(symbols: symbols, timestamps: stamps,
                               fields: ["open": open, "high": high, "low": low, "close": close, "volume": volume])
        panel.universe = Universe(delistings: delistings)
        return panel
    }


    /// Symbols `range` of the universe of `n` (no bankruptcies): the same bits as those rows of
    /// `panel(symbols: n, …)`, since each symbol has its own random stream. What `lunar data
    /// import synthetic:…` writes tile by tile, so a universe larger than memory can be made.
    public static func tile(_ range: Range<Int>, of n: Int, bars t: Int, seed: UInt64 = defaultSeed) -> Panel {
        let (open, high, low, close, volume) = prices(range, bars: t, seed: seed)
        return try! Panel(symbols: range.map { symbolName($0, of: n) }, timestamps: calendar(bars: t),
                          fields: ["open": open, "high": high, "low": low, "close": close, "volume": volume])
    }

    /// Open, high, low, close and volume of symbols `range`, symbol-major.
    static func prices(_ range: Range<Int>, bars t: Int, seed: UInt64)
        -> (open: [Double], high: [Double], low: [Double], close: [Double], volume: [Double]) {
        var open = [Double](repeating: 0, count: range.count * t)
        var high = open, low = open, close = open, volume = open
        let dt = 1.0 / 252
        for s in range {
            var rng = SplitMix64(seed: seed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(s + 1))
            let mu = -0.10 + 0.35 * rng.nextUnit()          // annual drift in [-0.10, 0.25]
            let sigma = 0.15 + 0.45 * rng.nextUnit()        // annual vol in [0.15, 0.60]
            var price = 20 + 180 * rng.nextUnit()
            let baseVolume = 1e5 * (1 + 20 * rng.nextUnit())
            let drift = (mu - 0.5 * sigma * sigma) * dt
            let scale = sigma * dt.squareRoot()
            for i in 0 ..< t {
                let o = price * exp(0.2 * scale * rng.nextGaussian())   // overnight gap
                let c = o * exp(drift + 0.98 * scale * rng.nextGaussian())
                let h = max(o, c) * exp(0.5 * scale * abs(rng.nextGaussian()))
                let l = min(o, c) * exp(-0.5 * scale * abs(rng.nextGaussian()))
                let k = (s - range.lowerBound) * t + i
                open[k] = o; high[k] = h; low[k] = l; close[k] = c
                volume[k] = (baseVolume * exp(0.3 * rng.nextGaussian())).rounded()
                price = c
            }
        }
        return (open, high, low, close, volume)
    }
}

/// SplitMix64: tiny, fast, and the same everywhere.
public struct SplitMix64: Sendable {
    private var state: UInt64
    private var spare: Double? = nil
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1.0p-53 }
    /// Uniform in 0..<n (n ≥ 1; the modulo bias is below 2⁻⁴⁰ for any n a sweep or bootstrap uses).
    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    /// Standard normal (Box–Muller, polar form).
    public mutating func nextGaussian() -> Double {
        if let s = spare { spare = nil; return s }
        while true {
            let u = 2 * nextUnit() - 1, v = 2 * nextUnit() - 1
            let r = u * u + v * v
            if r > 0 && r < 1 {
                let f = (-2 * log(r) / r).squareRoot()
                spare = v * f
                return u * f
            }
        }
    }
}
