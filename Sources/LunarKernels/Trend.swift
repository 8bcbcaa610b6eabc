/// Trend indicators: directional movement (Wilder), parabolic SAR, supertrend, aroon.
/// NaN: all follow the skip rule (a bar with any NaN input is absent) except aroon (window).
extension Registry {
    static let trend: [PrimitiveSpec] = [
        dm("adx", .adx, "Average directional index (TA-Lib ADX).",
           "dx = 100·|+di − −di|/(+di + −di); adx = mean of the first n dx, then Wilder", lookback: { 2 * $0 - 1 }),
        dm("plus_di", .plusDI, "Plus directional indicator (TA-Lib PLUS_DI).",
           "+di = 100·S(+dm)/S(tr), S = Wilder sum: S = S − S/n + x, started with the plain sum of the first n−1", lookback: { $0 }),
        dm("minus_di", .minusDI, "Minus directional indicator (TA-Lib MINUS_DI).",
           "−di = 100·S(−dm)/S(tr)", lookback: { $0 }),
        dm("dx", .dx, "Directional movement index (TA-Lib DX).",
           "dx = 100·|+di − −di|/(+di + −di)", lookback: { $0 }),
        dm("plus_dm", .plusDM, "Plus directional movement, Wilder-summed (TA-Lib PLUS_DM).",
           "+dm = h − h[−1] when it is > 0 and > l[−1] − l, else 0; then the Wilder sum S", lookback: { $0 - 1 }, hlOnly: true),
        dm("minus_dm", .minusDM, "Minus directional movement, Wilder-summed (TA-Lib MINUS_DM).",
           "−dm = l[−1] − l when it is > 0 and > h − h[−1], else 0; then the Wilder sum S", lookback: { $0 - 1 }, hlOnly: true),
        PrimitiveSpec(
            name: "psar", category: "trend",
            summary: "Parabolic SAR (TA-Lib SAR): stop-and-reverse level, first value at the second bar.",
            formula: "sar += af·(ep − sar), clamped by the last two bars; af += accel on each new extreme, up to max; flips when the bar crosses sar",
            inputs: [.init("high"), .init("low")],
            params: [.init("accel", integer: false, default: 0.02, range: 0 ... 10),
                     .init("max", integer: false, default: 0.2, range: 0 ... 10)],
            lookback: { _ in 1 }, kernel: { p in PSARKernel(accel: min(p[0], p[1]), maximum: p[1]) }),
        PrimitiveSpec(
            name: "supertrend", category: "trend",
            summary: "Supertrend (not in TA-Lib; TradingView's definition on TA-Lib's ATR): the trailing band and the direction (+1 up, −1 down).",
            formula: "bands = (h+l)/2 ± mult·atr(n), ratcheted; up while c stays above the lower band, down while below the upper; starts down",
            inputs: [.init("high"), .init("low"), .init("close")],
            params: [.init("period", default: 10), .init("mult", integer: false, default: 3, range: 0 ... 1000)],
            outputs: [.init("value"), .init("direction")],
            lookback: { Int($0[0]) }, kernel: { p in SupertrendKernel(n: Int(p[0]), mult: p[1]) }),
        PrimitiveSpec(
            name: "aroon", category: "trend",
            summary: "Aroon down and up (TA-Lib AROON): how recent the lowest low / highest high of the last n+1 bars is.",
            formula: "up = 100·(n − bars since highest(h, n+1))/n; down likewise with the lowest low",
            inputs: [.init("high"), .init("low")], params: [.init("period", default: 14, range: 2 ... 100_000)],
            outputs: [.init("down"), .init("up")],
            lookback: { Int($0[0]) }, kernel: { AroonKernel(n: Int($0[0])) }),
    ]

    private static func dm(_ name: String, _ mode: DMKernel.Mode, _ summary: String, _ formula: String,
                           lookback: @escaping @Sendable (Int) -> Int, hlOnly: Bool = false) -> PrimitiveSpec {
        PrimitiveSpec(
            name: name, category: "trend", summary: summary, formula: formula,
            inputs: hlOnly ? [.init("high"), .init("low")] : [.init("high"), .init("low"), .init("close")],
            params: [.init("period", default: 14, range: 2 ... 100_000)],
            lookback: { lookback(Int($0[0])) }, kernel: { DMKernel(n: Int($0[0]), mode: mode) })
    }
}

/// Wilder's directional movement family, step for step as TA-Lib computes it.
struct DMKernel: StreamKernel {
    enum Mode: Sendable { case plusDM, minusDM, plusDI, minusDI, dx, adx }
    let n: Int
    let mode: Mode
    var seen = 0
    var prevHigh = 0.0, prevLow = 0.0, prevClose = 0.0
    var sumP = 0.0, sumM = 0.0, sumTR = 0.0
    var lastDX = 0.0
    var sumDX = 0.0, adx = 0.0
    init(n: Int, mode: Mode) { self.n = n; self.mode = mode }

    mutating func run(_ x: KernelInputs, _ out: KernelOutputs, count: Int) {
        let dn = Double(n)
        let usesClose = x.count > 2
        for i in 0 ..< count {
            if TA.anyNaN(x, i) { out[0][i] = .nan; continue }
            let h = x[0][i], l = x[1][i], c = usesClose ? x[2][i] : 0
            let t = seen
            seen += 1
            defer { prevHigh = h; prevLow = l; prevClose = c }
            if t == 0 { out[0][i] = .nan; continue }
            let diffP = h - prevHigh, diffM = prevLow - l
            let plus = diffP > 0 && diffP > diffM ? diffP : 0
            let minus = diffM > 0 && diffP < diffM ? diffM : 0
            let tr = usesClose ? TA.trueRange(h, l, prevClose) : 0
            if t < n {
                sumP += plus; sumM += minus; sumTR += tr
                if t == n - 1 && (mode == .plusDM || mode == .minusDM) {
                    out[0][i] = mode == .plusDM ? sumP : sumM
                } else {
                    out[0][i] = .nan
                }
                continue
            }
            sumP = sumP - sumP / dn + plus
            sumM = sumM - sumM / dn + minus
            sumTR = sumTR - sumTR / dn + tr
            switch mode {
            case .plusDM: out[0][i] = sumP
            case .minusDM: out[0][i] = sumM
            case .plusDI: out[0][i] = TA.isZero(sumTR) ? 0 : 100 * (sumP / sumTR)
            case .minusDI: out[0][i] = TA.isZero(sumTR) ? 0 : 100 * (sumM / sumTR)
            case .dx:
                // TA-Lib repeats the previous DX when it is undefined (0 at the start).
                if let dx = directionalIndex() { lastDX = dx }
                out[0][i] = lastDX
            case .adx:
                let dx = directionalIndex()
                if t < 2 * n - 1 {
                    sumDX += dx ?? 0
                    out[0][i] = .nan
                } else if t == 2 * n - 1 {
                    sumDX += dx ?? 0
                    adx = sumDX / dn
                    out[0][i] = adx
                } else {
                    if let dx { adx = (adx * (dn - 1) + dx) / dn }
                    out[0][i] = adx
                }
            }
        }
    }

    /// DX from the current sums, nil where TA-Lib leaves it undefined (zero TR or zero DI sum).
    private func directionalIndex() -> Double? {
        guard !TA.isZero(sumTR) else { return nil }
        let minusDI = 100 * (sumM / sumTR), plusDI = 100 * (sumP / sumTR)
        let sum = minusDI + plusDI
        guard !TA.isZero(sum) else { return nil }
        return 100 * (Swift.abs(minusDI - plusDI) / sum)
    }
}

/// TA-Lib's SAR, including how it starts: the direction from the first two bars' directional
/// movement, and bar 1 standing in for "the previous bar" on the first step.
struct PSARKernel: StreamKernel {
    let accel, maximum: Double
    var seen = 0
    var isLong = true
    var sar = 0.0, ep = 0.0, af = 0.0
    var newHigh = 0.0, newLow = 0.0
    init(accel: Double, maximum: Double) { self.accel = accel; self.maximum = maximum; af = accel }

    mutating func run(_ x: KernelInputs, _ out: KernelOutputs, count: Int) {
        for i in 0 ..< count {
            let h = x[0][i], l = x[1][i]
            if h.isNaN || l.isNaN { out[0][i] = .nan; continue }
            let t = seen
            seen += 1
            if t == 0 { newHigh = h; newLow = l; out[0][i] = .nan; continue }
            if t == 1 {
                let diffM = newLow - l, diffP = h - newHigh
                isLong = !(diffM > 0 && diffM > diffP)
                if isLong { ep = h; sar = newLow } else { ep = l; sar = newHigh }
                newHigh = h; newLow = l
            }
            let prevHigh = newHigh, prevLow = newLow
            newHigh = h; newLow = l
            if isLong {
                if newLow <= sar {
                    isLong = false
                    sar = Swift.max(ep, prevHigh, newHigh)
                    out[0][i] = sar
                    af = accel; ep = newLow
                    sar += af * (ep - sar)
                    sar = Swift.max(sar, prevHigh, newHigh)
                } else {
                    out[0][i] = sar
                    if newHigh > ep { ep = newHigh; af = Swift.min(af + accel, maximum) }
                    sar += af * (ep - sar)
                    sar = Swift.min(sar, prevLow, newLow)
                }
            } else {
                if newHigh >= sar {
                    isLong = true
                    sar = Swift.min(ep, prevLow, newLow)
                    out[0][i] = sar
                    af = accel; ep = newHigh
                    sar += af * (ep - sar)
                    sar = Swift.min(sar, prevLow, newLow)
                } else {
                    out[0][i] = sar
                    if newLow < ep { ep = newLow; af = Swift.min(af + accel, maximum) }
                    sar += af * (ep - sar)
                    sar = Swift.max(sar, prevHigh, newHigh)
                }
            }
        }
    }
}

/// TradingView's `ta.supertrend` on TA-Lib's ATR. Its direction is flipped here: +1 = up.
struct SupertrendKernel: StreamKernel {
    let mult: Double
    var atr: ATRState
    var started = false
    var upper = 0.0, lower = 0.0, prevClose = 0.0
    var isUp = false
    init(n: Int, mult: Double) { self.mult = mult; atr = ATRState(n) }

    mutating func run(_ x: KernelInputs, _ out: KernelOutputs, count: Int) {
        for i in 0 ..< count {
            if TA.anyNaN(x, i) { TA.nanAll(out, i); continue }
            let h = x[0][i], l = x[1][i], c = x[2][i]
            let a = atr.push(h, l, c)
            defer { prevClose = c }
            if a.isNaN { TA.nanAll(out, i); continue }
            let mid = (h + l) / 2
            var up = mid + mult * a, lo = mid - mult * a
            if started {
                if !(lo > lower || prevClose < lower) { lo = lower }
                if !(up < upper || prevClose > upper) { up = upper }
                // TradingView: if the last value was the upper band (down), flip up on a close above it.
                isUp = isUp ? !(c < lo) : c > up
            } else {
                started = true
                isUp = false
            }
            upper = up; lower = lo
            out[0][i] = isUp ? lo : up
            out[1][i] = isUp ? 1 : -1
        }
    }
}

/// TA-Lib's AROON over n+1 bars. Ties go to the latest bar (TA-Lib's `>=` / `<=` tracking).
struct AroonKernel: StreamKernel {
    var highs, lows: ExtremeWindow
    let n: Int
    init(n: Int) { self.n = n; highs = ExtremeWindow(n + 1); lows = ExtremeWindow(n + 1) }
    mutating func run(_ x: KernelInputs, _ out: KernelOutputs, count: Int) {
        let factor = 100 / Double(n)
        for i in 0 ..< count {
            let hi = highs.push(x[0][i], highest: true), lo = lows.push(x[1][i], highest: false)
            guard !hi.isNaN, !lo.isNaN else { TA.nanAll(out, i); continue }
            out[0][i] = factor * Double(n - lows.barsSinceExtreme)
            out[1][i] = factor * Double(n - highs.barsSinceExtreme)
        }
    }
}
