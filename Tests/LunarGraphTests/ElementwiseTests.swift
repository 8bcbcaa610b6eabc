import Testing
@testable import LunarGraph

/// The block loops (two values at a time for comparisons, logic, min, max and select) against
/// the scalar rules they stand for, bit for bit, on every pairing of special values, with
/// constants on either side and odd lengths (the scalar tail).
@Suite struct ElementwiseTests {
    static let specials: [Double] = [.nan, -0.0, 0, 1, -1, 0.5, 2, .infinity, -.infinity, 1e-300, -7]

    /// Every ordered pair of specials, as two columns.
    static var pairs: (a: [Double], b: [Double]) {
        var a: [Double] = [], b: [Double] = []
        for x in specials { for y in specials { a.append(x); b.append(y) } }
        return (a, b)
    }

    @Test("BinaryOp block loops equal the scalar rule", arguments: BinaryOp.allCases)
    func binary(op: BinaryOp) {
        let (a, b) = Self.pairs
        for n in [a.count, a.count - 1, 1, 0] {
            var out = [Double](repeating: 42, count: a.count)
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    out.withUnsafeMutableBufferPointer { o in
                        op.apply(.pointer(pa.baseAddress!), .pointer(pb.baseAddress!), into: o.baseAddress!, count: n)
                    }
                }
            }
            for i in 0 ..< n { #expect(out[i].bitPattern == op.apply(a[i], b[i]).bitPattern, "\(op) \(a[i]) \(b[i]): \(out[i])") }
            for c in Self.specials {
                var left = [Double](repeating: 42, count: a.count), right = left
                a.withUnsafeBufferPointer { pa in
                    left.withUnsafeMutableBufferPointer { op.apply(.pointer(pa.baseAddress!), .value(c), into: $0.baseAddress!, count: n) }
                    right.withUnsafeMutableBufferPointer { op.apply(.value(c), .pointer(pa.baseAddress!), into: $0.baseAddress!, count: n) }
                }
                for i in 0 ..< n {
                    #expect(left[i].bitPattern == op.apply(a[i], c).bitPattern, "\(op) \(a[i]) \(c)")
                    #expect(right[i].bitPattern == op.apply(c, a[i]).bitPattern, "\(op) \(c) \(a[i])")
                }
            }
        }
    }

    @Test func selectEqualsTheScalarRule() {
        let (a, b) = Self.pairs
        let conditions: [Double] = (0 ..< a.count).map { [Double.nan, 0, 1, 0.5, -0.0][$0 % 5] }
        for n in [a.count, a.count - 1] {
            var out = [Double](repeating: 42, count: a.count)
            conditions.withUnsafeBufferPointer { c in
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        out.withUnsafeMutableBufferPointer { o in
                            selectBlock(.pointer(c.baseAddress!), .pointer(pa.baseAddress!), .pointer(pb.baseAddress!), into: o.baseAddress!, count: n)
                        }
                    }
                }
            }
            for i in 0 ..< n {
                #expect(out[i].bitPattern == selectValue(conditions[i], a[i], b[i]).bitPattern, "\(conditions[i]) \(a[i]) \(b[i])")
            }
        }
    }
}
