import LunarData
import LunarEngine
import LunarGraph
import Testing

/// Plan shapes every random case runs under: tiny blocks and tiles stress the state carried
/// across blocks and the tile edges; several threads stress the work split; lanes on and off
/// compare the SIMD lane kernels with the registry kernels (tiles of 3, 7 or 11 leave lanes of the last group empty).
let shapes: [PlanOptions] = [
    PlanOptions(blockBars: 512, tileSymbols: nil, threads: 1, lanes: 1),
    PlanOptions(blockBars: 1, tileSymbols: 1, threads: 2, lanes: 1),
    PlanOptions(blockBars: 7, tileSymbols: 3, threads: 3, lanes: 4),
    PlanOptions(blockBars: 64, tileSymbols: 2, threads: 4, lanes: 4),
    PlanOptions(blockBars: 512, tileSymbols: 7, threads: 2, lanes: 4),
    PlanOptions(blockBars: 100, tileSymbols: 11, threads: 2, lanes: 4),
]

@Suite("Fused executor against the naive oracle")
struct FusedOracleTests {
    /// Runs `graph` naive and fused under every shape; fused results must agree with each other
    /// bit for bit and with the oracle within `tolerance`.
    func check(_ graph: Graph, _ outputs: [NodeID], _ panel: Panel, tolerance: Double, _ label: String) throws {
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

    @Test("random graphs without sma are bit-equal to the oracle", arguments: 0 ..< 60)
    func bitEqual(seed: Int) throws {
        var f = Fixture(seed: UInt64(seed) &* 0x9E37_79B9)
        let panel = f.panel(symbols: f.int(1 ... 9), bars: f.int(1 ... 160))
        let (g, outputs) = f.graph(size: f.int(3 ... 30), sma: false)
        try check(g, outputs, panel, tolerance: 0, "seed \(seed)")
    }

    @Test("random graphs with sma agree to 1e-12 relative", arguments: 0 ..< 60)
    func withSMA(seed: Int) throws {
        var f = Fixture(seed: 1_000_003 &+ UInt64(seed) &* 0x9E37_79B9)
        let panel = f.panel(symbols: f.int(1 ... 9), bars: f.int(1 ... 700))
        let (g, outputs) = f.graph(size: f.int(3 ... 30), sma: true)
        try check(g, outputs, panel, tolerance: 1e-12, "seed \(seed)")
    }

    @Test("optimizing does not change results", arguments: 0 ..< 30)
    func optimizerOffAndOn(seed: Int) throws {
        var f = Fixture(seed: 77 &+ UInt64(seed))
        let panel = f.panel(symbols: f.int(1 ... 6), bars: f.int(1 ... 200))
        let (g, outputs) = f.graph(size: f.int(3 ... 30))
        let plain = try FusedExecutor(plan: Planner.plan(g, outputs: outputs, symbols: panel.symbolCount, bars: panel.barCount)).run(panel)
        let optimized = try FusedEngine.evaluate(g, outputs: outputs, panel: panel)
        for id in outputs {
            #expect(firstMismatch(plain[id]!, optimized[id]!, tolerance: 0) == nil, "seed \(seed): \(g.describe(id))")
        }
    }

    @Test("perturbing bar t never changes an output before t", arguments: 0 ..< 25)
    func causality(seed: Int) throws {
        var f = Fixture(seed: 4242 &+ UInt64(seed))
        let n = f.int(1 ... 7), t = f.int(2 ... 150)
        let panel = f.panel(symbols: n, bars: t)
        let (g, outputs) = f.graph(size: f.int(5 ... 30))
        let bar = f.int(0 ... t - 1)
        var changed = panel
        for name in Panel.standardFields {
            var v = panel.values(name)!
            for s in 0 ..< n where f.chance(0.7) { v[s * t + bar] = f.chance(0.2) ? .nan : v[s * t + bar].isNaN ? 42 : v[s * t + bar] * 1.7 }
            try changed.setField(name, v)
        }
        let before = try FusedEngine.evaluate(g, outputs: outputs, panel: panel)
        let after = try FusedEngine.evaluate(g, outputs: outputs, panel: changed)
        let naiveAfter = try NaiveEvaluator(panel: changed).evaluate(g, outputs: outputs)
        let naiveBefore = try NaiveEvaluator(panel: panel).evaluate(g, outputs: outputs)
        for id in outputs {
            for s in 0 ..< n {
                let early = s * t ..< s * t + bar
                #expect(firstMismatch(Array(before[id]![early]), Array(after[id]![early]), tolerance: 0) == nil,
                        "seed \(seed): \(g.describe(id)) changed before bar \(bar) (symbol \(s))")
                #expect(firstMismatch(Array(naiveBefore[id]![early]), Array(naiveAfter[id]![early]), tolerance: 0) == nil)
            }
        }
    }

    @Test("a strategy-sized panel: 40 symbols × 2520 bars, several 30-node graphs")
    func largePanel() throws {
        var f = Fixture(seed: 2024)
        let panel = f.panel(symbols: 40, bars: 2520)
        for k in 0 ..< 3 {
            let (g, outputs) = f.graph(size: 30)
            try check(g, outputs, panel, tolerance: 1e-12, "large \(k)")
        }
    }
}
