/// Volatility: true range, ATR, Bollinger, Donchian and Keltner channels.
/// NaN: trange, atr, natr, keltner follow the skip rule; bbands and donchian the window rule.
extension Registry {
    static let volatility: [PrimitiveSpec] = [
        PrimitiveSpec(
            name: "trange", category: "volatility",
            summary: "True range (TA-Lib TRANGE); NaN on the first bar, which has no previous close.",
            formula: "tr = max(h, c[t−1]) − min(l, c[t−1])",
            inputs: [.init("high"), .init("low"), .init("close")],
            lookback: { _ in 1 }, kernel: { _ in ATRKernel(n: 1, mode: .trange) }),
        PrimitiveSpec(
            name: "atr", category: "volatility",
            summary: "Average true range (TA-Lib ATR): the mean of the first n true ranges, then Wilder.",
            formula: "atr[n] = mean(tr[1..n]); atr[t] = (atr[t−1]·(n−1) + tr[t]) / n",
            inputs: [.init("high"), .init("low"), .init("close")], params: [.init("period", default: 14)],
            lookback: { Int($0[0]) }, kernel: { ATRKernel(n: Int($0[0]), mode: .atr) }),
        PrimitiveSpec(
            name: "natr", category: "volatility",
            summary: "Normalized ATR in percent of the close (TA-Lib NATR); 0 when the close is 0.",
            formula: "natr = 100·atr/c",
            inputs: [.init("high"), .init("low"), .init("close")], params: [.init("period", default: 14)],
            lookback: { Int($0[0]) }, kernel: { ATRKernel(n: Int($0[0]), mode: .natr) }),
        PrimitiveSpec(
            name: "bbands", category: "volatility",
            summary: "Bollinger bands: SMA ± k·population stdev (TA-Lib BBANDS with matype 0; default period 20, not TA-Lib's 5).",
            formula: "middle = sma(x, n); upper = middle + up·σ; lower = middle − down·σ, σ with divisor n",
            inputs: [.init("x")],
            params: [.init("period", default: 20, range: 2 ... 100_000),
                     .init("up", integer: false, default: 2, range: -1000 ... 1000),
                     .init("down", integer: false, default: 2, range: -1000 ... 1000)],
            outputs: [.init("upper"), .init("middle"), .init("lower")],
            lookback: { Int($0[0]) - 1 }, kernel: { p in BBandsKernel(n: Int(p[0]), up: p[1], down: p[2]) }),
        PrimitiveSpec(
            name: "donchian", category: "volatility",
            summary: "Donchian channel (not in TA-Lib): highest high, midpoint, lowest low of the last n bars.",
            formula: "upper = highest(h, n); lower = lowest(l, n); middle = (upper + lower)/2",
            inputs: [.init("high"), .init("low")], params: [.init("period", default: 20)],
            outputs: [.init("upper"), .init("middle"), .init("lower")],
            lookback: { Int($0[0]) - 1 }, kernel: { DonchianKernel(n: Int($0[0])) }),
        PrimitiveSpec(
            name: "keltner", category: "volatility",
            summary: "Keltner channel (not in TA-Lib): EMA of the close ± mult·ATR.",
            formula: "middle = ema(c, n); upper/lower = middle ± mult·atr(h, l, c, atr_period)",
            inputs: [.init("high"), .init("low"), .init("close")],
            params: [.init("period", default: 20), .init("mult", integer: false, default: 2, range: 0 ... 1000),
                     .init("atr_period", default: 10)],
            outputs: [.init("upper"), .init("middle"), .init("lower")],
            lookback: { p in max(Int(p[0]) - 1, Int(p[2])) },
            kernel: { p in KeltnerKernel(n: Int(p[0]), mult: p[1], atrPeriod: Int(p[2])) }),
    ]
}

struct ATRKernel: StreamKernel {
    enum Mode { case trange, atr, natr }
    var atr: ATRState
    let mode: Mode
    init(n: Int, mode: Mode) { atr = ATRState(n); self.mode = mode }
    mutating func run(_ x: KernelInputs, _ out: KernelOutputs, count: Int) {
        for i in 0 ..< count {
            if TA.anyNaN(x, i) { out[0][i] = .nan; continue }
            let c = x[2][i]
            let a = atr.push(x[0][i], x[1][i], c)
            switch mode {
            case .trange: out[0][i] = atr.lastTrueRange
            case .atr: out[0][i] = a
            case .natr: out[0][i] = a.isNaN ? .nan : (TA.isZero(c) ? 0 : (a / c) * 100)
            }
        }
    }
}

/// BBANDS with a two-pass σ per window: TA-Lib 0.6+ gives exactly 0 on flat windows and
/// agrees with the two-pass σ to ~1e-11, where E[x²] − mean² loses up to 1e-8 on tight windows.
struct BBandsKernel: StreamKernel {
    var ring: Ring
    var sum: WindowSum
    let n: Int
    let up, down: Double
    init(n: Int, up: Double, down: Double) { self.n = n; self.up = up; self.down = down; ring = Ring(n); sum = WindowSum(n) }
    mutating func run(_ x: KernelInputs, _ out: KernelOutputs, count: Int) {
        let dn = Double(n)
        for i in 0 ..< count {
            let v = x[0][i]
            ring.push(v)
            let s = sum.push(v)
            if s.isNaN { TA.nanAll(out, i); continue }
            let mid = s / dn
            var ss = 0.0
            ring.forEachOldestFirst { _, v in let d = v - mid; ss += d * d }
            let sd = (ss / dn).squareRoot()
            out[0][i] = mid + up * sd
            out[1][i] = mid
            out[2][i] = mid - down * sd
        }
    }
}

struct DonchianKernel: StreamKernel {
    var highs, lows: ExtremeWindow
    init(n: Int) { highs = ExtremeWindow(n); lows = ExtremeWindow(n) }
    mutating func run(_ x: KernelInputs, _ out: KernelOutputs, count: Int) {
        for i in 0 ..< count {
            let hh = highs.push(x[0][i], highest: true), ll = lows.push(x[1][i], highest: false)
            if hh.isNaN || ll.isNaN { TA.nanAll(out, i); continue }
            out[0][i] = hh; out[1][i] = (hh + ll) / 2; out[2][i] = ll
        }
    }
}

struct KeltnerKernel: StreamKernel {
    var ema: EMAState
    var atr: ATRState
    let mult: Double
    init(n: Int, mult: Double, atrPeriod: Int) { ema = EMAState(n); atr = ATRState(atrPeriod); self.mult = mult }
    mutating func run(_ x: KernelInputs, _ out: KernelOutputs, count: Int) {
        for i in 0 ..< count {
            if TA.anyNaN(x, i) { TA.nanAll(out, i); continue }
            let m = ema.push(x[2][i]), a = atr.push(x[0][i], x[1][i], x[2][i])
            if m.isNaN || a.isNaN { TA.nanAll(out, i); continue }
            out[0][i] = m + mult * a; out[1][i] = m; out[2][i] = m - mult * a
        }
    }
}
