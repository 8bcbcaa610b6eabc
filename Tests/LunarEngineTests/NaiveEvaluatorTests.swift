import LunarData
import LunarGraph
import LunarTestSupport
import Testing
@testable import LunarEngine

@Suite struct NaiveEvaluatorTests {
    @Test func elementwiseRulesPropagateNaN() throws {
        let panel = Fixtures.panel(closes: [[1, 2, .nan, 4]])
        let g = Graph()
        let c = g.field("close")
        let gt = try g.binary(.gt, c, g.constant(1.5))
        let notGt = try g.unary(.not, gt)
        let pick = try g.select(gt, c, try g.unary(.neg, c))
        let v = try NaiveEvaluator(panel: panel).evaluate(g, outputs: [gt, notGt, pick])
        #expect(v[gt]![0] == 0 && v[gt]![1] == 1 && v[gt]![2].isNaN && v[gt]![3] == 1)
        #expect(v[notGt]![0] == 1 && v[notGt]![2].isNaN)
        #expect(v[pick]![0] == -1 && v[pick]![1] == 2 && v[pick]![2].isNaN)
    }

    @Test func handComputedIndicators() throws {
        let panel = Fixtures.panel(closes: [[10, 11, 12, 13, 14], [5, 4, 3, 2, 1]])
        let g = Graph()
        let c = g.field("close")
        let sma = try g.primitive("sma", inputs: [c], params: [2])[0]
        let diff = try g.primitive("diff", inputs: [c], params: [2])[0]
        let hi = try g.primitive("highest", inputs: [c], params: [3])[0]
        let v = try NaiveEvaluator(panel: panel).evaluate(g, outputs: [sma, diff, hi])
        #expect(Array(v[sma]![1 ... 4]) == [10.5, 11.5, 12.5, 13.5])
        #expect(v[sma]![5].isNaN && v[sma]![6] == 4.5)
        #expect(v[diff]![2] == 2 && v[diff]![7] == -2)
        #expect(v[hi]![4] == 14 && v[hi]![9] == 3)
    }

    /// Changing a bar never changes any output before it.
    @Test func evaluationIsCausal() throws {
        var rng = SplitMix64(seed: 5)
        let T = 120
        let base = (0 ..< T).map { _ in 100 + rng.nextGaussian() }
        let g = Graph()
        let c = g.field("close")
        let fast = try g.primitive("ema", inputs: [c], params: [5])[0]
        let slow = try g.primitive("sma", inputs: [c], params: [20])[0]
        let sd = try g.primitive("stdev", inputs: [c], params: [10])[0]
        let outs = [try g.primitive("crossover", inputs: [fast, slow], params: [])[0],
                    try g.binary(.div, try g.binary(.sub, c, slow), sd),
                    try g.primitive("lowest", inputs: [try g.primitive("shift", inputs: [c], params: [2])[0]], params: [7])[0]]
        let ref = try NaiveEvaluator(panel: Fixtures.panel(closes: [base])).evaluate(g, outputs: outs)
        for t in stride(from: 10, to: T, by: 13) {
            var changed = base
            changed[t] *= 1.5
            let v = try NaiveEvaluator(panel: Fixtures.panel(closes: [changed])).evaluate(g, outputs: outs)
            for o in outs {
                #expect(same(Array(v[o]![..<t]), Array(ref[o]![..<t])), "output \(g.describe(o)) changed before bar \(t)")
            }
        }
    }

    @Test func unknownFieldSuggests() {
        let g = Graph()
        let f = g.field("clsoe")
        #expect(throws: EvaluationError.self) { try NaiveEvaluator(panel: Fixtures.panel(closes: [[1]])).evaluate(g, outputs: [f]) }
        do { _ = try NaiveEvaluator(panel: Fixtures.panel(closes: [[1]])).evaluate(g, outputs: [f]) } catch {
            #expect("\(error)".contains("did you mean 'close'"))
        }
    }
}

func same(_ a: [Double], _ b: [Double]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }
}
