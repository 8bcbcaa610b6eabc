import LunarData
import LunarEngine
import LunarGraph
import Testing

/// Seeded generators for the oracle tests: panels with NaN gaps and short histories, and
/// random graphs mixing every kind of node.
struct Fixture {
    var rng: SplitMix64
    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    mutating func int(_ r: ClosedRange<Int>) -> Int { r.lowerBound + Int(rng.next() % UInt64(r.count)) }
    mutating func chance(_ p: Double) -> Bool { rng.nextUnit() < p }
    mutating func pick<T>(_ a: [T]) -> T { a[int(0 ... a.count - 1)] }

    /// N symbols × T bars: random walks, some listed late, delisted early, or with holes.
    mutating func panel(symbols n: Int, bars t: Int) -> Panel {
        var fields: [String: [Double]] = [:]
        for name in Panel.standardFields { fields[name] = [Double](repeating: .nan, count: n * t) }
        for s in 0 ..< n {
            let start = chance(0.3) ? int(0 ... max(0, t - 1)) : 0
            let end = chance(0.2) ? int(start ... max(start, t - 1)) : t - 1
            var price = 20 + 100 * rng.nextUnit()
            for i in start ... max(start, end) where i < t {
                price *= 1 + 0.02 * rng.nextGaussian()
                if chance(0.03) { continue }            // a hole
                let k = s * t + i
                // Occasional exact ties across symbols, so rank sees equal values.
                let c = chance(0.05) ? 50 : price
                fields["close"]![k] = c
                fields["open"]![k] = c * (1 + 0.005 * rng.nextGaussian())
                fields["high"]![k] = c * (1 + 0.01 * rng.nextUnit())
                fields["low"]![k] = c * (1 - 0.01 * rng.nextUnit())
                fields["volume"]![k] = Double(int(0 ... 1000))
            }
        }
        let days = (0 ..< t).map { Int64($0) * 86_400 }
        return try! Panel(symbols: (0 ..< n).map { "S\($0)" }, timestamps: days, fields: fields)
    }

    /// `panel` with bar `bar` changed in most symbols: scaled, set to NaN, or filled where it was NaN.
    mutating func perturbing(_ panel: Panel, bar: Int) throws -> Panel {
        var changed = panel
        let n = panel.symbolCount, t = panel.barCount
        for name in Panel.standardFields {
            var v = panel.values(name)!
            for s in 0 ..< n where chance(0.7) { v[s * t + bar] = chance(0.2) ? .nan : v[s * t + bar].isNaN ? 42 : v[s * t + bar] * 1.7 }
            try changed.setField(name, v)
        }
        return changed
    }

    /// A random graph of about `size` nodes; returns it with 1–4 outputs.
    /// - Parameter sma: whether to use `sma`, whose running sum rounds differently from the
    ///   naive evaluator's window sums (every other kernel uses the oracle's arithmetic).
    mutating func graph(size: Int, sma: Bool = true, crossSection: Bool = true) -> (Graph, [NodeID]) {
        let g = Graph()
        var floats = ["close", "open", "high", "low", "volume"].map { g.field($0) }
        var bools: [NodeID] = []
        let constants: [Double] = [0, 1, 2, 0.5, -1, 50, 100]
        func operand() -> NodeID { chance(0.2) ? g.constant(pick(constants)) : pick(floats) }
        var windowed = ["ema", "stdev", "highest", "lowest", "shift", "diff"]
        if sma { windowed.append("sma") }
        while floats.count + bools.count < size + 5 {
            switch int(0 ... 9) {
            case 0, 1:
                let name = pick(windowed)
                let p = Double(name == "shift" ? int(0 ... 12) : int(1 ... 12))
                floats.append(try! g.primitive(name, inputs: [pick(floats)], params: [p])[0])
            case 2:
                let op = pick([BinaryOp.add, .sub, .mul, .div, .min, .max])
                let a = operand(), b = chance(0.3) ? g.constant(pick(constants)) : pick(floats)
                let id = try! chance(0.5) ? g.binary(op, a, b) : g.binary(op, b, a)
                if g[id].type == .float { floats.append(id) }
            case 3:
                floats.append(try! g.unary(pick([.neg, .abs, .log, .sqrt]), pick(floats)))
            case 4:
                let op = pick([BinaryOp.gt, .ge, .lt, .le, .eq, .ne])
                bools.append(try! g.binary(op, pick(floats), operand()))
            case 5:
                bools.append(try! g.primitive(pick(["crossover", "crossunder"]), inputs: [pick(floats), operand()], params: [])[0])
            case 6 where bools.count >= 1:
                if chance(0.3) { bools.append(try! g.unary(.not, pick(bools))) }
                else { bools.append(try! g.binary(pick([.and, .or]), pick(bools), chance(0.2) ? g.constant(1) : pick(bools))) }
            case 7 where bools.count >= 1:
                floats.append(try! g.select(pick(bools), operand(), pick(floats)))
            case 8 where crossSection:
                floats.append(try! g.crossSection(pick(CrossSectionOp.allCases), pick(floats)))
            case 9:
                // Constant subtrees and identities for the optimizer to remove.
                let c = try! g.binary(.add, g.constant(pick(constants)), g.constant(pick(constants)))
                floats.append(try! g.binary(pick([.add, .mul, .sub]), pick(floats), chance(0.5) ? c : g.constant(chance(0.5) ? 0 : 1)))
            default: break
            }
        }
        var outputs: [NodeID] = [chance(0.5) || bools.isEmpty ? floats.last! : bools.last!]
        for _ in 0 ..< int(0 ... 3) { outputs.append(chance(0.5) || bools.isEmpty ? pick(floats) : pick(bools)) }
        return (g, outputs)
    }
}

/// Equal, both NaN, or within `tolerance` relative to the larger magnitude.
func close(_ a: Double, _ b: Double, tolerance: Double) -> Bool {
    if a == b || (a.isNaN && b.isNaN) { return true }
    return Swift.abs(a - b) <= tolerance * Swift.max(Swift.abs(a), Swift.abs(b))
}

/// The first index where two arrays differ beyond `tolerance`, or nil.
func firstMismatch(_ x: [Double], _ y: [Double], tolerance: Double) -> Int? {
    guard x.count == y.count else { return -1 }
    return x.indices.first { !close(x[$0], y[$0], tolerance: tolerance) }
}

/// Runs `graph` naive and fused under every shape; fused results must agree with each other
/// bit for bit and with the oracle within `tolerance`.
func checkAgainstOracle(_ graph: Graph, _ outputs: [NodeID], _ panel: Panel, tolerance: Double, _ label: String) throws {
    let oracle = try NaiveEvaluator(panel: panel).evaluate(graph, outputs: outputs)
    var first: [NodeID: [Double]]? = nil
    for shape in shapes {
        let fused = try FusedEngine.evaluate(graph, outputs: outputs, panel: panel, options: shape)
        for id in outputs {
            let m = firstMismatch(fused[id]!, oracle[id]!, tolerance: tolerance)
            #expect(m == nil, "\(label) \(shape): \(graph.describe(id)) differs at \(m ?? 0): fused \(fused[id]![m ?? 0]) naive \(oracle[id]![m ?? 0])")
            if let f = first?[id] {
                #expect(firstMismatch(fused[id]!, f, tolerance: 0) == nil, "\(label): results depend on the plan shape \(shape)")
            }
        }
        if first == nil { first = fused }
    }
}
