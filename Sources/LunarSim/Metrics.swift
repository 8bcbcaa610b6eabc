import CKernels
import LunarData
/// Performance figures of one equity curve and its trades. See docs/semantics.md, "Metrics".
public struct Metrics: Sendable, Equatable {
    public var totalReturn = Double.nan
    public var cagr = Double.nan
    public var volatility = Double.nan
    public var sharpe = Double.nan
    public var sortino = Double.nan
    public var calmar = Double.nan
    /// The deepest fall from a running peak, as a negative fraction (−0.25 = 25 % below the peak).
    public var maxDrawdown = 0.0
    /// The longest stretch, in bars, spent below a previous peak (to recovery or to the end).
    public var maxDrawdownBars = 0
    /// Closed plus open trades (vectorbt's count).
    public var trades = 0
    public var closedTrades = 0
    public var openTrades = 0
    /// Share of closed trades with pnl > 0; NaN without closed trades.
    public var winRate = Double.nan
    /// Σ winning pnl / |Σ losing pnl| over closed trades (∞ with no loss, NaN with no trade).
    public var profitFactor = Double.nan
    /// Mean pnl of a closed trade, in cash.
    public var expectancy = Double.nan
    public var avgWin = Double.nan
    public var avgLoss = Double.nan
    /// Best and worst closed-trade return (pnl / entry value).
    public var bestTrade = Double.nan
    public var worstTrade = Double.nan
    /// Van Tharp's system quality number: √n · mean(pnl) / std(pnl), closed trades.
    public var sqn = Double.nan
    /// Share of bars ending with a position.
    public var exposure = 0.0
    /// Traded value per year as a multiple of the mean equity (one round trip of all capital = 2).
    public var turnover = 0.0
    public var feesPaid = 0.0
    public var finalEquity = Double.nan
    /// Against the benchmark's bar returns: CAPM alpha (annualized), beta, and total return minus
    /// the benchmark's total return. NaN without a benchmark.
    public var alpha = Double.nan
    public var beta = Double.nan
    public var excessReturn = Double.nan
    public var benchmarkReturn = Double.nan

    public init() {}

    /// Every metric, in report order: its summary.json key, which way is better, its unit, its
    /// definition (docs/semantics.md's table is generated from these) and where its value is.
    /// The first eight keys are the original summary.json keys. Directions: a drawdown, the worst
    /// trade and the average loss are negative, so the higher (nearer zero) is better; counts,
    /// exposure, turnover, beta and the benchmark's own return say how a strategy behaves rather
    /// than how well, so they are neutral (ranked larger first, their changes not judged).
    public static let info: [MetricInfo] = [
        MetricInfo("total_return", .higher, .fraction, "`V[T−1]/V₋₁ − 1`", \.totalReturn),
        MetricInfo("cagr", .higher, .fraction, "`(V[T−1]/V₋₁)^(A/T) − 1` (−1 if the value ends ≤ 0)", \.cagr),
        MetricInfo("volatility", .lower, .fraction, "`std(r, ddof 1)·√A`", \.volatility),
        MetricInfo("sharpe", .higher, .ratio, "`mean(r)/std(r)·√A` (risk-free 0)", \.sharpe),
        MetricInfo("max_drawdown", .higher, .fraction, "`min_t V[t]/max_{j≤t}V[j] − 1` (negative: nearer 0 is better)", \.maxDrawdown),
        MetricInfo("trades", .neutral, .count, "all trades, closed and open at the end (vectorbt's count)", \.trades),
        MetricInfo("open_trades", .neutral, .count, "trades still open at the end", \.openTrades),
        MetricInfo("win_rate", .higher, .fraction, "closed trades with pnl > 0 / closed trades", \.winRate),
        MetricInfo("final_equity", .higher, .money, "`V[T−1]`", \.finalEquity),
        MetricInfo("sortino", .higher, .ratio, "`mean(r)/√(mean(min(r,0)²))·√A`", \.sortino),
        MetricInfo("calmar", .higher, .ratio, "`cagr / |max_drawdown|`", \.calmar),
        MetricInfo("max_drawdown_bars", .lower, .bars,
                   "longest run of bars strictly below the last peak (to recovery or the end)", \.maxDrawdownBars),
        MetricInfo("closed_trades", .neutral, .count, "trades closed by the end", \.closedTrades),
        MetricInfo("profit_factor", .higher, .ratio, "Σ winning pnl / |Σ losing pnl| (∞ if no loss)", \.profitFactor),
        MetricInfo("expectancy", .higher, .money, "mean closed-trade pnl", \.expectancy),
        MetricInfo("avg_win", .higher, .money, "mean pnl of the winning closed trades", \.avgWin),
        MetricInfo("avg_loss", .higher, .money, "mean pnl of the losing closed trades (negative: nearer 0 is better)", \.avgLoss),
        MetricInfo("best_trade", .higher, .fraction, "max closed-trade return (pnl / entry value)", \.bestTrade),
        MetricInfo("worst_trade", .higher, .fraction, "min closed-trade return (pnl / entry value)", \.worstTrade),
        MetricInfo("sqn", .higher, .ratio, "`√n·mean(pnl)/std(pnl)` over the n closed trades", \.sqn),
        MetricInfo("exposure", .neutral, .fraction,
                   "share of bars that end with a position (portfolio: with any position)", \.exposure),
        MetricInfo("turnover", .neutral, .ratio, "Σ|units·fill| over all orders / mean equity / years " +
                   "(a full round trip of the capital once a year = 2; its cost is in `fees_paid`)", \.turnover),
        MetricInfo("fees_paid", .lower, .money, "Σ fees", \.feesPaid),
        MetricInfo("benchmark_return", .neutral, .fraction, "the benchmark's total return (this and the three below are NaN without a benchmark)", \.benchmarkReturn),
        MetricInfo("excess_return", .higher, .fraction, "`total_return − benchmark_return`", \.excessReturn),
        MetricInfo("alpha", .higher, .fraction, "`(mean r − beta·mean r_b)·A`: the regression's intercept, annualized", \.alpha),
        MetricInfo("beta", .neutral, .ratio, "slope of the OLS of r on the benchmark's bar returns r_b: `cov(r, r_b)/var(r_b)`", \.beta),
    ]

    /// Name and value of each metric, in report order (`Metrics.info`'s).
    public var fields: [(String, Double)] { Metrics.info.map { ($0.key, $0.value(self)) } }

    /// The metrics whose `fields` values are `values` (in `Metrics.info` order): the inverse of
    /// `fields.map(\.1)`, bit for bit.
    public init(values: [Double]) {
        self.init()
        for (info, v) in zip(Metrics.info, values) { info.assign(&self, v) }
    }

    /// Keys whose values are whole numbers (units `count` and `bars`).
    public static let integerKeys: Set<String> = Set(info.filter(\.unit.isInteger).map(\.key))

    /// - Parameters:
    ///   - equity: the account value after each bar.
    ///   - initial: the value before the first bar.
    ///   - barsPerYear: annualization factor from the calendar's spacing.
    ///   - barsInMarket, tradedValue, fees: from the simulation (0 when unknown).
    ///   - benchmark: the benchmark's value after each bar (any scale), or nil.
    public static func compute(equity: [Double], initial: Double, trades: [Trade], barsPerYear: Double,
                               barsInMarket: Int = 0, tradedValue: Double = 0, fees: Double = 0,
                               benchmark: [Double]? = nil) -> Metrics {
        compute(equity: equity, initial: initial, trades: trades, barsPerYear: barsPerYear, barsInMarket: barsInMarket,
                tradedValue: tradedValue, fees: fees, benchmark: benchmark.map { Benchmark($0) })
    }

    /// One symbol's run against a benchmark whose returns are computed once (for many symbols).
    /// Uses the drawdown the simulator tracked while writing the curve, when it did.
    public static func compute(_ run: SymbolRun, barsPerYear: Double, benchmark: Benchmark?) -> Metrics {
        var tally = TradeTally()
        tally.add(run.trades)
        return compute(equity: run.equity, initial: run.initialCapital, tally: tally, barsPerYear: barsPerYear,
                       barsInMarket: run.barsInMarket, tradedValue: run.tradedValue, fees: run.feesPaid,
                       benchmark: benchmark, drawdown: run.drawdown)
    }

    /// The same, with the benchmark's returns computed once (for many symbols against one benchmark).
    public static func compute(equity: [Double], initial: Double, trades: [Trade], barsPerYear: Double,
                               barsInMarket: Int, tradedValue: Double, fees: Double, benchmark: Benchmark?) -> Metrics {
        var tally = TradeTally()
        tally.add(trades)
        return compute(equity: equity, initial: initial, tally: tally, barsPerYear: barsPerYear, barsInMarket: barsInMarket,
                       tradedValue: tradedValue, fees: fees, benchmark: benchmark, drawdown: nil)
    }

    /// A portfolio of sub-accounts: its value curve `equity`, and the trades, traded value and fees
    /// of every run, taken in order (the same figures as one list of all their trades, without
    /// gathering one).
    public static func compute(portfolio runs: [SymbolRun], equity: [Double], initial: Double, barsPerYear: Double,
                               barsInMarket: Int, benchmark: Benchmark?) -> Metrics {
        var tally = TradeTally()
        var traded = 0.0, fees = 0.0
        for r in runs { tally.add(r.trades); traded += r.tradedValue; fees += r.feesPaid }
        return compute(equity: equity, initial: initial, tally: tally, barsPerYear: barsPerYear, barsInMarket: barsInMarket,
                       tradedValue: traded, fees: fees, benchmark: benchmark, drawdown: nil)
    }

    static func compute(equity: [Double], initial: Double, tally: TradeTally, barsPerYear: Double,
                        barsInMarket: Int, tradedValue: Double, fees: Double,
                        benchmark: Benchmark?, drawdown tracked: Drawdown?) -> Metrics {
        var m = Metrics()
        let T = equity.count
        let final = equity.last ?? initial
        m.finalEquity = final
        m.totalReturn = final / initial - 1
        // Bar returns, the first one against the initial value (as vectorbt does). The sums run
        // four accumulators apiece so that the additions overlap instead of waiting on each
        // other (a different summation order than one running total: agreement with vectorbt
        // is to ~1e-15, not bit for bit).
        var mean = 0.0, equitySum = 0.0
        var mdd = 0.0, longest = 0
        // Every element is written below, so the array starts uninitialized.
        let returns = [Double](unsafeUninitializedCapacity: T) { rb, count in
            count = T
            equity.withUnsafeBufferPointer { eb in
                guard T > 0, let r = rb.baseAddress, let e = eb.baseAddress else { return }
                r[0] = e[0] / initial - 1
                lunar_returns(e, r, T)   // four divisions at a time where the CPU can
                (mean, equitySum) = Metrics.sums(r, e, T)
                (mdd, longest) = tracked.map { ($0.deepest, $0.longest) } ?? Metrics.drawdown(e, T)
            }
        }
        let n = Double(T)
        mean = T > 0 ? mean / n : .nan
        var ss = 0.0, down = 0.0
        var sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0, cnt = 0.0
        let bench = benchmark.flatMap { $0.returns.count == T && T > 1 && !$0.totalReturn.isNaN ? $0 : nil }
        returns.withUnsafeBufferPointer { rb in
            guard T > 0, let r = rb.baseAddress else { return }
            let mu = mean
            guard let bench else {
                (ss, down, _, _) = Metrics.spreads(r, T, mean: mu, benchmark: nil)
                return
            }
            // Regression of bar returns on the benchmark's over bars where both are defined.
            bench.returns.withUnsafeBufferPointer { bb in
                let x = bb.baseAddress!
                if bench.allFinite && mu.isFinite {
                    // Every bar counts (a finite mean means finite returns): the benchmark's own
                    // sums are known, and the two that involve this curve are taken in the
                    // same pass as the spreads.
                    (sx, sxx, cnt) = (bench.sum, bench.sumOfSquares, Double(T - 1))
                    (ss, down, sy, sxy) = Metrics.spreads(r, T, mean: mu, benchmark: x)
                    return
                }
                (ss, down, _, _) = Metrics.spreads(r, T, mean: mu, benchmark: nil)
                for t in 1 ..< T {
                    let bx = x[t], y = r[t]
                    if !bx.isFinite || !y.isFinite { continue }
                    sx += bx; sy += y; sxx += bx * bx; sxy += bx * y; cnt += 1
                }
            }
        }
        let std = T > 1 ? (ss / (n - 1)).squareRoot() : .nan
        let downside = T > 0 ? (down / n).squareRoot() : .nan
        let root = barsPerYear.squareRoot()
        m.volatility = std * root
        m.sharpe = std > 0 ? mean / std * root : .nan
        m.sortino = downside > 0 ? mean / downside * root : (mean > 0 ? .infinity : .nan)
        let years = n / barsPerYear
        m.cagr = T == 0 ? .nan : (final <= 0 ? -1 : _pow(final / initial, 1 / years) - 1)
        m.maxDrawdown = mdd
        m.maxDrawdownBars = longest
        m.calmar = mdd < 0 ? m.cagr / -mdd : .nan

        tally.apply(to: &m)
        m.exposure = T > 0 ? Double(barsInMarket) / n : 0
        let meanEquity = T > 0 ? equitySum / n : initial
        m.turnover = meanEquity > 0 && years > 0 ? tradedValue / meanEquity / years : 0
        m.feesPaid = fees

        if let b = bench {
            m.benchmarkReturn = b.totalReturn
            m.excessReturn = m.totalReturn - m.benchmarkReturn
            // Regression of bar returns on the benchmark's over bars where both are defined
            // (sums gathered in the second pass above).
            if cnt > 1 {
                let vx = sxx - sx * sx / cnt
                if vx > 0 {
                    m.beta = (sxy - sx * sy / cnt) / vx
                    m.alpha = (sy / cnt - m.beta * sx / cnt) * barsPerYear
                }
            }
        }
        return m
    }

    /// Counts and sums over trades, added list by list in order.
    struct TradeTally {
        var count = 0, closed = 0, wins = 0, losses = 0
        var sumWin = 0.0, sumLoss = 0.0, sumPnl = 0.0, sumPnl2 = 0.0
        var best = -Double.infinity, worst = Double.infinity

        mutating func add(_ trades: [Trade]) {
            for t in trades {
                count += 1
                if t.isOpen { continue }
                closed += 1
                sumPnl += t.pnl; sumPnl2 += t.pnl * t.pnl
                if t.pnl > 0 { wins += 1; sumWin += t.pnl } else if t.pnl < 0 { losses += 1; sumLoss += t.pnl }
                best = max(best, t.returnFraction); worst = min(worst, t.returnFraction)
            }
        }

        func apply(to m: inout Metrics) {
            m.trades = count
            m.closedTrades = closed
            m.openTrades = count - closed
            let k = Double(closed)
            if closed > 0 {
                m.winRate = Double(wins) / k
                m.expectancy = sumPnl / k
                m.profitFactor = sumLoss < 0 ? sumWin / -sumLoss : (sumWin > 0 ? .infinity : .nan)
                m.bestTrade = best; m.worstTrade = worst
            }
            if wins > 0 { m.avgWin = sumWin / Double(wins) }
            if losses > 0 { m.avgLoss = sumLoss / Double(losses) }
            if closed > 1 {
                let sd = (max(0, sumPnl2 - sumPnl * sumPnl / k) / (k - 1)).squareRoot()
                m.sqn = sd > 0 ? k.squareRoot() * (sumPnl / k) / sd : .nan
            }
        }
    }

    /// The deepest fall and its longest duration of the curve `e` (see `Drawdown`).
    static func drawdown(_ e: UnsafePointer<Double>, _ T: Int) -> (Double, Int) {
        var d = Drawdown()
        d.add(e, bars: 0 ..< T)
        return (d.deepest, d.longest)
    }

    /// Four interleaved accumulators: value i of a sum goes to accumulator i mod 4 while four
    /// remain, the rest to the first; the total is (a + b) + (c + d). `sum` adds in this order,
    /// and so does each sum of the fused passes below, value for value. Kept as two pairs,
    /// (a, b) and (c, d), so that four values are two vector additions.
    struct Sum4 {
        var lo = SIMD2<Double>.zero, hi = SIMD2<Double>.zero
        @inline(__always) mutating func add(_ x: SIMD2<Double>, _ y: SIMD2<Double>) { lo += x; hi += y }
        @inline(__always) mutating func add(_ v: Double) { lo[0] += v }
        var total: Double { (lo[0] + lo[1]) + (hi[0] + hi[1]) }
    }

    @inline(__always) static func pair(_ p: UnsafePointer<Double>, _ i: Int) -> SIMD2<Double> {
        UnsafeRawPointer(p + i).loadUnaligned(as: SIMD2<Double>.self)
    }

    /// Σ r and Σ e over n values in one pass: `sum(r, n)` and `sum(e, n)`, bit for bit.
    static func sums(_ r: UnsafePointer<Double>, _ e: UnsafePointer<Double>, _ n: Int) -> (Double, Double) {
        var sr = Sum4(), se = Sum4()
        var i = 0
        while i &+ 4 <= n {
            sr.add(pair(r, i), pair(r, i &+ 2)); se.add(pair(e, i), pair(e, i &+ 2))
            i &+= 4
        }
        while i < n { sr.add(r[i]); se.add(e[i]); i &+= 1 }
        return (sr.total, se.total)
    }

    /// In one pass over the n returns: Σ (r − mean)², Σ min(r, 0)², and with a benchmark x,
    /// Σ r[1...] and Σ x[t]·r[t] over t ≥ 1 (the regression's terms) — each what `sum` gives
    /// for its values, bit for bit (each keeps its own accumulators and tail).
    static func spreads(_ r: UnsafePointer<Double>, _ n: Int, mean mu: Double,
                        benchmark x: UnsafePointer<Double>?) -> (Double, Double, Double, Double) {
        // Straight-line code, no nested closures over the accumulators (they would be boxed).
        var ss = Sum4(), down = Sum4(), sy = Sum4(), sxy = Sum4()
        let m2 = SIMD2(repeating: mu)
        var i = 0
        if let x, n > 1 {
            // The regression's sums run over the n − 1 values from index 1.
            let y = r + 1, bx = x + 1, m = n - 1
            while i &+ 4 <= m {
                let v = pair(r, i), w = pair(r, i &+ 2)
                ss.add((v - m2) * (v - m2), (w - m2) * (w - m2))
                down.add(negativeSquared(v), negativeSquared(w))
                let y0 = pair(y, i), y1 = pair(y, i &+ 2)
                sy.add(y0, y1)
                sxy.add(pair(bx, i) * y0, pair(bx, i &+ 2) * y1)
                i &+= 4
            }
            for j in i ..< m { sy.add(y[j]); sxy.add(bx[j] * y[j]) }
        }
        while i &+ 4 <= n {
            let v = pair(r, i), w = pair(r, i &+ 2)
            ss.add((v - m2) * (v - m2), (w - m2) * (w - m2))
            down.add(negativeSquared(v), negativeSquared(w))
            i &+= 4
        }
        while i < n { let v = r[i]; ss.add((v - mu) * (v - mu)); down.add(v < 0 ? v * v : 0); i &+= 1 }
        return (ss.total, down.total, sy.total, sxy.total)
    }

    /// `r < 0 ? r·r : 0` per lane (NaN gives 0), by a mask rather than a branch on the sign,
    /// which is a coin toss per bar.
    @inline(__always) static func negativeSquared(_ v: SIMD2<Double>) -> SIMD2<Double> {
        let kept = unsafeBitCast(unsafeBitCast(v, to: SIMD2<Int64>.self) & (v .< 0)._storage, to: SIMD2<Double>.self)
        return kept * kept
    }

    /// Σ f(p[i]) over n values with four interleaved accumulators.
    @inline(__always)
    static func sum(_ p: UnsafePointer<Double>, _ n: Int, _ f: (Double) -> Double) -> Double {
        var s = Sum4()
        var i = 0
        while i &+ 4 <= n { s.add(SIMD2(f(p[i]), f(p[i &+ 1])), SIMD2(f(p[i &+ 2]), f(p[i &+ 3]))); i &+= 4 }
        while i < n { s.add(f(p[i])); i &+= 1 }
        return s.total
    }

    /// A benchmark's bar returns (`r[0] = 0`) and total return, computed once.
    public struct Benchmark: Sendable {
        public let returns: [Double]
        public let totalReturn: Double
        /// Whether every return from bar 1 on is finite, and then their sum and sum of squares
        /// (what each symbol's regression on the benchmark would otherwise recompute).
        let allFinite: Bool
        let sum: Double, sumOfSquares: Double
        public init(_ values: [Double]) {
            var r = [Double](repeating: 0, count: values.count)
            for t in values.indices.dropFirst() { r[t] = values[t] / values[t - 1] - 1 }
            returns = r
            let n = r.count - 1
            (allFinite, sum, sumOfSquares) = n < 1 ? (false, 0, 0) : r.withUnsafeBufferPointer { rb in
                let x = rb.baseAddress! + 1
                let s = Metrics.sum(x, n) { $0 }
                return (s.isFinite && !UnsafeBufferPointer(start: x, count: n).contains { !$0.isFinite },
                        s, Metrics.sum(x, n) { $0 * $0 })
            }
            if let b0 = values.first(where: { !$0.isNaN }), b0 > 0 {
                totalReturn = (values.last(where: { !$0.isNaN }) ?? b0) / b0 - 1
            } else {
                totalReturn = .nan
            }
        }
    }

    /// Symbols per group of the equal-weight benchmark's sum (see `equalWeightBenchmark`).
    public static let benchmarkGroup = 32

    /// A symbol's first valid (positive) close, or −1 when it has none.
    @inline(__always)
    static func firstValid(_ row: UnsafePointer<Double>, bars T: Int) -> Int {
        var t = 0
        while t < T, row[t].isNaN || !(row[t] > 0) { t += 1 }
        return t < T ? t : -1
    }

    /// Adds one symbol's holding (1 before its first valid close `start`, then close / first
    /// close, a missing bar keeping the last value) to the group sum `p`; nothing when start < 0.
    @inline(__always)
    static func addHolding(_ row: UnsafePointer<Double>, from start: Int, bars T: Int, into p: UnsafeMutablePointer<Double>) {
        if start < 0 { return }
        let inv = 1 / row[start]   // a multiply per bar instead of a divide
        for t in 0 ..< start { p[t] += 1 }
        var lastRatio = 1.0
        for t in start ..< T {
            let v = row[t]
            if !v.isNaN { lastRatio = v * inv }   // a missing bar keeps the last value
            p[t] += lastRatio
        }
    }

    /// Equal-weight buy-and-hold of the given closes (symbol-major, `symbols × bars`): each symbol
    /// is bought with an equal slice at its first valid close and held; no fees. Value starts at 1.
    public static func equalWeightBenchmark(close: [Double], symbols N: Int, bars T: Int,
                                            threads: Int = defaultThreadCount) -> [Double] {
        // Each symbol's first valid price; symbols with none are left out.
        var first = [Int](repeating: -1, count: N)
        close.withUnsafeBufferPointer { c in
            for s in 0 ..< N { first[s] = firstValid(c.baseAddress! + s * T, bars: T) }
        }
        let used = first.filter { $0 >= 0 }.count
        var out = [Double](repeating: 0, count: T)
        guard used > 0 else { return out }
        // Fixed groups of symbols (never dependent on the thread count) each sum their rows,
        // read contiguously; the groups' partial sums are then added in group order.
        let group = benchmarkGroup
        let groups = (N + group - 1) / group
        var partial = [Double](repeating: 0, count: groups * T)
        partial.withUnsafeMutableBufferPointer { pb in
            close.withUnsafeBufferPointer { c in
                first.withUnsafeBufferPointer { f in
                    let part = SharedBuffer(pb.baseAddress!, count: pb.count)
                    let cp = SharedBuffer(UnsafeMutablePointer(mutating: c.baseAddress!), count: c.count)
                    let fp = SharedBuffer(UnsafeMutablePointer(mutating: f.baseAddress!), count: N)
                    parallelFor(chunks: groups, threads: threads) { g in
                        let p = part.base + g * T
                        for s in g * group ..< min(N, (g + 1) * group) {
                            addHolding(cp.base + s * T, from: fp[s], bars: T, into: p)
                        }
                    }
                }
            }
        }
        out.withUnsafeMutableBufferPointer { o in
            partial.withUnsafeBufferPointer { pb in
                let dst = SharedBuffer(o.baseAddress!, count: T)
                let src = SharedBuffer(UnsafeMutablePointer(mutating: pb.baseAddress!), count: pb.count)
                let d = Double(used)
                let chunk = 512
                parallelFor(chunks: (T + chunk - 1) / chunk, threads: threads) { k in
                    for t in k * chunk ..< min(T, (k + 1) * chunk) {
                        var sum = 0.0
                        for g in 0 ..< groups { sum += src[g * T + t] }
                        dst[t] = sum / d
                    }
                }
            }
        }
        return out
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func _pow(_ a: Double, _ b: Double) -> Double { Glibc.pow(a, b) }
#else
import Darwin
@inline(__always) func _pow(_ a: Double, _ b: Double) -> Double { Darwin.pow(a, b) }
#endif
