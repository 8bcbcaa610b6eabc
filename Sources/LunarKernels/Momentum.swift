/// Momentum oscillators. NaN: rsi, cmo, macd and stochrsi's RSI follow the skip rule; stoch,
/// stochf, cci, willr, mom and roc the window rule.
extension Registry {
    static let momentum: [PrimitiveSpec] = [
        PrimitiveSpec(
            name: "rsi", category: "momentum",
            summary: "Relative strength index with Wilder smoothing (TA-Lib RSI); 0 when nothing moved.",
            formula: "g, l = mean gain / loss of the first n changes, then Wilder (a·(n−1) + x)/n; rsi = 100·g/(g + l)",
            inputs: [.init("x")], params: [.init("period", default: 14, range: 2 ... 100_000)],
            lookback: { Int($0[0]) }, kernel: { RSIKernel(n: Int($0[0]), cmo: false) }),
        PrimitiveSpec(
            name: "cmo", category: "momentum",
            summary: "Chande momentum oscillator with RSI's Wilder smoothing (TA-Lib CMO).",
            formula: "cmo = 100·(g − l)/(g + l), g and l as in rsi",
            inputs: [.init("x")], params: [.init("period", default: 14, range: 2 ... 100_000)],
            lookback: { Int($0[0]) }, kernel: { RSIKernel(n: Int($0[0]), cmo: true) }),
        PrimitiveSpec(
            name: "macd", category: "momentum",
            summary: "MACD line, signal and histogram (TA-Lib MACD: both EMAs start at bar slow−1).",
            formula: "macd = ema_fast − ema_slow (fast seeded with the SMA of x[slow−fast..slow−1]); signal = ema(macd, signal); hist = macd − signal",
            inputs: [.init("x")],
            params: [.init("fast", default: 12, range: 2 ... 100_000), .init("slow", default: 26, range: 2 ... 100_000),
                     .init("signal", default: 9, range: 1 ... 100_000)],
            outputs: [.init("macd"), .init("signal"), .init("hist")],
            lookback: { p in Int(max(p[0], p[1])) - 1 + Int(p[2]) - 1 },
            kernel: { p in MACDKernel(fast: Int(min(p[0], p[1])), slow: Int(max(p[0], p[1])), signal: Int(p[2])) }),
        PrimitiveSpec(
            name: "stoch", category: "momentum",
            summary: "Slow stochastic %K and %D with SMA smoothing (TA-Lib STOCH); 0 when the range is 0.",
            formula: "fastk = 100·(c − lowest(l, k))/(highest(h, k) − lowest(l, k)); slowk = sma(fastk, ks); slowd = sma(slowk, ds)",
            inputs: [.init("high"), .init("low"), .init("close")],
            params: [.init("fastk", default: 5), .init("slowk", default: 3), .init("slowd", default: 3)],
            outputs: [.init("k"), .init("d")],
            lookback: { p in Int(p[0]) - 1 + Int(p[1]) - 1 + Int(p[2]) - 1 },
            kernel: { p in StochKernel(fastk: Int(p[0]), smooth: [Int(p[1]), Int(p[2])]) }),
        PrimitiveSpec(
            name: "stochf", category: "momentum",
            summary: "Fast stochastic %K and %D (TA-Lib STOCHF).",
            formula: "fastk as in stoch; fastd = sma(fastk, d)",
            inputs: [.init("high"), .init("low"), .init("close")],
            params: [.init("fastk", default: 5), .init("fastd", default: 3)],
            outputs: [.init("k"), .init("d")],
            lookback: { p in Int(p[0]) - 1 + Int(p[1]) - 1 },
            kernel: { p in StochKernel(fastk: Int(p[0]), smooth: [Int(p[1])]) }),
        PrimitiveSpec(
            name: "stochrsi", category: "momentum",
            summary: "Stochastic RSI: the fast stochastic of RSI (TA-Lib STOCHRSI).",
            formula: "r = rsi(x, n); k = 100·(r − lowest(r, fk))/(highest(r, fk) − lowest(r, fk)); d = sma(k, fd)",
            inputs: [.init("x")],
            params: [.init("period", default: 14, range: 2 ... 100_000), .init("fastk", default: 5), .init("fastd", default: 3)],
            outputs: [.init("k"), .init("d")],
            lookback: { p in Int(p[0]) + Int(p[1]) - 1 + Int(p[2]) - 1 },
            kernel: { p in StochRSIKernel(n: Int(p[0]), fastk: Int(p[1]), fastd: Int(p[2])) }),
        PrimitiveSpec(
            name: "cci", category: "momentum",
            summary: "Commodity channel index on the typical price (TA-Lib CCI); 0 when the deviation is 0.",
            formula: "tp = (h+l+c)/3; cci = (tp − sma(tp, n)) / (0.015 · mean|tp − sma(tp, n)|)",
            inputs: [.init("high"), .init("low"), .init("close")],
            params: [.init("period", default: 14, range: 2 ... 100_000)],
            lookback: { Int($0[0]) - 1 }, kernel: { CCIKernel(n: Int($0[0])) }),
        PrimitiveSpec(
            name: "willr", category: "momentum",
            summary: "Williams %R, from −100 to 0 (TA-Lib WILLR); 0 when the range is 0.",
            formula: "willr = −100·(highest(h, n) − c)/(highest(h, n) − lowest(l, n))",
            inputs: [.init("high"), .init("low"), .init("close")],
            params: [.init("period", default: 14, range: 2 ... 100_000)],
            lookback: { Int($0[0]) - 1 }, kernel: { WillRKernel(n: Int($0[0])) }),
        PrimitiveSpec(
            name: "mom", category: "momentum",
            summary: "Momentum: change over n bars (TA-Lib MOM).",
            formula: "mom[t] = x[t] − x[t−n]",
            inputs: [.init("x")], params: [.init("period", default: 10)],
            lookback: { Int($0[0]) }, kernel: { LagKernel(n: Int($0[0]), mode: .mom) }),
        PrimitiveSpec(
            name: "roc", category: "momentum",
            summary: "Rate of change in percent (TA-Lib ROC); 0 when x[t−n] is 0.",
            formula: "roc[t] = (x[t]/x[t−n] − 1)·100",
            inputs: [.init("x")], params: [.init("period", default: 10)],
            lookback: { Int($0[0]) }, kernel: { LagKernel(n: Int($0[0]), mode: .roc) }),
        PrimitiveSpec(
            name: "rocp", category: "momentum",
            summary: "Rate of change as a fraction (TA-Lib ROCP); 0 when x[t−n] is 0.",
            formula: "rocp[t] = (x[t] − x[t−n])/x[t−n]",
            inputs: [.init("x")], params: [.init("period", default: 10)],
            lookback: { Int($0[0]) }, kernel: { LagKernel(n: Int($0[0]), mode: .rocp) }),
    ]
}

/// TA-Lib's RSI/CMO averages: plain means of the first n changes, then Wilder.
struct RSIState {
    let n: Int
    let cmo: Bool
    private var seen = 0
    private var prev = 0.0
    private var gain = 0.0, loss = 0.0
    init(n: Int, cmo: Bool = false) { self.n = n; self.cmo = cmo }

    @inline(__always) mutating func push(_ v: Double) -> Double {
        if v.isNaN { return .nan }
        let c = seen
        seen += 1
        defer { prev = v }
        if c == 0 { return .nan }
        let d = v - prev
        let dn = Double(n)
        if c <= n {
            if d < 0 { loss -= d } else { gain += d }
            if c < n { return .nan }
            gain /= dn; loss /= dn
        } else {
            loss *= dn - 1; gain *= dn - 1
            if d < 0 { loss -= d } else { gain += d }
            loss /= dn; gain /= dn
        }
        let sum = gain + loss
        if TA.isZero(sum) { return 0 }
        return cmo ? 100 * ((gain - loss) / sum) : 100 * (gain / sum)
    }
}

struct RSIKernel: StreamKernel {
    var rsi: RSIState
    init(n: Int, cmo: Bool) { rsi = RSIState(n: n, cmo: cmo) }
    mutating func run(_ x: KernelInputs, _ out: KernelOutputs, count: Int) {
        for i in 0 ..< count { out[0][i] = rsi.push(x[0][i]) }
    }
}

/// TA-Lib's MACD: the slow EMA is seeded with the SMA of the first `slow` values and the fast
/// one with the SMA of the `fast` values ending at the same bar, so both start at bar slow−1.
struct MACDKernel: StreamKernel {
    let fast, slow: Int
    let kFast, kSlow: Double
    var seen = 0
    var fastSum = 0.0, slowSum = 0.0
    var fastE = 0.0, slowE = 0.0
    var signal: EMAState
    init(fast: Int, slow: Int, signal: Int) {
        self.fast = fast; self.slow = slow
        kFast = 2 / (Double(fast) + 1); kSlow = 2 / (Double(slow) + 1)
        self.signal = EMAState(signal)
    }
    mutating func run(_ x: KernelInputs, _ out: KernelOutputs, count: Int) {
        for i in 0 ..< count {
            let v = x[0][i]
            if v.isNaN { TA.nanAll(out, i); continue }
            let c = seen
            seen += 1
            if c < slow {
                slowSum += v
                if c >= slow - fast { fastSum += v }
                if c < slow - 1 { TA.nanAll(out, i); continue }
                slowE = slowSum / Double(slow); fastE = fastSum / Double(fast)
            } else {
                fastE = (v - fastE) * kFast + fastE
                slowE = (v - slowE) * kSlow + slowE
            }
            let m = fastE - slowE
            let s = signal.push(m)
            if s.isNaN { TA.nanAll(out, i); continue }
            out[0][i] = m; out[1][i] = s; out[2][i] = m - s
        }
    }
}

/// Raw stochastic %K as TA-Lib computes it: 0 when the range / 100 is below 1e-14, which
/// also catches the rounding noise of an RSI that stopped moving (stochrsi).
@inline(__always) func stochasticK(_ c: Double, _ hh: Double, _ ll: Double) -> Double {
    let diff = (hh - ll) / 100
    return TA.isZero(diff) ? 0 : (c - ll) / diff
}

/// Fast %K followed by one (stochf) or two (stoch) SMAs; outputs the last two stages, both NaN
/// until the last one is defined (TA-Lib aligns them).
struct StochKernel: StreamKernel {
    var highs, lows: ExtremeWindow
    var first: SMAState
    var second: SMAState?
    init(fastk: Int, smooth: [Int]) {
        highs = ExtremeWindow(fastk); lows = ExtremeWindow(fastk)
        first = SMAState(smooth[0])
        second = smooth.count > 1 ? SMAState(smooth[1]) : nil
    }
    mutating func run(_ x: KernelInputs, _ out: KernelOutputs, count: Int) {
        for i in 0 ..< count {
            let hh = highs.push(x[0][i], highest: true), ll = lows.push(x[1][i], highest: false)
            let c = x[2][i]
            let raw = hh.isNaN || ll.isNaN || c.isNaN ? .nan : stochasticK(c, hh, ll)
            var k = raw, d = first.push(raw)
            if second != nil { k = d; d = second!.push(k) }
            out[0][i] = d.isNaN ? .nan : k
            out[1][i] = d
        }
    }
}

struct StochRSIKernel: StreamKernel {
    var rsi: RSIState
    var window: Ring
    var fastd: SMAState
    init(n: Int, fastk: Int, fastd: Int) { rsi = RSIState(n: n); window = Ring(fastk); self.fastd = SMAState(fastd) }
    mutating func run(_ x: KernelInputs, _ out: KernelOutputs, count: Int) {
        for i in 0 ..< count {
            let r = rsi.push(x[0][i])
            window.push(r)
            let k = window.isClean ? stochasticK(r, window.maxValue(), window.minValue()) : .nan
            let d = fastd.push(k)
            out[0][i] = d.isNaN ? .nan : k
            out[1][i] = d
        }
    }
}

/// TA-Lib's CCI sums its circular buffer slot by slot; Ring fills slots in the same order.
struct CCIKernel: StreamKernel {
    var ring: Ring
    let n: Int
    init(n: Int) { self.n = n; ring = Ring(n) }
    mutating func run(_ x: KernelInputs, _ out: KernelOutputs, count: Int) {
        let dn = Double(n)
        for i in 0 ..< count {
            let tp = (x[0][i] + x[1][i] + x[2][i]) / 3
            if tp.isNaN { ring.clear(); out[0][i] = .nan; continue }
            ring.push(tp)
            guard ring.isFull else { out[0][i] = .nan; continue }
            var mean = 0.0
            for s in ring.slots { mean += s }
            mean /= dn
            var dev = 0.0
            for s in ring.slots { dev += Swift.abs(s - mean) }
            let num = tp - mean
            out[0][i] = !TA.isZero(num) && !TA.isZero(dev) ? num / (0.015 * (dev / dn)) : 0
        }
    }
}

struct WillRKernel: StreamKernel {
    var highs, lows: ExtremeWindow
    init(n: Int) { highs = ExtremeWindow(n); lows = ExtremeWindow(n) }
    mutating func run(_ x: KernelInputs, _ out: KernelOutputs, count: Int) {
        for i in 0 ..< count {
            let hh = highs.push(x[0][i], highest: true), ll = lows.push(x[1][i], highest: false)
            let c = x[2][i]
            if hh.isNaN || ll.isNaN || c.isNaN { out[0][i] = .nan; continue }
            let diff = (hh - ll) / -100
            out[0][i] = TA.isZero(diff) ? 0 : (hh - c) / diff
        }
    }
}

/// mom / roc / rocp: x[t] against x[t−n]; NaN when either is NaN.
struct LagKernel: StreamKernel {
    enum Mode { case mom, roc, rocp }
    var ring: Ring
    let mode: Mode
    init(n: Int, mode: Mode) { ring = Ring(n); self.mode = mode }
    mutating func run(_ x: KernelInputs, _ out: KernelOutputs, count: Int) {
        for i in 0 ..< count {
            let v = x[0][i]
            guard let old = ring.push(v), !old.isNaN, !v.isNaN else { out[0][i] = .nan; continue }
            switch mode {
            case .mom: out[0][i] = v - old
            case .roc: out[0][i] = old != 0 ? (v / old - 1) * 100 : 0
            case .rocp: out[0][i] = old != 0 ? (v - old) / old : 0
            }
        }
    }
}
