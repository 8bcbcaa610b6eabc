import Testing
import LunarKernels

/// A contract every registry entry must keep, run on random series with NaN gaps.
@Suite("Registry contract")
struct RegistryContractTests {
    /// Parameters for a test run: the default, else 5 when the range allows, else the lower bound.
    static func params(_ spec: PrimitiveSpec) -> [Double] {
        spec.params.map { p in p.defaultValue ?? (p.range.contains(5) ? 5 : p.range.lowerBound) }
    }

    /// Random OHLCV-like inputs for `spec` with `nanAt` bars set to NaN in every input
    /// (bool inputs are 1/0 with a few NaN). Prices are a random walk, so high ≥ low holds.
    static func inputs(_ spec: PrimitiveSpec, T: Int, seed: UInt64, nanAt: Set<Int>) -> [[Double]] {
        var rng = SplitMix(seed: seed)
        var close = [Double](), high = [Double](), low = [Double](), volume = [Double]()
        var p = 100.0
        for _ in 0 ..< T {
            p *= 1 + (rng.uniform() - 0.5) * 0.04
            let c = (p * 100).rounded() / 100
            close.append(c)
            high.append(c + rng.uniform() * 2); low.append(c - rng.uniform() * 2)
            volume.append((1 + rng.uniform() * 1000).rounded())
        }
        return spec.inputs.map { input in
            var v: [Double]
            switch input.name {
            case "high": v = high
            case "low": v = low
            case "volume": v = volume
            case "b": v = high
            default: v = close
            }
            if input.kind == .bool { v = close.indices.map { _ in rng.uniform() < 0.2 ? 1 : 0 } }
            for t in nanAt where t < T { v[t] = .nan }
            return v
        }
    }

    @Test("state carries across blocks: any split gives the same bits", arguments: Registry.all.map(\.name))
    func blocks(_ name: String) {
        let spec = Registry.spec(name)!
        let smallest = spec.params.map { $0.isInteger ? $0.range.lowerBound : ($0.defaultValue ?? $0.range.lowerBound) }
        let x = Self.inputs(spec, T: 300, seed: 1, nanAt: Set(0 ..< 7).union([90, 91, 200]))
        var rng = SplitMix(seed: 3)
        for p in [Self.params(spec), smallest] {
            let whole = Harness.run(spec, p, x)
            for _ in 0 ..< 3 {
                let split = Harness.run(spec, p, x, blocks: Harness.randomBlocks(300, maxBlock: 13, rng: &rng))
                for k in whole.indices {
                    let diff = whole[k].indices.filter { !Harness.identical(whole[k][$0], split[k][$0]) }
                    #expect(diff.isEmpty, "\(name)\(p).\(spec.outputs[k].name) differs at bars \(diff.prefix(5))")
                }
            }
        }
    }

    @Test("causal: changing bar t never changes an output before t", arguments: Registry.all.map(\.name))
    func causality(_ name: String) {
        let spec = Registry.spec(name)!
        let p = Self.params(spec)
        let x = Self.inputs(spec, T: 200, seed: 2, nanAt: [50])
        let base = Harness.run(spec, p, x)
        for t in [0, 1, 30, 120, 199] {
            var y = x
            for k in y.indices { y[k][t] = spec.inputs[k].kind == .bool ? 1 - (y[k][t].isNaN ? 0 : y[k][t]) : y[k][t] * 1.37 + 3 }
            let changed = Harness.run(spec, p, y)
            for k in base.indices {
                let diff = (0 ..< t).filter { !Harness.identical(base[k][$0], changed[k][$0]) }
                #expect(diff.isEmpty, "\(name).\(spec.outputs[k].name): changing bar \(t) changed bars \(diff.prefix(5))")
            }
        }
    }

    @Test("look-back: NaN before it and a value at it on clean data; never ±inf",
          arguments: Registry.all.filter { !$0.inputs.contains { $0.kind == .bool } }.map(\.name))
    func lookback(_ name: String) {
        let spec = Registry.spec(name)!
        let smallest = spec.params.map { $0.isInteger ? $0.range.lowerBound : ($0.defaultValue ?? $0.range.lowerBound) }
        for p in [Self.params(spec), spec.params.map { $0.defaultValue ?? ($0.range.contains(3) ? 3 : $0.range.lowerBound) }, smallest] {
            let x = Self.inputs(spec, T: 150, seed: 4, nanAt: [])
            let lb = spec.lookback(p)
            let out = Harness.run(spec, p, x)
            for k in out.indices {
                let firstValue = out[k].firstIndex { !$0.isNaN }
                #expect(firstValue == lb, "\(name)\(p).\(spec.outputs[k].name): first value at \(String(describing: firstValue)), look-back \(lb)")
                #expect(out[k].allSatisfy { !$0.isInfinite }, "\(name): infinite output")
                #expect(out[k][lb...].allSatisfy { !$0.isNaN }, "\(name): NaN after the look-back on clean data")
            }
        }
    }

    @Test("leading NaN shifts the output: same values as on the trimmed series",
          arguments: Registry.all.filter { !$0.inputs.contains { $0.kind == .bool } }.map(\.name))
    func leadingNaN(_ name: String) {
        let spec = Registry.spec(name)!
        let p = Self.params(spec)
        let x = Self.inputs(spec, T: 120, seed: 5, nanAt: [])
        let padded = x.map { [Double](repeating: .nan, count: 9) + $0 }
        let a = Harness.run(spec, p, x), b = Harness.run(spec, p, padded)
        for k in a.indices {
            #expect(b[k][..<9].allSatisfy { $0.isNaN })
            let diff = a[k].indices.filter { !Harness.identical(a[k][$0], b[k][$0 + 9]) }
            #expect(diff.isEmpty, "\(name).\(spec.outputs[k].name) differs at \(diff.prefix(5))")
        }
    }

    @Test("names are unique lower snake case; every entry is documented")
    func entries() {
        #expect(Set(Registry.names).count == Registry.names.count)
        for spec in Registry.all {
            #expect(spec.name.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" }, "\(spec.name)")
            #expect(!spec.summary.isEmpty && !spec.formula.isEmpty && !spec.category.isEmpty, "\(spec.name)")
            for q in spec.params { if let d = q.defaultValue { #expect(q.problem(with: d) == nil, "\(spec.name).\(q.name)") } }
        }
    }
}
