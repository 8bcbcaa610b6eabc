/// Volume indicators. NaN: all follow the skip rule.
extension Registry {
    static let volume: [PrimitiveSpec] = [
        PrimitiveSpec(
            name: "obv", category: "volume",
            summary: "On-balance volume (TA-Lib OBV): starts at the first bar's volume.",
            formula: "obv[0] = v[0]; obv[t] = obv[t−1] ± v[t] by the sign of c[t] − c[t−1] (unchanged when equal)",
            inputs: [.init("close"), .init("volume")],
            lookback: { _ in 0 }, kernel: { _ in OBVKernel() }),
        PrimitiveSpec(
            name: "ad", category: "volume",
            summary: "Chaikin accumulation/distribution line (TA-Lib AD); a bar with h = l adds 0.",
            formula: "ad[t] = ad[t−1] + ((c − l) − (h − c))/(h − l)·v",
            inputs: [.init("high"), .init("low"), .init("close"), .init("volume")],
            lookback: { _ in 0 }, kernel: { _ in ADKernel(fast: 0, slow: 0) }),
        PrimitiveSpec(
            name: "adosc", category: "volume",
            summary: "Chaikin A/D oscillator (TA-Lib ADOSC): both EMAs of AD are seeded with the first AD value.",
            formula: "adosc = ema_fast(ad) − ema_slow(ad), e = k·ad + (1 − k)·e from e[0] = ad[0]",
            inputs: [.init("high"), .init("low"), .init("close"), .init("volume")],
            params: [.init("fast", default: 3, range: 2 ... 100_000), .init("slow", default: 10, range: 2 ... 100_000)],
            lookback: { p in Int(max(p[0], p[1])) - 1 }, kernel: { p in ADKernel(fast: Int(p[0]), slow: Int(p[1])) }),
        PrimitiveSpec(
            name: "mfi", category: "volume",
            summary: "Money flow index (TA-Lib MFI); 0 when the window's money flow is below 1.",
            formula: "tp = (h+l+c)/3; flow = tp·v, positive if tp rose, negative if it fell; mfi = 100·Σpos/(Σpos + Σneg) over n",
            inputs: [.init("high"), .init("low"), .init("close"), .init("volume")],
            params: [.init("period", default: 14, range: 2 ... 100_000)],
            lookback: { Int($0[0]) }, kernel: { MFIKernel(n: Int($0[0])) }),
        PrimitiveSpec(
            name: "anchored_vwap", category: "volume",
            summary: "Volume-weighted average of the typical price since the last bar where `reset` is true (`ta.vwap` anchors it to sessions, weeks or months); NaN while no volume has traded.",
            formula: "tp = (h+l+c)/3; vwap[t] = Σ tp·v / Σ v over the bars since the last reset (the reset bar included)",
            inputs: [.init("high"), .init("low"), .init("close"), .init("volume"), .init("reset", .bool)],
            lookback: { _ in 0 }, kernel: { _ in AnchoredVWAPKernel() }),
    ]
}

/// Running sums since the last reset. A reset clears them even on a bar the symbol lacks
/// (NaN prices), so a missing session open does not merge two sessions.
struct AnchoredVWAPKernel: StreamKernel {
    var priceVolume = 0.0, volume = 0.0
    mutating func run(_ x: KernelInputs, _ out: KernelOutputs, count: Int) {
        for i in 0 ..< count {
            if x[4][i] == 1 { priceVolume = 0; volume = 0 }
            let h = x[0][i], l = x[1][i], c = x[2][i], v = x[3][i]
            if h.isNaN || l.isNaN || c.isNaN || v.isNaN { out[0][i] = .nan; continue }
            priceVolume += (h + l + c) / 3 * v
            volume += v
            out[0][i] = volume > 0 ? priceVolume / volume : .nan
        }
    }
}

struct OBVKernel: StreamKernel {
    var started = false
    var obv = 0.0, prev = 0.0
    mutating func run(_ x: KernelInputs, _ out: KernelOutputs, count: Int) {
        for i in 0 ..< count {
            let c = x[0][i], v = x[1][i]
            if c.isNaN || v.isNaN { out[0][i] = .nan; continue }
            if !started { started = true; obv = v }
            else if c > prev { obv += v }
            else if c < prev { obv -= v }
            prev = c
            out[0][i] = obv
        }
    }
}

/// AD alone (fast = slow = 0) or ADOSC, which runs TA-Lib's `k·x + (1 − k)·e` EMAs over AD.
struct ADKernel: StreamKernel {
    var ad = 0.0
    var seen = 0
    var fastE = 0.0, slowE = 0.0
    let oscillator: Bool
    let kFast, kSlow: Double
    let lookback: Int
    init(fast: Int, slow: Int) {
        oscillator = fast > 0
        kFast = 2 / (Double(fast) + 1); kSlow = 2 / (Double(slow) + 1)
        lookback = max(fast, slow) - 1
    }
    mutating func run(_ x: KernelInputs, _ out: KernelOutputs, count: Int) {
        for i in 0 ..< count {
            if TA.anyNaN(x, i) { out[0][i] = .nan; continue }
            let h = x[0][i], l = x[1][i], c = x[2][i], v = x[3][i]
            let range = h - l
            if range > 0 { ad += (((c - l) - (h - c)) / range) * v }
            guard oscillator else { out[0][i] = ad; continue }
            if seen == 0 { fastE = ad; slowE = ad } else {
                fastE = kFast * ad + (1 - kFast) * fastE
                slowE = kSlow * ad + (1 - kSlow) * slowE
            }
            out[0][i] = seen >= lookback ? fastE - slowE : .nan
            seen += 1
        }
    }
}

/// TA-Lib's MFI: a ring of the last n (positive, negative) flows; the oldest is dropped before
/// the newest is added.
struct MFIKernel: StreamKernel {
    let n: Int
    var pos: Ring, neg: Ring
    var seen = 0
    var prevTP = 0.0
    var posSum = 0.0, negSum = 0.0
    init(n: Int) { self.n = n; pos = Ring(n); neg = Ring(n) }
    mutating func run(_ x: KernelInputs, _ out: KernelOutputs, count: Int) {
        for i in 0 ..< count {
            if TA.anyNaN(x, i) { out[0][i] = .nan; continue }
            let tp = (x[0][i] + x[1][i] + x[2][i]) / 3
            let t = seen
            seen += 1
            defer { prevTP = tp }
            if t == 0 { out[0][i] = .nan; continue }
            if pos.isFull { posSum -= pos.oldest; negSum -= neg.oldest }
            let change = tp - prevTP
            let flow = tp * x[3][i]
            let p = change > 0 ? flow : 0, m = change < 0 ? flow : 0
            posSum += p; negSum += m
            pos.push(p); neg.push(m)
            guard t >= n else { out[0][i] = .nan; continue }
            let total = posSum + negSum
            out[0][i] = total < 1 ? 0 : 100 * (posSum / total)
        }
    }
}
