import LunarData
import LunarEngine
import LunarGraph
import Testing

@Suite("Planner")
struct PlannerTests {
    /// close → 28 more nodes in a chain of rolling, recursive and elementwise steps, with one rank.
    func thirtyNodeGraph() throws -> (Graph, NodeID) {
        let g = Graph()
        var x = g.field("close")
        var ranked = false
        for k in 0 ..< 27 {
            switch k % 4 {
            case 0: x = try g.primitive("sma", inputs: [x], params: [Double(2 + k % 5)])[0]
            case 1: x = try g.primitive("ema", inputs: [x], params: [3])[0]
            case 2: x = try g.binary(.mul, x, g.constant(1.01))
            default: x = try g.binary(.sub, x, try g.primitive("shift", inputs: [x], params: [1])[0])
            }
            if k == 13 && !ranked { x = try g.crossSection(.rank, x); ranked = true }
        }
        return (g, try g.binary(.gt, x, g.constant(0)))
    }

    @Test("a 30-node graph is cut at rank into 2 stages and runs in a few slots")
    func stagesAndSlots() throws {
        let (g, out) = try thirtyNodeGraph()
        #expect(g.reachable(from: [out]).count >= 30)
        let plan = Planner.plan(g, outputs: [out], symbols: 100, bars: 2520)
        #expect(plan.stages.count == 2)
        #expect(plan.stages[1].crossSteps.count == 1)
        // Materialized: the rank input, the rank, the output. Nothing else is a full array.
        #expect(plan.buffers.count == 3)
        #expect(plan.slotCount <= 4)
        let text = plan.explain()
        #expect(text.contains("stage 1: 1 cross-sectional"))
        #expect(text.contains("rank("))
    }

    @Test("only requested outputs (and stage boundaries) are materialized")
    func onlyOutputs() throws {
        let g = Graph()
        let fast = try g.primitive("sma", inputs: [g.field("close")], params: [10])[0]
        let slow = try g.primitive("sma", inputs: [g.field("close")], params: [50])[0]
        let entries = try g.primitive("crossover", inputs: [fast, slow], params: [])[0]
        let exits = try g.primitive("crossunder", inputs: [fast, slow], params: [])[0]
        let plan = Planner.plan(g, outputs: [entries, exits], symbols: 10, bars: 100)
        #expect(plan.buffers == [entries, exits])
        #expect(plan.stages.count == 1 && plan.stages[0].steps.count == 4)
        #expect(plan.slotCount == 2)
    }

    @Test("work only a later stage reads runs in that stage instead of crossing the cut")
    func lateWork() throws {
        let g = Graph()
        let close = g.field("close")
        let trend = try g.binary(.gt, close, try g.primitive("sma", inputs: [close], params: [20])[0])
        let ranked = try g.crossSection(.rank, try g.primitive("ema", inputs: [close], params: [5])[0])
        let out = try g.binary(.and, trend, try g.binary(.gt, ranked, g.constant(0.5)))
        let plan = Planner.plan(g, outputs: [out], symbols: 10, bars: 100)
        #expect(plan.stages[0].steps.count == 1)          // only the ema feeding rank
        #expect(plan.stages[1].steps.count == 4)          // sma, >, >, &
        #expect(plan.buffers.count == 3)                  // rank input, rank output, the output
    }

    @Test("rank orders signed zeros, infinities and negatives like the oracle", arguments: [3, 17, 300])
    func rankSpecialValues(symbols n: Int) throws {
        let g = Graph()
        let r = try g.crossSection(.rank, g.field("close"))
        let specials: [Double] = [-.infinity, -1e300, -2, -0.0, 0.0, .leastNonzeroMagnitude, 1, 1, 2, .infinity, .nan, -2]
        var fields: [String: [Double]] = [:]
        var f = Fixture(seed: UInt64(n))
        let T = 7
        let values = (0 ..< n * T).map { _ in f.pick(specials) }
        for name in Panel.standardFields { fields[name] = values }
        let panel = try Panel(symbols: (0 ..< n).map { "S\($0)" }, timestamps: (0 ..< T).map { Int64($0) * 86_400 }, fields: fields)
        let fused = try FusedEngine.evaluate(g, outputs: [r], panel: panel)[r]!
        let naive = try NaiveEvaluator(panel: panel).evaluate(g, outputs: [r])[r]!
        #expect(firstMismatch(fused, naive, tolerance: 0) == nil)
    }

    @Test("rank and zscore follow the documented definitions")
    func crossSectionDefinitions() throws {
        let g = Graph()
        let c = g.field("close")
        let r = try g.crossSection(.rank, c), z = try g.crossSection(.zscore, c)
        var fields: [String: [Double]] = [:]
        // One bar, five symbols: a tie at 2 and a NaN.
        let close: [Double] = [3, 2, .nan, 2, 7]
        for name in Panel.standardFields { fields[name] = close }
        let panel = try Panel(symbols: ["A", "B", "C", "D", "E"], timestamps: [0], fields: fields)
        for values in [try FusedEngine.evaluate(g, outputs: [r, z], panel: panel),
                       try NaiveEvaluator(panel: panel).evaluate(g, outputs: [r, z])] {
            // pandas rank(pct=True): average ranks 3, 1.5, -, 1.5, 4 over 4 valid values.
            #expect(values[r]![0] == 0.75 && values[r]![1] == 0.375 && values[r]![2].isNaN && values[r]![3] == 0.375 && values[r]![4] == 1)
            let mean = 3.5, std = ((0.25 + 2.25 + 2.25 + 12.25) / 4).squareRoot()
            #expect(Swift.abs(values[z]![4] - (7 - mean) / std) < 1e-15)
            #expect(values[z]![2].isNaN)
        }
    }
}
