// An external package's plugin, written only against Lunar's public API: what docs/plugins.md
// walks through. It lives in a test target so CI builds and runs it with the rest.
import Foundation
import Lunar

/// `ta.decayed_sum(x, halflife)`: s[t] = x[t] + d · s[t−1] with d = 0.5^(1/halflife).
/// A NaN input gives NaN and leaves the sum as it was.
struct DecayedSumKernel: StreamKernel {
    let decay: Double
    var sum = 0.0

    mutating func run(_ inputs: UnsafeBufferPointer<UnsafePointer<Double>>,
                      _ outputs: UnsafeBufferPointer<UnsafeMutablePointer<Double>>, count: Int) {
        let x = inputs[0], out = outputs[0]
        for i in 0 ..< count {
            if x[i].isNaN { out[i] = .nan; continue }
            sum = x[i] + decay * sum
            out[i] = sum
        }
    }
}

/// The primitives this package adds.
struct AcmePrimitives: PrimitiveProvider {
    var primitives: [PrimitiveSpec] {
        [PrimitiveSpec(
            name: "decayed_sum", category: "average",
            summary: "Exponentially decaying sum: recent values count fully, older ones halve every `halflife` bars.",
            formula: "s[t] = x[t] + 0.5^(1/halflife) · s[t−1]",
            inputs: [.init("x")],
            params: [.init("halflife", integer: false, default: 10, range: 0.01 ... 10_000)],
            lookback: { _ in 0 },
            kernel: { p in DecayedSumKernel(decay: pow(0.5, 1 / p[0])) })]
    }
}

/// `--data ramp:SYMBOLS:BARS`: symbol k closes at k+1, k+2, … (a data-source plugin).
struct RampSourceFactory: PanelSourceFactory {
    var name: String { "ramp" }
    var usage: String { "ramp:SYMBOLS:BARS: straight lines, for examples" }

    func source(for spec: String, options: PanelSourceOptions) throws -> (any PanelSource)? {
        let parts = spec.split(separator: ":")
        guard parts.first == "ramp" else { return nil }
        guard parts.count == 3, let n = Int(parts[1]), let t = Int(parts[2]), n > 0, t > 0 else {
            throw DataError.invalid("bad ramp spec '\(spec)': use ramp:SYMBOLS:BARS")
        }
        return RampSource(symbols: n, bars: t)
    }
}

struct RampSource: PanelSource {
    let symbols: Int, bars: Int
    var description: String { "ramp:\(symbols):\(bars)" }
    func load(progress: ((Int, Int) -> Void)?) throws -> Panel {
        let close = (0 ..< symbols).flatMap { s in (0 ..< bars).map { Double(s + 1 + $0) } }
        return try Panel(symbols: (0 ..< symbols).map { "R\($0)" }, timestamps: (0 ..< bars).map { Int64($0 + 1) * 86_400 },
                         fields: ["open": close, "high": close, "low": close, "close": close,
                                  "volume": [Double](repeating: 1, count: close.count)])
    }
}
