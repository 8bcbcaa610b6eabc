import CKernels
import LunarData
import LunarEngine
import LunarGraph
import LunarKernels
import Testing

/// Every primitive with a lane version (`LaneKernels.names`) against its registry kernel: the
/// same graph run with lanes off and on must give the same bits, on panels built to reach each
/// kernel's corners — NaN in one field only, flat stretches (a zero range, no change, no
/// volume), late listings, short histories and tiles that leave lanes empty.
@Suite("Lane kernels are bit-equal to the registry kernels")
struct LaneKernelTests {
    static let shapes = [
        PlanOptions(blockBars: 512, tileSymbols: nil, threads: 1, lanes: 1),
        PlanOptions(blockBars: 7, tileSymbols: 3, threads: 2, lanes: 4),
        PlanOptions(blockBars: 64, tileSymbols: 5, threads: 1, lanes: 4),
        PlanOptions(blockBars: 512, tileSymbols: nil, threads: 2, lanes: 4),
    ]

    @Test("the table names registry primitives only")
    func namesAreRegistered() {
        for name in LaneKernels.names { #expect(Registry.spec(name) != nil, "\(name) has a lane version but no registry entry") }
        #expect(LaneKernels.names.count >= 7)
    }

    @Test("lanes on and off give the same bits", arguments: LaneKernels.names)
    func bitEqual(name: String) throws {
        try sameBitsOnCorneredPanels(name, seeds: 12, salt: 0x1A4E, label: "seed")
    }

    /// The lane loops written in C run an AVX2 build where the CPU has one and the baseline
    /// build elsewhere: both against the registry here, whatever this CPU picks by itself.
    /// (Other tests running meanwhile may take the baseline loops too: the same bits.)
    @Test("the C loops' baseline build gives the same bits", arguments: ["sma"])
    func baselineBuild(name: String) throws {
        lunar_use_baseline(1)
        defer { lunar_use_baseline(0) }
        try sameBitsOnCorneredPanels(name, seeds: 6, salt: 0x5B1D, label: "baseline, seed")
    }

    /// `name` with lanes on and off on `seeds` cornered panels: its defaults first, then small
    /// random values (short windows reach the corners sooner).
    func sameBitsOnCorneredPanels(_ name: String, seeds: Int, salt: UInt64, label: String) throws {
        let spec = try #require(Registry.spec(name))
        for seed in 0 ..< seeds {
            var f = Fixture(seed: salt &+ UInt64(seed) &* 0x9E37_79B9)
            let panel = try cornered(f.panel(symbols: f.int(1 ... 11), bars: f.int(1 ... 300)), &f)
            let params = randomParams(spec, defaults: seed == 0, &f)
            try expectSameBits(name, spec, params: params, panel: panel, shapes: Self.shapes, &f, "\(label) \(seed)")
        }
    }

    /// Values for `spec`'s params: its defaults, or small random ones (short windows reach the
    /// corners sooner).
    func randomParams(_ spec: PrimitiveSpec, defaults: Bool, _ f: inout Fixture) -> [Double] {
        spec.params.map { p -> Double in
            let lo = p.range.lowerBound, hi = min(p.range.upperBound, lo + 20)
            if defaults, let d = p.defaultValue { return d }
            return p.isInteger ? Double(f.int(Int(lo) ... Int(hi))) : lo + (hi - lo) * f.rng.nextUnit()
        }
    }

    /// `name` over `panel` (its inputs the fields of those names, else a price) under each of
    /// `shapes`: every shape must give the first one's bits, NaN = NaN.
    func expectSameBits(_ name: String, _ spec: PrimitiveSpec, params: [Double], panel: Panel, shapes: [PlanOptions],
                        _ f: inout Fixture, _ label: String) throws {
        let g = Graph()
        let fields = ["open", "high", "low", "close", "volume"]
        let inputs = spec.inputs.map { input in
            g.field(fields.contains(input.name) ? input.name : f.pick(["close", "open", "high"]))
        }
        let outputs = try g.primitive(name, inputs: inputs, params: params)
        var first: [NodeID: [Double]]? = nil
        for shape in shapes {
            let result = try FusedEngine.evaluate(g, outputs: outputs, panel: panel, options: shape)
            guard let reference = first else { first = result; continue }
            for (k, id) in outputs.enumerated() {
                let a = reference[id]!, b = result[id]!
                let m = a.indices.first { a[$0].bitPattern != b[$0].bitPattern && !(a[$0].isNaN && b[$0].isNaN) }
                #expect(m == nil, "\(name)\(params) output \(k), \(label), \(shape): lanes \(m.map { b[$0] } ?? 0) registry \(m.map { a[$0] } ?? 0) at \(m ?? 0)")
            }
        }
    }

    /// `panel` with each field NaN alone here and there, and flat stretches: high = low = close
    /// and no volume for a few bars, so ranges, changes and money flows are exactly zero.
    func cornered(_ panel: Panel, _ f: inout Fixture) throws -> Panel {
        var p = panel
        let n = panel.symbolCount, t = panel.barCount
        var v = Dictionary(uniqueKeysWithValues: Panel.standardFields.map { ($0, panel.values($0)!) })
        for s in 0 ..< n {
            var i = 0
            while i < t {
                let k = s * t + i
                if f.chance(0.04) { v[f.pick(Panel.standardFields)]![k] = .nan }
                if f.chance(0.03), !v["close"]![k].isNaN {
                    let c = v["close"]![k]
                    for j in k ..< min(s * t + t, k + f.int(1 ... 25)) {
                        for name in ["open", "high", "low", "close"] { v[name]![j] = c }
                        v["volume"]![j] = 0
                    }
                }
                i += 1
            }
        }
        for (name, values) in v { try p.setField(name, values) }
        return p
    }
}

extension LaneKernelTests {
    /// Prices at and near zero, inside and just outside `TA.isZero`'s ±1e-14 band, which the
    /// random walks never reach: natr's zero close, beta's and roc's zero previous price,
    /// AD's and stoch's ranges of a few 1e-15, KAMA's and correl's near-zero sums.
    @Test("lanes on and off give the same bits with prices near zero", arguments: LaneKernels.names)
    func bitEqualNearZero(name: String) throws {
        let spec = try #require(Registry.spec(name))
        for seed in 0 ..< 6 {
            var f = Fixture(seed: 0x2E40 &+ UInt64(seed) &* 0x9E37_79B9)
            let panel = try nearZero(cornered(f.panel(symbols: f.int(1 ... 11), bars: f.int(1 ... 300)), &f), &f)
            let params = randomParams(spec, defaults: seed == 0, &f)
            try expectSameBits(name, spec, params: params, panel: panel, shapes: Self.shapes, &f, "seed \(seed)")
        }
    }

    /// `panel` with runs of bars whose prices are 0, ±a few 1e-15 or ~1e-14, with ranges of
    /// the same size (or none).
    func nearZero(_ panel: Panel, _ f: inout Fixture) throws -> Panel {
        var p = panel
        let n = panel.symbolCount, t = panel.barCount
        var v = Dictionary(uniqueKeysWithValues: Panel.standardFields.map { ($0, panel.values($0)!) })
        let tiny = [0, 0, 1e-15, -3e-15, 9e-15, 2e-14, -2e-14, 1e-13]
        for s in 0 ..< n {
            var i = 0
            while i < t {
                if f.chance(0.06) {
                    for j in s * t + i ..< s * t + min(t, i + f.int(1 ... 8)) where !v["close"]![j].isNaN {
                        let c = f.pick(tiny)
                        v["close"]![j] = c
                        v["open"]![j] = f.pick([c, f.pick(tiny)])
                        v["high"]![j] = Swift.max(c, v["open"]![j]) + f.pick([0, 0, 1e-15, 1e-14])
                        v["low"]![j] = Swift.min(c, v["open"]![j]) - f.pick([0, 0, 1e-15, 1e-14])
                    }
                }
                i += 1
            }
        }
        for (name, values) in v { try p.setField(name, values) }
        return p
    }
}

extension LaneKernelTests {
    static let cornerShapes = [
        PlanOptions(blockBars: 512, tileSymbols: nil, threads: 1, lanes: 1),
        PlanOptions(blockBars: 1, tileSymbols: 4, threads: 1, lanes: 4),
        PlanOptions(blockBars: 3, tileSymbols: 7, threads: 1, lanes: 4),
        PlanOptions(blockBars: 512, tileSymbols: nil, threads: 1, lanes: 4),
    ]

    /// Corners the price panels above do not reach: signed zeros among exact ties (a rolling
    /// extreme keeps the latest of equal values, and +0 == −0), ±∞, ranges and sums near
    /// TA-Lib's 1e-14 zero, and blocks of one and three bars.
    @Test("lanes on and off give the same bits on signed zeros, infinities and tiny ranges", arguments: LaneKernels.names)
    func bitEqualCorners(name: String) throws {
        let spec = try #require(Registry.spec(name))
        for seed in 0 ..< 12 {
            var f = Fixture(seed: 0xC0DE &+ UInt64(seed) &* 0x9E37_79B9)
            var panel = try cornered(f.panel(symbols: f.int(1 ... 9), bars: f.int(1 ... 400)), &f)
            let flavor = seed % 3
            let n = panel.symbolCount, t = panel.barCount
            for field in Panel.standardFields {
                var v = panel.values(field)!
                for k in 0 ..< n * t where !v[k].isNaN {
                    switch flavor {
                    case 0: v[k] = (v[k] / 10).rounded() - 5; if v[k] == 0 && f.chance(0.5) { v[k] = -0.0 }
                    case 1: if f.chance(0.01) { v[k] = f.chance(0.5) ? .infinity : -.infinity }
                    default: v[k] = 1 + (v[k] - 50) * 1e-13
                    }
                }
                try panel.setField(field, v)
            }
            let params = randomParams(spec, defaults: false, &f)
            try expectSameBits(name, spec, params: params, panel: panel, shapes: Self.cornerShapes, &f, "seed \(seed) flavor \(flavor)")
        }
    }
}
