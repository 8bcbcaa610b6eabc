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
    @Test("random graphs without sma are bit-equal to the oracle", arguments: 0 ..< 60)
    func bitEqual(seed: Int) throws {
        var f = Fixture(seed: UInt64(seed) &* 0x9E37_79B9)
        let panel = f.panel(symbols: f.int(1 ... 9), bars: f.int(1 ... 160))
        let (g, outputs) = f.graph(size: f.int(3 ... 30), sma: false)
        try checkAgainstOracle(g, outputs, panel, tolerance: 0, "seed \(seed)")
    }

    @Test("random graphs with sma agree to 1e-12 relative", arguments: 0 ..< 60)
    func withSMA(seed: Int) throws {
        var f = Fixture(seed: 1_000_003 &+ UInt64(seed) &* 0x9E37_79B9)
        let panel = f.panel(symbols: f.int(1 ... 9), bars: f.int(1 ... 700))
        let (g, outputs) = f.graph(size: f.int(3 ... 30), sma: true)
        try checkAgainstOracle(g, outputs, panel, tolerance: 1e-12, "seed \(seed)")
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
        let changed = try f.perturbing(panel, bar: bar)
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
            try checkAgainstOracle(g, outputs, panel, tolerance: 1e-12, "large \(k)")
        }
    }
}
