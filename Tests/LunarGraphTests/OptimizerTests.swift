import LunarGraph
import Testing

@Suite("Optimizer passes")
struct OptimizerTests {
    @Test("constant subtrees fold to one constant with the evaluators' arithmetic")
    func folding() throws {
        let g = Graph()
        let c = try g.binary(.mul, try g.binary(.add, g.constant(2), g.constant(3)), g.constant(0.1))
        let out = try g.binary(.gt, g.field("close"), c)
        let o = try Optimizer.optimize(g, outputs: [out])
        let folded = o.graph[o.outputs[0]].inputs[1]
        #expect(o.graph[folded].constantValue == (2.0 + 3.0) * 0.1)
        #expect(o.graph.count == 3)   // close, the constant, the comparison
        #expect(o.report.first { $0.rule == "fold constants" }!.count == 2)
    }

    @Test("identities drop neutral operands and double negation")
    func identities() throws {
        let g = Graph()
        let x = g.field("close")
        let a = try g.binary(.add, try g.binary(.mul, g.constant(1), x), g.constant(0))
        let b = try g.unary(.neg, try g.unary(.neg, try g.binary(.div, a, g.constant(1))))
        let c = try g.binary(.max, b, b)
        let o = try Optimizer.optimize(g, outputs: [c])
        #expect(o.outputs[0] == o.graph.field("close"))
        #expect(o.graph.count == 1)
    }

    @Test("identities that NaN would break are not applied")
    func unsafeIdentitiesKept() throws {
        let g = Graph()
        let x = g.field("close")
        let zero = try g.binary(.mul, x, g.constant(0))   // NaN · 0 is NaN, not 0
        let self_ = try g.binary(.sub, x, x)              // ∞ − ∞ is NaN
        let o = try Optimizer.optimize(g, outputs: [zero, self_])
        #expect(o.outputs.allSatisfy { o.graph[$0].constantValue == nil })
    }

    @Test("operands of commutative ops are ordered so a+b and b+a are one node, across outputs")
    func commonSubexpressions() throws {
        let g = Graph()
        let a = try g.primitive("sma", inputs: [g.field("close")], params: [10])[0]
        let b = try g.primitive("sma", inputs: [g.field("close")], params: [50])[0]
        let x = try g.binary(.add, a, b), y = try g.binary(.add, b, a)
        let p = try g.binary(.lt, a, b), q = try g.binary(.gt, b, a)
        #expect(x != y && p != q)
        let o = try Optimizer.optimize(g, outputs: [x, y, p, q])
        #expect(o.outputs[0] == o.outputs[1])
        #expect(o.outputs[2] == o.outputs[3])
        #expect(o.graph.count == 5)   // close, two smas, the sum, the comparison
    }

    @Test("dead nodes disappear: only what the outputs reach is kept")
    func deadNodes() throws {
        let g = Graph()
        let used = try g.primitive("ema", inputs: [g.field("close")], params: [5])[0]
        _ = try g.primitive("stdev", inputs: [g.field("high")], params: [20])[0]
        _ = try g.crossSection(.rank, used)
        let o = try EliminateDeadNodes.run(g, outputs: [used])
        #expect(o.nodesBefore == 2 && o.graph.count == 2)
    }

    @Test("rank and zscore need a float series")
    func crossSectionTypes() throws {
        let g = Graph()
        let b = try g.binary(.gt, g.field("close"), g.constant(1))
        #expect(throws: GraphError.self) { try g.crossSection(.rank, b) }
        #expect(g.describe(try g.crossSection(.zscore, g.field("close"))) == "zscore(close)")
    }
}
