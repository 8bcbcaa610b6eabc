/// The core primitives: shifts, rolling windows, the EMA and crossings.
/// Rolling windows are NaN until full and while any value in the window is NaN.
extension Registry {
    static let period = PrimitiveSpec.Param("period", range: 1 ... 100_000)

    static let core: [PrimitiveSpec] = [
        PrimitiveSpec(
            name: "shift", category: "transform",
            summary: "The value k bars back (k ≥ 0: never a future bar).",
            formula: "shift(x, k)[t] = x[t−k]",
            inputs: [.init("x")], params: [.init("k", default: 1, range: 0 ... 100_000)],
            lookback: { Int($0[0]) }, kernel: { ShiftKernel(k: Int($0[0])) }),
        PrimitiveSpec(
            name: "diff", category: "transform",
            summary: "Change over k bars.",
            formula: "diff(x, k)[t] = x[t] − x[t−k]",
            inputs: [.init("x")], params: [.init("k", default: 1, range: 1 ... 100_000)],
            lookback: { Int($0[0]) }, kernel: { LagKernel(n: Int($0[0]), mode: .mom) }),
        PrimitiveSpec(
            name: "sma", category: "average",
            summary: "Simple moving average (TA-Lib SMA).",
            formula: "sma[t] = (x[t−n+1] + … + x[t]) / n",
            inputs: [.init("x")], params: [period],
            lookback: { Int($0[0]) - 1 }, kernel: { SMAKernel(n: Int($0[0])) }),
        PrimitiveSpec(
            name: "ema", category: "average",
            summary: "Exponential moving average, seeded with the SMA of the first n values (TA-Lib EMA).",
            formula: "k = 2/(n+1); ema[n−1] = mean(x[0..n−1]); ema[t] = (x[t] − ema[t−1])·k + ema[t−1]",
            inputs: [.init("x")], params: [period],
            lookback: { Int($0[0]) - 1 }, kernel: { EMAKernel(n: Int($0[0])) }),
        PrimitiveSpec(
            name: "stdev", category: "statistics",
            summary: "Rolling population standard deviation (divisor n, TA-Lib STDDEV with nbdev 1).",
            formula: "stdev[t] = sqrt(Σ(x − mean)² / n) over the last n values",
            inputs: [.init("x")], params: [period],
            lookback: { Int($0[0]) - 1 }, kernel: { StdevKernel(n: Int($0[0])) }),
        PrimitiveSpec(
            name: "highest", category: "statistics",
            summary: "Highest value of the last n bars (TA-Lib MAX).",
            formula: "highest[t] = max(x[t−n+1..t])",
            inputs: [.init("x")], params: [period],
            lookback: { Int($0[0]) - 1 }, kernel: { ExtremeKernel(n: Int($0[0]), highest: true) }),
        PrimitiveSpec(
            name: "lowest", category: "statistics",
            summary: "Lowest value of the last n bars (TA-Lib MIN).",
            formula: "lowest[t] = min(x[t−n+1..t])",
            inputs: [.init("x")], params: [period],
            lookback: { Int($0[0]) - 1 }, kernel: { ExtremeKernel(n: Int($0[0]), highest: false) }),
        PrimitiveSpec(
            name: "crossover", category: "signal",
            summary: "True on the bar a first closes above b after having been below it (vectorbt crossed_above).",
            formula: "true at t iff a[t] > b[t], a[t−1] ≤ b[t−1], and a < b at some bar since the last NaN",
            inputs: [.init("a"), .init("b")], outputs: [.init("value", .bool)],
            lookback: { _ in 0 }, kernel: { _ in CrossKernel() }),
        PrimitiveSpec(
            name: "crossunder", category: "signal",
            summary: "True on the bar a first closes below b after having been above it (vectorbt crossed_below).",
            formula: "crossunder(a, b) = crossover(b, a)",
            inputs: [.init("a"), .init("b")], outputs: [.init("value", .bool)],
            lookback: { _ in 0 }, kernel: { _ in CrossKernel(swapped: true) }),
    ]
}

struct ShiftKernel: StreamKernel {
    var window: Ring
    let k: Int
    init(k: Int) { self.k = k; window = Ring(k) }
    mutating func run(_ inputs: UnsafeBufferPointer<UnsafePointer<Double>>,
                      _ outputs: UnsafeBufferPointer<UnsafeMutablePointer<Double>>, count: Int) {
        let x = inputs[0], out = outputs[0]
        if k == 0 { for i in 0 ..< count { out[i] = x[i] }; return }
        for i in 0 ..< count { out[i] = window.push(x[i]) ?? .nan }
    }
}

/// Running sum in TA-Lib's order (add the newest, divide, drop the oldest); NaNs are kept out
/// of the sum and counted, so the average recovers once they leave the window.
/// The ring is its own buffer, walked through one pointer per block: this kernel is the hot
/// loop of most strategies, and `Ring.push` pays a bounds and uniqueness check per value.
struct SMAKernel: StreamKernel {
    var ring: [Double]
    var head = 0, filled = 0, nans = 0
    var sum = 0.0
    let n: Int
    init(n: Int) { self.n = n; ring = [Double](repeating: 0, count: n) }
    mutating func run(_ inputs: UnsafeBufferPointer<UnsafePointer<Double>>,
                      _ outputs: UnsafeBufferPointer<UnsafeMutablePointer<Double>>, count: Int) {
        let x = inputs[0], out = outputs[0]
        let dn = Double(n), n = self.n
        var head = self.head, filled = self.filled, nans = self.nans, sum = self.sum
        ring.withUnsafeMutableBufferPointer { r in
            for i in 0 ..< count {
                let v = x[i]
                if v.isNaN { nans += 1 } else { sum += v }
                if filled < n {
                    r[filled] = v; filled += 1
                } else {
                    let old = r[head]
                    r[head] = v
                    head += 1
                    if head == n { head = 0 }
                    if old.isNaN { nans -= 1 } else { sum -= old }
                }
                out[i] = filled == n && nans == 0 ? sum / dn : .nan
            }
        }
        self.head = head; self.filled = filled; self.nans = nans; self.sum = sum
    }
}

/// TA-Lib's EMA (EMAState): the first n valid values seed it with their mean; a NaN input gives
/// NaN and leaves the state as it was.
struct EMAKernel: StreamKernel {
    var state: EMAState
    init(n: Int) { state = EMAState(n) }
    mutating func run(_ inputs: UnsafeBufferPointer<UnsafePointer<Double>>,
                      _ outputs: UnsafeBufferPointer<UnsafeMutablePointer<Double>>, count: Int) {
        let x = inputs[0], out = outputs[0]
        for i in 0 ..< count { out[i] = state.push(x[i]) }
    }
}

/// Two-pass over the window (mean, then squared deviations): no cancellation error.
/// Oldest first without a modulo per element (Ring.forEachOldestFirst).
struct StdevKernel: StreamKernel {
    var window: Ring
    let n: Int
    init(n: Int) { self.n = n; window = Ring(n) }
    mutating func run(_ inputs: UnsafeBufferPointer<UnsafePointer<Double>>,
                      _ outputs: UnsafeBufferPointer<UnsafeMutablePointer<Double>>, count: Int) {
        let x = inputs[0], out = outputs[0]
        let dn = Double(n)
        for i in 0 ..< count {
            window.push(x[i])
            guard window.isClean else { out[i] = .nan; continue }
            let mean = window.sum() / dn
            var ss = 0.0
            window.forEachOldestFirst { _, v in let d = v - mean; ss += d * d }
            out[i] = (ss / dn).squareRoot()
        }
    }
}

/// Rolling max / min in O(1) amortized (a monotonic deque, see ExtremeWindow).
struct ExtremeKernel: StreamKernel {
    var window: ExtremeWindow
    let highest: Bool
    init(n: Int, highest: Bool) { window = ExtremeWindow(n); self.highest = highest }
    mutating func run(_ inputs: UnsafeBufferPointer<UnsafePointer<Double>>,
                      _ outputs: UnsafeBufferPointer<UnsafeMutablePointer<Double>>, count: Int) {
        let x = inputs[0], out = outputs[0]
        for i in 0 ..< count { out[i] = window.push(x[i], highest: highest) }
    }
}

/// vectorbt's crossed_above state machine: "was below" is set by a bar with a < b and cleared
/// only by a NaN; the signal fires on the first bar of each run of a > b once it is set.
struct CrossKernel: StreamKernel {
    var swapped = false
    var wasBelow = false
    var above = false   // the previous bar had a > b
    mutating func run(_ inputs: UnsafeBufferPointer<UnsafePointer<Double>>,
                      _ outputs: UnsafeBufferPointer<UnsafeMutablePointer<Double>>, count: Int) {
        let a = swapped ? inputs[1] : inputs[0], b = swapped ? inputs[0] : inputs[1]
        let out = outputs[0]
        for i in 0 ..< count {
            let x = a[i], y = b[i]
            if x.isNaN || y.isNaN {
                wasBelow = false; above = false; out[i] = .nan
                continue
            }
            if x > y {
                out[i] = wasBelow && !above ? 1 : 0
                above = true
            } else {
                if x < y { wasBelow = true }
                above = false
                out[i] = 0
            }
        }
    }
}
