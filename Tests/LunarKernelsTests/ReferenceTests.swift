import Foundation
import Testing
import LunarKernels

/// Indicators TA-Lib lacks, checked against straightforward implementations of their published
/// definitions on the golden input series (s2 starts with NaN bars, s3 has flat stretches).
@Suite("Reference implementations")
struct ReferenceTests {
    // MARK: - plain definitions, for series without interior NaN

    /// Runs `body` on the bars after the leading NaNs and pads the result back.
    static func trimmed(_ inputs: [[Double]], _ body: ([[Double]]) -> [[Double]]) -> [[Double]] {
        let T = inputs[0].count
        let start = (0 ..< T).first { t in inputs.allSatisfy { !$0[t].isNaN } } ?? T
        let out = body(inputs.map { Array($0[start...]) })
        return out.map { [Double](repeating: .nan, count: start) + $0 }
    }

    static func sma(_ x: [Double], _ n: Int) -> [Double] {
        x.indices.map { t in t < n - 1 ? .nan : x[(t - n + 1) ... t].reduce(0, +) / Double(n) }
    }

    static func wma(_ x: [Double], _ n: Int) -> [Double] {
        x.indices.map { t in
            guard t >= n - 1 else { return .nan }
            var s = 0.0
            for i in 1 ... n { s += Double(i) * x[t - n + i] }
            return s / Double(n * (n + 1) / 2)
        }
    }

    /// NaN-aware: a window holding a NaN gives NaN.
    static func window(_ x: [Double], _ t: Int, _ n: Int) -> [Double]? {
        guard t - n + 1 >= 0 else { return nil }
        let w = Array(x[(t - n + 1) ... t])
        return w.contains { $0.isNaN } ? nil : w
    }

    /// A recursive average seeded with the mean of the first n values, then a += α(x − a).
    static func seededAverage(_ x: [Double], _ n: Int, alpha: Double) -> [Double] {
        var out = [Double](repeating: .nan, count: x.count)
        guard x.count >= n else { return out }
        var a = x[0 ..< n].reduce(0, +) / Double(n)
        out[n - 1] = a
        for t in n ..< x.count { a += alpha * (x[t] - a); out[t] = a }
        return out
    }

    static func atr(_ h: [Double], _ l: [Double], _ c: [Double], _ n: Int) -> [Double] {
        let tr = h.indices.map { t in t == 0 ? Double.nan : max(h[t], c[t - 1]) - min(l[t], c[t - 1]) }
        return [.nan] + seededAverage(Array(tr.dropFirst()), n, alpha: 1 / Double(n))
    }

    /// TradingView's `pine_supertrend`, transcribed; direction flipped to +1 = up.
    static func supertrend(_ h: [Double], _ l: [Double], _ c: [Double], _ n: Int, _ factor: Double) -> [[Double]] {
        let a = atr(h, l, c, n)
        var st = [Double](repeating: .nan, count: c.count), dir = st
        var prevUpper = Double.nan, prevLower = Double.nan
        for t in c.indices where !a[t].isNaN {
            let src = (h[t] + l[t]) / 2
            var upper = src + factor * a[t], lower = src - factor * a[t]
            let pl = prevLower.isNaN ? 0 : prevLower, pu = prevUpper.isNaN ? 0 : prevUpper
            let prevClose = t > 0 ? c[t - 1] : .nan
            lower = lower > pl || prevClose < pl ? lower : pl
            upper = upper < pu || prevClose > pu ? upper : pu
            let tvDirection: Double
            if t == 0 || a[t - 1].isNaN { tvDirection = 1 }
            else if st[t - 1] == prevUpper { tvDirection = c[t] > upper ? -1 : 1 }
            else { tvDirection = c[t] < lower ? 1 : -1 }
            st[t] = tvDirection == -1 ? lower : upper
            dir[t] = -tvDirection
            prevUpper = upper; prevLower = lower
        }
        return [st, dir]
    }

    // MARK: - comparison

    static func check(_ name: String, _ params: [Double], inputs: [String], bool: Bool = false,
                      reference: ([[Double]]) -> [[Double]]) {
        let spec = Registry.spec(name)!
        for series in Golden.seriesNames {
            var x = inputs.map { Golden.input[series]![$0]! }
            if bool {
                // A bool condition from the data: the close rose, NaN where unknown.
                let c = x[0]
                x[0] = c.indices.map { t in t == 0 || c[t].isNaN || c[t - 1].isNaN ? .nan : (c[t] > c[t - 1] ? 1 : 0) }
            }
            let got = Harness.run(spec, params, x)
            let want = reference(x)
            for k in want.indices {
                #expect(want[k].contains { !$0.isNaN }, "\(name) \(series): the reference is all NaN")
                let bad = want[k].indices.filter { !close(got[k][$0], want[k][$0]) }
                #expect(bad.isEmpty, "\(name)\(params).\(spec.outputs[k].name) \(series): first mismatch at \(bad.first.map { "\($0): lunar \(got[k][$0]), reference \(want[k][$0])" } ?? "")")
            }
        }
    }

    // MARK: - the tests

    @Test(arguments: [2, 5, 14])
    func rma(_ n: Int) {
        Self.check("rma", [Double(n)], inputs: ["close"]) { x in
            Self.trimmed(x) { [Self.seededAverage($0[0], n, alpha: 1 / Double(n))] }
        }
    }

    @Test(arguments: [2, 4, 9, 16, 20])
    func hma(_ n: Int) {
        Self.check("hma", [Double(n)], inputs: ["close"]) { x in
            Self.trimmed(x) { x in
                let a = Self.wma(x[0], n / 2), b = Self.wma(x[0], n)
                let diff = zip(a, b).map { 2 * $0 - $1 }
                let m = Int(Double(n).squareRoot())
                // The outer WMA starts once the inner series is defined.
                let start = n - 1
                let inner = Self.wma(Array(diff[start...]), m)
                return [[Double](repeating: .nan, count: start) + inner]
            }
        }
    }

    @Test(arguments: [1, 3, 20])
    func vwma(_ n: Int) {
        Self.check("vwma", [Double(n)], inputs: ["close", "volume"]) { x in
            [x[0].indices.map { t in
                guard let p = Self.window(x[0], t, n), let v = Self.window(x[1], t, n) else { return .nan }
                return zip(p, v).map(*).reduce(0, +) / v.reduce(0, +)
            }]
        }
    }

    @Test(arguments: [1, 5, 20])
    func donchian(_ n: Int) {
        Self.check("donchian", [Double(n)], inputs: ["high", "low"]) { x in
            let up = x[0].indices.map { t in Self.window(x[0], t, n)?.max() ?? .nan }
            let lo = x[1].indices.map { t in Self.window(x[1], t, n)?.min() ?? .nan }
            return [up, zip(up, lo).map { ($0 + $1) / 2 }, lo]
        }
    }

    @Test(arguments: [[20.0, 2, 10], [5, 1.5, 3], [2, 2, 14]])
    func keltner(_ p: [Double]) {
        Self.check("keltner", p, inputs: ["high", "low", "close"]) { x in
            Self.trimmed(x) { x in
                let mid = Self.seededAverage(x[2], Int(p[0]), alpha: 2 / (p[0] + 1))
                let a = Self.atr(x[0], x[1], x[2], Int(p[2]))
                let up = zip(mid, a).map { $0 + p[1] * $1 }, lo = zip(mid, a).map { $0 - p[1] * $1 }
                let valid = mid.indices.map { !mid[$0].isNaN && !a[$0].isNaN }
                return [up, mid, lo].map { s in s.indices.map { valid[$0] ? s[$0] : .nan } }
            }
        }
    }

    @Test(arguments: [[10.0, 3], [7, 2], [2, 1]])
    func supertrend(_ p: [Double]) {
        Self.check("supertrend", p, inputs: ["high", "low", "close"]) { x in
            Self.trimmed(x) { Self.supertrend($0[0], $0[1], $0[2], Int(p[0]), p[1]) }
        }
    }

    @Test(arguments: [1, 5, 14])
    func percentrank(_ n: Int) {
        Self.check("percentrank", [Double(n)], inputs: ["close"]) { x in
            [x[0].indices.map { t in
                guard let w = Self.window(x[0], t, n + 1) else { return .nan }
                return 100 * Double(w.dropLast().filter { $0 <= w.last! }.count) / Double(n)
            }]
        }
    }

    @Test(arguments: [2, 5, 30])
    func rollzscore(_ n: Int) {
        Self.check("rollzscore", [Double(n)], inputs: ["close"]) { x in
            [x[0].indices.map { t in
                guard let w = Self.window(x[0], t, n) else { return .nan }
                let mean = w.reduce(0, +) / Double(n)
                let sd = (w.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)).squareRoot()
                return sd == 0 ? 0 : (x[0][t] - mean) / sd
            }]
        }
    }

    @Test(arguments: [1, 3, 14])
    func extremeBars(_ n: Int) {
        for (name, highest) in [("highestbars", true), ("lowestbars", false)] {
            Self.check(name, [Double(n)], inputs: ["close"]) { x in
                [x[0].indices.map { t in
                    guard let w = Self.window(x[0], t, n) else { return .nan }
                    let best = highest ? w.max()! : w.min()!
                    return Double(n - 1 - w.lastIndex(of: best)!)
                }]
            }
        }
    }

    @Test func cumsum() {
        Self.check("cumsum", [], inputs: ["volume"]) { x in
            var total = 0.0
            return [x[0].map { v in if v.isNaN { return .nan }; total += v; return total }]
        }
    }

    @Test func barssince() {
        Self.check("barssince", [], inputs: ["close"], bool: true) { x in
            [x[0].indices.map { t in
                guard !x[0][t].isNaN, let j = (0 ... t).last(where: { x[0][$0] == 1 }) else { return .nan }
                return Double(t - j)
            }]
        }
    }

    @Test(arguments: [0, 1, 3])
    func valuewhen(_ k: Int) {
        Self.check("valuewhen", [Double(k)], inputs: ["close", "high"], bool: true) { x in
            [x[0].indices.map { t in
                guard !x[0][t].isNaN else { return .nan }
                let hits = (0 ... t).filter { x[0][$0] == 1 }
                return hits.count > k ? x[1][hits[hits.count - 1 - k]] : .nan
            }]
        }
    }

    @Test func interiorNaNRules() {
        // Window rule: NaN while the NaN is in the window, values again after it leaves.
        let x: [Double] = [1, 2, 3, 4, 5, 6, 7, 8, 9, .nan, 11, 12, 13, 14, 15]
        let wma = Harness.run(Registry.spec("wma")!, [3], [x])[0]
        let expected: Double = (11 + 2 * 12 + 3 * 13) / 6
        #expect(wma[9 ... 11].allSatisfy { $0.isNaN })
        #expect(close(wma[12], expected))
        // Skip rule: the NaN bar is absent, the average continues from where it was.
        let rma = Harness.run(Registry.spec("rma")!, [3], [x])[0]
        #expect(rma[9].isNaN)
        #expect(close(rma[10], (rma[8] * 2 + 11) / 3))
    }
}
