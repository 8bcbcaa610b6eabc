import LunarData
import LunarTestSupport
import Testing
@testable import LunarEngine

/// The executor's cross-sectional rank against its definition, counted value by value as the
/// naive evaluator does: (less + (equal + 1) / 2) / valid, bit for bit.
@Suite struct CrossSectionTests {
    /// Columns built to corner the radix sort: values that share the upper half of their key
    /// and differ only in the lower (the insertion step orders them), exact ties, −0 beside
    /// +0, ±∞, NaN, one value, none.
    @Test func rankEqualsItsDefinition() {
        var rng = SplitMix64(seed: 5)
        func column(_ n: Int, _ kind: Int) -> [Double] {
            (0 ..< n).map { _ in
                let u = rng.nextUnit()
                switch kind {
                case 0: return (u - 0.5) * 4                                        // spread out
                case 1: return Double(bitPattern: (1.5).bitPattern &+ UInt64(u * 64))   // one upper half
                case 2: return [0.0, -0.0, 1, -1, .infinity, -.infinity, .nan][Int(u * 7)]
                default: return u < 0.2 ? .nan : Double(Int(u * 5)) * 0.25          // many ties
                }
            }
        }
        let scratch = UnsafeMutablePointer<UInt64>.allocate(capacity: CrossSection.scratchWords(300))
        defer { scratch.deallocate() }
        for n in [0, 1, 2, 3, 17, 300] {
            for kind in 0 ..< 4 {
                let x = column(n, kind)
                let valid = x.filter { !$0.isNaN }
                let expected = x.map { v -> Double in
                    guard !v.isNaN else { return .nan }
                    let less = valid.filter { $0 < v }.count, equal = valid.filter { $0 == v }.count
                    return (Double(less) + Double(equal + 1) / 2) / Double(valid.count)
                }
                var got = x
                got.withUnsafeMutableBufferPointer { CrossSection.rank($0.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!, n, scratch) }
                #expect(got.map(\.bitPattern) == expected.map(\.bitPattern), "n \(n), kind \(kind)")
            }
        }
    }
}
