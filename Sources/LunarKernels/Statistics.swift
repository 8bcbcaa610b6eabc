/// Rolling statistics. NaN: all follow the window rule except cumsum (skip rule).
extension Registry {
    static let statistics: [PrimitiveSpec] = [
        PrimitiveSpec(
            name: "variance", category: "statistics",
            summary: "Rolling population variance (divisor n, TA-Lib VAR).",
            formula: "variance = Σx²/n − (Σx/n)² over the last n values",
            inputs: [.init("x")], params: [period],
            lookback: { Int($0[0]) - 1 }, kernel: { VarianceKernel(n: Int($0[0])) }),
        PrimitiveSpec(
            name: "sum", category: "statistics",
            summary: "Rolling sum (TA-Lib SUM).",
            formula: "sum[t] = x[t−n+1] + … + x[t]",
            inputs: [.init("x")], params: [period],
            lookback: { Int($0[0]) - 1 }, kernel: { SumKernel(n: Int($0[0])) }),
        PrimitiveSpec(
            name: "linreg", category: "statistics",
            summary: "Least-squares line through the last n values: its value at the last bar, slope and intercept (TA-Lib LINEARREG, _SLOPE, _INTERCEPT).",
            formula: "fit x[t−n+1+j] ≈ b + m·j, j = 0..n−1; value = b + m·(n−1), slope = m, intercept = b",
            inputs: [.init("x")], params: [.init("period", range: 2 ... 100_000)],
            outputs: [.init("value"), .init("slope"), .init("intercept")],
            lookback: { Int($0[0]) - 1 }, kernel: { LinRegKernel(n: Int($0[0])) }),
        PrimitiveSpec(
            name: "correl", category: "statistics",
            summary: "Rolling Pearson correlation of two series' values (TA-Lib CORREL); 0 when either is flat.",
            formula: "correl = cov(a, b)/(σa·σb) over the last n bars",
            inputs: [.init("a"), .init("b")], params: [period],
            lookback: { Int($0[0]) - 1 }, kernel: { CorrelKernel(n: Int($0[0])) }),
        PrimitiveSpec(
            name: "beta", category: "statistics",
            summary: "Rolling beta of b's one-bar returns on a's (TA-Lib BETA); 0 when a's returns are flat.",
            formula: "ra, rb = one-bar returns; beta = (n·Σra·rb − Σra·Σrb)/(n·Σra² − (Σra)²) over the last n returns",
            inputs: [.init("a"), .init("b")], params: [period],
            lookback: { Int($0[0]) }, kernel: { BetaKernel(n: Int($0[0])) }),
        PrimitiveSpec(
            name: "highestbars", category: "statistics",
            summary: "Bars since the highest value of the last n bars (0 = this bar; ties go to the latest bar).",
            formula: "highestbars[t] = t − argmax(x[t−n+1..t]), the latest index on ties",
            inputs: [.init("x")], params: [period],
            lookback: { Int($0[0]) - 1 }, kernel: { ExtremeBarsKernel(n: Int($0[0]), highest: true) }),
        PrimitiveSpec(
            name: "lowestbars", category: "statistics",
            summary: "Bars since the lowest value of the last n bars (0 = this bar; ties go to the latest bar).",
            formula: "lowestbars[t] = t − argmin(x[t−n+1..t]), the latest index on ties",
            inputs: [.init("x")], params: [period],
            lookback: { Int($0[0]) - 1 }, kernel: { ExtremeBarsKernel(n: Int($0[0]), highest: false) }),
        PrimitiveSpec(
            name: "rollzscore", category: "statistics",
            summary: "Rolling z-score of a series against its own last n values (population σ; 0 when σ = 0). Not the cross-sectional zscore.",
            formula: "rollzscore = (x − mean(x, n)) / stdev(x, n)",
            inputs: [.init("x")], params: [.init("period", range: 2 ... 100_000)],
            lookback: { Int($0[0]) - 1 }, kernel: { ZScoreKernel(n: Int($0[0])) }),
        PrimitiveSpec(
            name: "percentrank", category: "statistics",
            summary: "Percent of the previous n values that are ≤ the current one (TradingView percentrank).",
            formula: "percentrank[t] = 100·#{k = 1..n : x[t−k] ≤ x[t]} / n",
            inputs: [.init("x")], params: [period],
            lookback: { Int($0[0]) }, kernel: { PercentRankKernel(n: Int($0[0])) }),
        PrimitiveSpec(
            name: "cumsum", category: "statistics",
            summary: "Cumulative sum; a NaN bar gives NaN and adds nothing.",
            formula: "cumsum[t] = Σ_{k ≤ t} x[k] over the non-NaN values",
            inputs: [.init("x")],
            lookback: { _ in 0 }, kernel: { _ in CumSumKernel() }),
    ]
}

/// TA-Lib's VAR: two running sums, add the newest, read, subtract the oldest.
struct VarianceKernel: StreamKernel {
    var sum, sumSq: WindowSum
    let dn: Double
    init(n: Int) { sum = WindowSum(n); sumSq = WindowSum(n); dn = Double(n) }
    mutating func run(_ x: KernelInputs, _ out: KernelOutputs, count: Int) {
        for i in 0 ..< count {
            let v = x[0][i]
            let s = sum.push(v), s2 = sumSq.push(v * v)
            let mean = s / dn
            out[0][i] = s2 / dn - mean * mean
        }
    }
}

struct SumKernel: StreamKernel {
    var sum: WindowSum
    init(n: Int) { sum = WindowSum(n) }
    mutating func run(_ x: KernelInputs, _ out: KernelOutputs, count: Int) {
        for i in 0 ..< count { out[0][i] = sum.push(x[0][i]) }
    }
}

/// TA-Lib's LINEARREG family: per window, sums over j = bars ago, oldest first.
struct LinRegKernel: StreamKernel {
    var ring: Ring
    let n: Int
    let sumX, divisor: Double
    init(n: Int) {
        self.n = n; ring = Ring(n)
        let dn = Double(n)
        sumX = dn * (dn - 1) * 0.5
        let sumXSqr = dn * (dn - 1) * (2 * dn - 1) / 6
        divisor = sumX * sumX - dn * sumXSqr
    }
    mutating func run(_ x: KernelInputs, _ out: KernelOutputs, count: Int) {
        let dn = Double(n)
        for i in 0 ..< count {
            ring.push(x[0][i])
            guard ring.isClean else { TA.nanAll(out, i); continue }
            var sumXY = 0.0, sumY = 0.0
            let last = n - 1
            ring.forEachOldestFirst { k, y in
                sumY += y
                sumXY += Double(last - k) * y         // x = bars ago, as TA-Lib has it
            }
            let m = (dn * sumXY - sumX * sumY) / divisor
            let b = (sumY - m * sumX) / dn
            out[0][i] = b + m * (dn - 1)
            out[1][i] = m
            out[2][i] = b
        }
    }
}

/// CORREL with two passes per window: TA-Lib 0.6+ matches the centred sums to ~1e-10 and gives
/// exactly 0 on a flat window, which five running sums cannot (they lose ~1e-8 on tight windows).
struct CorrelKernel: StreamKernel {
    var xs, ys: Ring
    let n: Int
    init(n: Int) { self.n = n; xs = Ring(n); ys = Ring(n) }
    mutating func run(_ inputs: KernelInputs, _ out: KernelOutputs, count: Int) {
        let dn = Double(n)
        for i in 0 ..< count {
            let x = inputs[0][i], y = inputs[1][i]
            // A NaN in either series puts the pair out of the window.
            xs.push(y.isNaN ? .nan : x); ys.push(x.isNaN ? .nan : y)
            guard xs.isClean, ys.isClean else { out[0][i] = .nan; continue }
            // Both rings were pushed in step, so their slots pair up.
            let mx = xs.sum() / dn, my = ys.sum() / dn
            var sxx = 0.0, syy = 0.0, sxy = 0.0
            xs.forEachSlotOldestFirst { _, s in
                let dx = xs.slots[s] - mx, dy = ys.slots[s] - my
                sxx += dx * dx; syy += dy * dy; sxy += dx * dy
            }
            let d = sxx * syy
            out[0][i] = TA.isZero(d) ? 0 : sxy / d.squareRoot()
        }
    }
}

/// TA-Lib's BETA on one-bar returns (0 when the previous price is 0): add the newest return,
/// read, remove the oldest. Restarts after a NaN.
struct BetaKernel: StreamKernel {
    var rx, ry: Ring
    var lastX = Double.nan, lastY = Double.nan
    var sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0
    let n: Int
    init(n: Int) { self.n = n; rx = Ring(n); ry = Ring(n) }
    mutating func run(_ inputs: KernelInputs, _ out: KernelOutputs, count: Int) {
        let dn = Double(n)
        for i in 0 ..< count {
            let px = inputs[0][i], py = inputs[1][i]
            if px.isNaN || py.isNaN {
                rx.clear(); ry.clear(); sx = 0; sy = 0; sxx = 0; sxy = 0
                lastX = .nan; lastY = .nan
                out[0][i] = .nan; continue
            }
            defer { lastX = px; lastY = py }
            if lastX.isNaN { out[0][i] = .nan; continue }
            let x = TA.isZero(lastX) ? 0 : (px - lastX) / lastX
            let y = TA.isZero(lastY) ? 0 : (py - lastY) / lastY
            rx.push(x); ry.push(y)
            sxx += x * x; sx += x; sxy += x * y; sy += y
            guard rx.isFull else { out[0][i] = .nan; continue }
            let d = dn * sxx - sx * sx
            out[0][i] = TA.isZero(d) ? 0 : (dn * sxy - sx * sy) / d
            let ox = rx.oldest, oy = ry.oldest
            sxx -= ox * ox; sx -= ox; sxy -= ox * oy; sy -= oy
        }
    }
}

struct ExtremeBarsKernel: StreamKernel {
    var window: ExtremeWindow
    let highest: Bool
    init(n: Int, highest: Bool) { self.highest = highest; window = ExtremeWindow(n) }
    mutating func run(_ x: KernelInputs, _ out: KernelOutputs, count: Int) {
        for i in 0 ..< count {
            let v = window.push(x[0][i], highest: highest)
            out[0][i] = v.isNaN ? .nan : Double(window.barsSinceExtreme)
        }
    }
}

/// Two passes over the window (mean, then squared deviations) for an accurate σ.
struct ZScoreKernel: StreamKernel {
    var ring: Ring
    let n: Int
    init(n: Int) { self.n = n; ring = Ring(n) }
    mutating func run(_ x: KernelInputs, _ out: KernelOutputs, count: Int) {
        let dn = Double(n)
        for i in 0 ..< count {
            ring.push(x[0][i])
            guard ring.isClean else { out[0][i] = .nan; continue }
            let mean = ring.sum() / dn
            var ss = 0.0
            ring.forEachOldestFirst { _, v in let d = v - mean; ss += d * d }
            let sd = (ss / dn).squareRoot()
            out[0][i] = sd == 0 ? 0 : (x[0][i] - mean) / sd
        }
    }
}

struct PercentRankKernel: StreamKernel {
    var ring: Ring
    let n: Int
    init(n: Int) { self.n = n; ring = Ring(n + 1) }
    mutating func run(_ x: KernelInputs, _ out: KernelOutputs, count: Int) {
        for i in 0 ..< count {
            ring.push(x[0][i])
            guard ring.isClean else { out[0][i] = .nan; continue }
            let v = x[0][i]
            var notAbove = -1                      // the current value counts itself once
            for k in 0 ... n where ring.slots[k] <= v { notAbove += 1 }
            out[0][i] = 100 * Double(notAbove) / Double(n)
        }
    }
}

struct CumSumKernel: StreamKernel {
    var total = 0.0
    mutating func run(_ x: KernelInputs, _ out: KernelOutputs, count: Int) {
        for i in 0 ..< count {
            let v = x[0][i]
            if v.isNaN { out[0][i] = .nan; continue }
            total += v
            out[0][i] = total
        }
    }
}
