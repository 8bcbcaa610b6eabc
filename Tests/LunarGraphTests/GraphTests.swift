import Testing
@testable import LunarGraph

@Suite struct GraphTests {
    @Test func internsIdenticalExpressions() throws {
        let g = Graph()
        let a = try g.primitive("sma", inputs: [g.field("close")], params: [10])[0]
        let b = try g.primitive("sma", inputs: [g.field("close")], params: [10])[0]
        let c = try g.primitive("sma", inputs: [g.field("close")], params: [11])[0]
        #expect(a == b && a != c)
        #expect(g.constant(.nan) == g.constant(.nan))   // NaN constants intern by bit pattern
        #expect(try g.binary(.add, a, g.constant(1)) == g.binary(.add, b, g.constant(1)))
        #expect(g.count == 6)
    }

    @Test func infersTypesAndLookback() throws {
        let g = Graph()
        let close = g.field("close")
        let fast = try g.primitive("sma", inputs: [close], params: [10])[0]
        let slow = try g.primitive("sma", inputs: [try g.primitive("shift", inputs: [close], params: [3])[0]], params: [50])[0]
        #expect(g[fast].lookback == 9 && g[slow].lookback == 52)
        let above = try g.binary(.gt, fast, slow)
        #expect(g[above].type == .bool && g[above].lookback == 52)
        let cross = try g.primitive("crossover", inputs: [fast, slow], params: [])[0]
        #expect(g[cross].type == .bool)
        #expect(g[try g.binary(.mul, g.constant(2), g.constant(3))].type == .scalar)
        #expect(g.describe(above) == "(sma(close, 10) > sma(shift(close, 3), 50))")
    }

    @Test func rejectsTypeErrors() throws {
        let g = Graph()
        let close = g.field("close")
        let flag = try g.binary(.gt, close, g.constant(1))
        #expect(throws: GraphError.self) { try g.binary(.and, close, flag) }
        #expect(throws: GraphError.self) { try g.binary(.add, flag, close) }
        #expect(throws: GraphError.self) { try g.unary(.not, close) }
        #expect(throws: GraphError.self) { try g.primitive("sma", inputs: [flag], params: [5]) }
        #expect(throws: GraphError.self) { try g.select(close, close, close) }
    }

    @Test func checksParametersAndNamesAgainstTheRegistry() {
        let g = Graph()
        let close = g.field("close")
        #expect(throws: GraphError.badArgument("sma: period must be ≥ 1, got 0")) {
            try g.primitive("sma", inputs: [close], params: [0])
        }
        #expect(throws: GraphError.badArgument("sma: period must be a whole number, got 2.5")) {
            try g.primitive("sma", inputs: [close], params: [2.5])
        }
        do {
            _ = try g.primitive("smaa", inputs: [close], params: [5])
            Issue.record("unknown names must fail")
        } catch {
            #expect("\(error)".contains("did you mean 'sma'"))
        }
    }

    @Test func reachableIsTopologicalAndMinimal() throws {
        let g = Graph()
        let close = g.field("close")
        let unused = try g.primitive("ema", inputs: [close], params: [5])[0]
        let s = try g.primitive("sma", inputs: [close], params: [3])[0]
        let out = try g.binary(.sub, close, s)
        let order = g.reachable(from: [out])
        #expect(!order.contains(unused))
        #expect(order == [close, s, out])   // parameters live in the op, not in nodes
        #expect(order.firstIndex(of: close)! < order.firstIndex(of: s)! && order.firstIndex(of: s)! < order.firstIndex(of: out)!)
    }
}
