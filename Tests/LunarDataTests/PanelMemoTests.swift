import Foundation
import Testing
@testable import LunarData

@Suite struct PanelMemoTests {
    /// Counts how often a derived value is computed.
    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var calls = 0
        func make(_ value: Double) -> [Double] { lock.withLock { calls += 1 }; return [value] }
        var count: Int { lock.withLock { calls } }
    }

    @Test func derivedValuesAreComputedOncePerPanelAndKey() throws {
        let panel = Synthetic.panel(symbols: 2, bars: 5, seed: 1)
        let counter = Counter()
        #expect(panel.derived("a") { counter.make(1) } == [1])
        #expect(panel.derived("a") { counter.make(2) } == [1])   // memoized
        #expect(panel.derived("b") { counter.make(3) } == [3])   // another key
        let copy = panel
        #expect(copy.derived("a") { counter.make(4) } == [1])    // copies share the memo
        #expect(counter.count == 2)
    }

    @Test func changingAFieldForgetsDerivedValues() throws {
        let panel = Synthetic.panel(symbols: 2, bars: 5, seed: 1)
        let counter = Counter()
        _ = panel.derived("a") { counter.make(1) }
        var changed = panel
        try changed.setField("close", [Double](repeating: 7, count: 10))
        #expect(changed.derived("a") { counter.make(2) } == [2])  // recomputed for the new data
        #expect(panel.derived("a") { counter.make(3) } == [1])    // the original keeps its value
        #expect(counter.count == 2)
    }

    @Test func aThrowingComputationStoresNothing() throws {
        struct Failure: Error {}
        let panel = Synthetic.panel(symbols: 1, bars: 3, seed: 2)
        #expect(throws: Failure.self) { try panel.derived("x") { () throws -> [Double] in throw Failure() } }
        #expect(panel.derived("x") { [5.0] } == [5])
    }
}
