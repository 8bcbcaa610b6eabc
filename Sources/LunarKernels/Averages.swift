/// Moving averages beyond sma/ema (which live in CoreKernels.swift).
/// NaN: wma, trima, hma, vwma follow the window rule; dema, tema, kama, rma the skip rule.
extension Registry {
    static let averages: [PrimitiveSpec] = [
        PrimitiveSpec(
            name: "wma", category: "average",
            summary: "Linearly weighted moving average, newest weight n (TA-Lib WMA).",
            formula: "wma[t] = Σ_{i=1..n} i·x[t−n+i] / (n(n+1)/2)",
            inputs: [.init("x")], params: [period],
            lookback: { Int($0[0]) - 1 }, kernel: { WMAKernel(n: Int($0[0])) }),
        PrimitiveSpec(
            name: "dema", category: "average",
            summary: "Double EMA (TA-Lib DEMA): both EMAs seeded with the SMA of their first n inputs.",
            formula: "e1 = ema(x, n); e2 = ema(e1, n); dema = 2·e1 − e2",
            inputs: [.init("x")], params: [period],
            lookback: { 2 * (Int($0[0]) - 1) }, kernel: { MultiEMAKernel(n: Int($0[0]), depth: 2) }),
        PrimitiveSpec(
            name: "tema", category: "average",
            summary: "Triple EMA (TA-Lib TEMA).",
            formula: "e1 = ema(x, n); e2 = ema(e1, n); e3 = ema(e2, n); tema = 3·e1 − 3·e2 + e3",
            inputs: [.init("x")], params: [period],
            lookback: { 3 * (Int($0[0]) - 1) }, kernel: { MultiEMAKernel(n: Int($0[0]), depth: 3) }),
        PrimitiveSpec(
            name: "trima", category: "average",
            summary: "Triangular moving average: an SMA of an SMA (TA-Lib TRIMA).",
            formula: "n odd: sma(sma(x, (n+1)/2), (n+1)/2); n even: sma(sma(x, n/2), n/2 + 1)",
            inputs: [.init("x")], params: [period],
            lookback: { Int($0[0]) - 1 }, kernel: { TRIMAKernel(n: Int($0[0])) }),
        PrimitiveSpec(
            name: "kama", category: "average",
            summary: "Kaufman adaptive moving average, fast 2 / slow 30 (TA-Lib KAMA).",
            formula: "er = |x[t] − x[t−n]| / Σ|Δx| over n; sc = (er·(2/3 − 2/31) + 2/31)²; kama += sc·(x − kama), kama[n−1] = x[n−1]",
            inputs: [.init("x")], params: [.init("period", default: 30, range: 2 ... 100_000)],
            lookback: { Int($0[0]) }, kernel: { KAMAKernel(n: Int($0[0])) }),
        PrimitiveSpec(
            name: "rma", category: "average",
            summary: "Wilder's moving average (RMA / SMMA), seeded with the SMA of the first n values as in TA-Lib's ATR and RSI.",
            formula: "rma[n−1] = mean(x[0..n−1]); rma[t] = (rma[t−1]·(n−1) + x[t]) / n",
            inputs: [.init("x")], params: [period],
            lookback: { Int($0[0]) - 1 }, kernel: { RMAKernel(n: Int($0[0])) }),
        PrimitiveSpec(
            name: "hma", category: "average",
            summary: "Hull moving average (not in TA-Lib): a WMA of 2·WMA(n/2) − WMA(n) over √n bars.",
            formula: "hma = wma(2·wma(x, ⌊n/2⌋) − wma(x, n), ⌊√n⌋)",
            inputs: [.init("x")], params: [.init("period", range: 2 ... 100_000)],
            lookback: { p in let n = Int(p[0]); return n - 1 + HMAKernel.sqrtPeriod(n) - 1 },
            kernel: { HMAKernel(n: Int($0[0])) }),
        PrimitiveSpec(
            name: "vwma", category: "average",
            summary: "Volume-weighted moving average (not in TA-Lib); NaN where the window's volume sums to 0.",
            formula: "vwma = Σ x·volume / Σ volume over the last n bars",
            inputs: [.init("x"), .init("volume")], params: [period],
            lookback: { Int($0[0]) - 1 }, kernel: { VWMAKernel(n: Int($0[0])) }),
    ]
}

struct WMAKernel: StreamKernel {
    var wma: WMAState
    init(n: Int) { wma = WMAState(n) }
    mutating func run(_ x: KernelInputs, _ out: KernelOutputs, count: Int) {
        for i in 0 ..< count { out[0][i] = wma.push(x[0][i]) }
    }
}

/// DEMA (depth 2) and TEMA (depth 3): chained EMAs, each seeded by TA-Lib's rule.
struct MultiEMAKernel: StreamKernel {
    var e1, e2, e3: EMAState
    let depth: Int
    init(n: Int, depth: Int) { e1 = EMAState(n); e2 = EMAState(n); e3 = EMAState(n); self.depth = depth }
    mutating func run(_ x: KernelInputs, _ out: KernelOutputs, count: Int) {
        for i in 0 ..< count {
            let a = e1.push(x[0][i])
            let b = a.isNaN ? .nan : e2.push(a)
            if depth == 2 { out[0][i] = b.isNaN ? .nan : 2 * a - b; continue }
            let c = b.isNaN ? .nan : e3.push(b)
            out[0][i] = c.isNaN ? .nan : 3 * a - 3 * b + c
        }
    }
}

struct TRIMAKernel: StreamKernel {
    var inner, outer: SMAState
    init(n: Int) {
        let (m1, m2) = n % 2 == 1 ? ((n + 1) / 2, (n + 1) / 2) : (n / 2, n / 2 + 1)
        inner = SMAState(m1); outer = SMAState(m2)
    }
    mutating func run(_ x: KernelInputs, _ out: KernelOutputs, count: Int) {
        for i in 0 ..< count { out[0][i] = outer.push(inner.push(x[0][i])) }
    }
}

/// TA-Lib's KAMA, including its quirks: the ratio is 1 when Σ|Δx| ≤ the signed change, and the
/// running Σ|Δx| drops the oldest difference before adding the newest.
struct KAMAKernel: StreamKernel {
    let n: Int
    var ring: Ring                        // the last n+2 values
    var seen = 0
    var sumROC = 0.0
    var kama = 0.0
    static let fast = 2.0 / 3, slow = 2.0 / 31
    init(n: Int) { self.n = n; ring = Ring(n + 2) }
    mutating func run(_ x: KernelInputs, _ out: KernelOutputs, count: Int) {
        for i in 0 ..< count {
            let v = x[0][i]
            if v.isNaN { out[0][i] = .nan; continue }
            ring.push(v)
            let c = seen
            seen += 1
            if c == 0 { out[0][i] = .nan; continue }
            if c > n { sumROC -= Swift.abs(ring.back(n + 1) - ring.back(n)) }
            sumROC += Swift.abs(v - ring.back(1))
            if c < n {
                if c == n - 1 { kama = v }
                out[0][i] = .nan
                continue
            }
            let change = v - ring.back(n)
            let er = sumROC <= change || TA.isZero(sumROC) ? 1 : Swift.abs(change / sumROC)
            var sc = er * (KAMAKernel.fast - KAMAKernel.slow) + KAMAKernel.slow
            sc *= sc
            kama = (v - kama) * sc + kama
            out[0][i] = kama
        }
    }
}

struct RMAKernel: StreamKernel {
    var rma: WilderState
    init(n: Int) { rma = WilderState(n) }
    mutating func run(_ x: KernelInputs, _ out: KernelOutputs, count: Int) {
        for i in 0 ..< count { out[0][i] = rma.push(x[0][i]) }
    }
}

struct HMAKernel: StreamKernel {
    var half, full, outer: WMAState
    static func sqrtPeriod(_ n: Int) -> Int { max(1, Int(Double(n).squareRoot())) }
    init(n: Int) { half = WMAState(n / 2); full = WMAState(n); outer = WMAState(HMAKernel.sqrtPeriod(n)) }
    mutating func run(_ x: KernelInputs, _ out: KernelOutputs, count: Int) {
        for i in 0 ..< count {
            let v = x[0][i]
            let a = half.push(v), b = full.push(v)
            out[0][i] = outer.push(2 * a - b)
        }
    }
}

struct VWMAKernel: StreamKernel {
    var pv, vol: WindowSum
    init(n: Int) { pv = WindowSum(n); vol = WindowSum(n) }
    mutating func run(_ x: KernelInputs, _ out: KernelOutputs, count: Int) {
        for i in 0 ..< count {
            let p = x[0][i], v = x[1][i]
            let bad = p.isNaN || v.isNaN
            let a = pv.push(bad ? .nan : p * v), b = vol.push(bad ? .nan : v)
            out[0][i] = b == 0 ? .nan : a / b
        }
    }
}
