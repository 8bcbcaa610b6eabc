import LunarData
import LunarTestSupport
import Testing
@testable import LunarSim

@Suite struct MetricsTests {
    @Test func handExample() {
        let trades = [
            Trade(symbol: 0, entryBar: 0, exitBar: 1, entryPrice: 10, exitPrice: 11, size: 10, entryFees: 0, exitFees: 0,
                  pnl: 10, returnFraction: 0.1, isOpen: false),
            Trade(symbol: 0, entryBar: 1, exitBar: 2, entryPrice: 11, exitPrice: 10, size: 10, entryFees: 0, exitFees: 0,
                  pnl: -5, returnFraction: -0.05, isOpen: false),
            Trade(symbol: 0, entryBar: 3, exitBar: 4, entryPrice: 10, exitPrice: 12, size: 1, entryFees: 0, exitFees: 0,
                  pnl: 2, returnFraction: 0.2, isOpen: true),
        ]
        let m = Metrics.compute(equity: [100, 110, 99, 99, 120], initial: 100, trades: trades, barsPerYear: 252,
                                barsInMarket: 3, tradedValue: 500, fees: 1.5, benchmark: [1, 1.1, 0.99, 0.99, 1.2])
        #expect(m.totalReturn == 120.0 / 100 - 1)
        #expect(m.maxDrawdown == 99.0 / 110 - 1)
        #expect(m.maxDrawdownBars == 2)       // bars 2 and 3 below the bar-1 peak, recovered on bar 4
        #expect(m.closedTrades == 2 && m.openTrades == 1 && m.trades == 3)
        #expect(m.winRate == 0.5 && m.profitFactor == 2 && m.expectancy == 2.5)
        #expect(m.avgWin == 10 && m.avgLoss == -5 && m.bestTrade == 0.1 && m.worstTrade == -0.05)
        #expect(abs(m.sqn - 2.0.squareRoot() * 2.5 / (112.5).squareRoot()) < 1e-12)
        #expect(m.exposure == 0.6 && m.feesPaid == 1.5)
        #expect(abs(m.beta - 1) < 1e-12 && abs(m.alpha) < 1e-12 && abs(m.excessReturn) < 1e-12)
        #expect(m.calmar == m.cagr / (1 - 99.0 / 110))
        #expect(m.sortino > m.sharpe)
    }

    /// Bar returns built as y = 0.001 + 2x give beta 2 and alpha 0.001 a bar, annualized.
    @Test func alphaAndBetaByHand() {
        var rng = SplitMix64(seed: 9)
        let x = [0.0] + (1 ..< 300).map { _ in 0.01 * rng.nextGaussian() }
        var bench = [1.0], equity = [100.0 * (1 + 0.001 + 2 * x[0])]
        for t in 1 ..< x.count {
            bench.append(bench[t - 1] * (1 + x[t]))
            equity.append(equity[t - 1] * (1 + 0.001 + 2 * x[t]))
        }
        let m = Metrics.compute(equity: equity, initial: 100, trades: [], barsPerYear: 252, barsInMarket: 0,
                                tradedValue: 0, fees: 0, benchmark: bench)
        #expect(abs(m.beta - 2) < 1e-9)
        #expect(abs(m.alpha - 0.001 * 252) < 1e-9)
        #expect(abs(m.excessReturn - (m.totalReturn - (bench.last! - 1))) < 1e-15)
    }

    /// More symbols than one summing group, with gaps and late listings, against the definition
    /// (the mean over symbols of close / first close, the last value held through gaps).
    @Test func equalWeightBenchmarkMatchesItsDefinition() {
        let N = 75, T = 60
        var rng = SplitMix64(seed: 4)
        var close = (0 ..< N * T).map { _ in 50 + 10 * rng.nextUnit() }
        for s in stride(from: 0, to: N, by: 7) { for t in 0 ..< 5 { close[s * T + t] = .nan } }   // listed late
        for i in stride(from: 3, to: N * T, by: 41) { close[i] = .nan }                            // gaps
        let b = Metrics.equalWeightBenchmark(close: close, symbols: N, bars: T, threads: 3)
        for t in 0 ..< T {
            var sum = 0.0
            for s in 0 ..< N {
                let row = Array(close[s * T ..< (s + 1) * T])
                let first = row.firstIndex { !$0.isNaN }!
                if t < first { sum += 1; continue }
                let last = row[first ... t].last { !$0.isNaN }!
                sum += last / row[first]
            }
            #expect(abs(b[t] - sum / Double(N)) < 1e-12, "bar \(t)")
        }
    }

    @Test func equalWeightBenchmarkStartsAtOne() {
        let b = Metrics.equalWeightBenchmark(close: [10, 20, .nan, .nan, 10, 20], symbols: 2, bars: 3)
        #expect(b == [1, 1.5, 2])   // S0: 1, 2, 2 (held at the last close); S1 from bar 1: 1 (before), 1, 2
    }

    // MARK: - the fast paths of `compute` against plain one-bar-at-a-time definitions

    /// Max drawdown and its longest duration, dividing on every bar.
    static func plainDrawdown(_ e: [Double]) -> (Double, Int) {
        var peak = -Double.infinity, peakBar = 0, mdd = 0.0, longest = 0
        for (t, v) in e.enumerated() {
            if v >= peak { peak = v; peakBar = t; continue }
            if !v.isNaN { mdd = min(mdd, v / peak - 1) }
            longest = max(longest, t - peakBar)
        }
        return (mdd, longest)
    }

    /// Curves with rallies, falls, flat stretches at the peak and at the low, NaN gaps, and
    /// lengths that are not multiples of the eight-bar block.
    static func curves() -> [[Double]] {
        var rng = SplitMix64(seed: 11)
        var out: [[Double]] = [[], [5], [5, 5, 5], [1, 2, 1, 0.5, 0.5, 3], [Double.nan, 2, 1, .nan, 0.5]]
        for n in [7, 8, 9, 63, 64, 65, 500, 2520] {
            var v = 100.0, e: [Double] = []
            while e.count < n {
                let run = 1 + Int(rng.nextUnit() * 20)
                let mode = rng.nextUnit()
                for _ in 0 ..< run where e.count < n {
                    if mode < 0.3 { e.append(v) }                       // flat (out of the market)
                    else if mode < 0.35 { e.append(.nan) }              // a gap
                    else { v *= 1 + 0.02 * rng.nextGaussian(); e.append(v) }
                }
            }
            out.append(e)
        }
        return out
    }

    @Test func drawdownEqualsThePlainDefinition() {
        for e in Self.curves() {
            let (mdd, longest) = e.withUnsafeBufferPointer { b in
                b.baseAddress.map { Metrics.drawdown($0, e.count) } ?? (0, 0)
            }
            let (pm, pl) = Self.plainDrawdown(e)
            #expect(mdd == pm, "\(e.count) bars")
            #expect(longest == pl, "\(e.count) bars")
        }
    }

    /// With every return finite, alpha and beta come from the benchmark's precomputed sums; they
    /// must agree with the bar-by-bar regression the general path runs (a NaN forces that path).
    /// The fused passes add each sum in the order of one four-accumulator sum of its own
    /// values (value i to accumulator i mod 4 while four remain, the tail to the first), for
    /// every length around the block size: the figures keep their bits.
    @Test func fusedPassesKeepEachSumsOrder() {
        func sum4(_ v: [Double]) -> Double {
            var acc = [0.0, 0.0, 0.0, 0.0]
            let blocks = v.count / 4 * 4
            for (i, x) in v.enumerated() { acc[i < blocks ? i % 4 : 0] += x }
            return (acc[0] + acc[1]) + (acc[2] + acc[3])
        }
        var rng = SplitMix64(seed: 11)
        for n in Array(0 ... 13) + [2519, 2520] {
            let r = (0 ..< n).map { _ in (rng.nextUnit() - 0.5) * 0.04 }, e = (0 ..< n).map { _ in 90 + rng.nextUnit() * 20 }
            let x = (0 ..< n).map { _ in (rng.nextUnit() - 0.5) * 0.02 }
            let mu = sum4(r) / Double(max(n, 1))
            r.withUnsafeBufferPointer { rb in e.withUnsafeBufferPointer { eb in x.withUnsafeBufferPointer { xb in
                let base = UnsafePointer<Double>(bitPattern: 8)!
                let (sr, se) = Metrics.sums(rb.baseAddress ?? base, eb.baseAddress ?? base, n)
                #expect(sr.bitPattern == sum4(r).bitPattern && se.bitPattern == sum4(e).bitPattern)
                #expect(Metrics.sum(eb.baseAddress ?? base, n) { $0 * $0 }.bitPattern == sum4(e.map { $0 * $0 }).bitPattern)
                let (ss, down, _, _) = Metrics.spreads(rb.baseAddress ?? base, n, mean: mu, benchmark: nil)
                #expect(ss.bitPattern == sum4(r.map { ($0 - mu) * ($0 - mu) }).bitPattern)
                #expect(down.bitPattern == sum4(r.map { $0 < 0 ? $0 * $0 : 0 }).bitPattern)
                guard n > 1 else { return }
                let (ss2, down2, sy, sxy) = Metrics.spreads(rb.baseAddress!, n, mean: mu, benchmark: xb.baseAddress!)
                #expect(ss2.bitPattern == ss.bitPattern && down2.bitPattern == down.bitPattern)
                #expect(sy.bitPattern == sum4(Array(r.dropFirst())).bitPattern)
                #expect(sxy.bitPattern == sum4(zip(x.dropFirst(), r.dropFirst()).map { $0 * $1 }).bitPattern)
            } } }
        }
    }

    @Test func regressionFastPathAgreesWithTheGeneralPath() {
        var rng = SplitMix64(seed: 5)
        let T = 300
        var bench = [100.0], equity = [1000.0]
        for _ in 1 ..< T {
            let x = 0.01 * rng.nextGaussian()
            bench.append(bench.last! * (1 + x))
            equity.append(equity.last! * (1 + 0.0003 + 1.5 * x + 0.002 * rng.nextGaussian()))
        }
        let fast = Metrics.compute(equity: equity, initial: 1000, trades: [], barsPerYear: 252, benchmark: bench)
        // The same curve with one unusable benchmark bar: the general path drops that bar.
        var gapped = bench
        gapped[150] = .nan
        let general = Metrics.compute(equity: equity, initial: 1000, trades: [], barsPerYear: 252, benchmark: gapped)
        // By hand: least squares over bars 1..<T (the first return has no benchmark return).
        let b = Metrics.Benchmark(bench).returns
        var r = [equity[0] / 1000 - 1]
        for t in 1 ..< T { r.append(equity[t] / equity[t - 1] - 1) }
        func fit(_ bars: [Int]) -> (alpha: Double, beta: Double) {
            let n = Double(bars.count)
            let xs: [Double] = bars.map { b[$0] }, ys: [Double] = bars.map { r[$0] }
            let mx = xs.reduce(0, +) / n, my = ys.reduce(0, +) / n
            var cov = 0.0, vx = 0.0
            for (x, y) in zip(xs, ys) { cov += (x - mx) * (y - my); vx += (x - mx) * (x - mx) }
            let beta = cov / vx
            return ((my - beta * mx) * 252, beta)
        }
        let all = fit(Array(1 ..< T))
        #expect(abs(fast.beta - all.beta) < 1e-9 && abs(fast.alpha - all.alpha) < 1e-9)
        let without = fit((1 ..< T).filter { $0 != 150 && $0 != 151 })
        #expect(abs(general.beta - without.beta) < 1e-9 && abs(general.alpha - without.alpha) < 1e-9)
        #expect(abs(fast.beta - 1.5) < 0.1)
    }
}
