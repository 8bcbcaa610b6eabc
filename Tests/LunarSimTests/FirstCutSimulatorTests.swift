import LunarData
import LunarTestSupport
import Testing
@testable import LunarSim

@Suite struct FirstCutSimulatorTests {
    func simulate(_ close: [Double], _ entries: [Double], _ exits: [Double], capital: Double = 1000, fees: Double = 0) -> SymbolRun {
        try! Simulator.run(close: close, entries: entries, exits: exits, symbols: 1, bars: close.count,
                      options: .init(capital: capital, fees: fees, threads: 1))[0]
    }

    /// Worked by hand: buy 1000 at 10 with a 1 % fee, sell at 12, buy at 11, hold to the end at 13.
    @Test func worksTheHandExample() {
        let close: [Double] = [10, 11, 12, 11, 13]
        let r = simulate(close, [1, 1, 0, 1, 0], [0, 0, 1, 0, 0], fees: 0.01)
        let shares1 = (1000 / 1.01) / 10
        let cash1 = shares1 * 12 * 0.99
        let shares2 = (cash1 / 1.01) / 11
        #expect(r.trades.count == 2)
        let t = r.trades[0]
        #expect(t.entryBar == 0 && t.exitBar == 2 && !t.isOpen)
        #expect(near(t.size, shares1) && near(t.entryFees, 1000 - 1000 / 1.01) && near(t.exitFees, shares1 * 12 * 0.01))
        #expect(near(t.pnl, cash1 - 1000))
        #expect(r.trades[1].isOpen && r.trades[1].entryBar == 3 && r.trades[1].exitBar == 4 && r.trades[1].exitFees == 0)
        #expect(near(r.equity[0], shares1 * 10) && near(r.equity[1], shares1 * 11) && near(r.equity[2], cash1))
        #expect(near(r.equity[4], shares2 * 13))
    }

    @Test func ignoresRedundantConflictingAndNaNSignals() {
        // exit while flat (bar 0), entry and exit together (bar 1), NaN price (bar 2), entry while long (bar 4)
        let r = simulate([10, 10, .nan, 10, 20, 20], [0, 1, 1, 1, 1, .nan], [1, 1, 0, 0, 0, 0])
        #expect(r.trades.count == 1 && r.trades[0].entryBar == 3 && r.trades[0].isOpen)
        #expect(r.equity[2] == 1000 && r.equity[4] == 2000 && r.equity[5] == 2000)
    }

    @Test func dataEndingEarlyIsADelisting() {
        // The data end at bar 1 of 3: the long is closed at bar 1's close, and its cash stays.
        let r = simulate([10, 20, .nan], [1, 0, 0], [0, 0, 0])
        #expect(r.equity[1] == 2000 && r.equity[2] == 2000)
        #expect(r.trades[0].exitPrice == 20 && r.trades[0].exitBar == 1 && r.trades[0].exitReason == .delisted && !r.trades[0].isOpen)
    }

    @Test func marksAGapToTheLastValidClose() {
        // A NaN inside the data (a halt) is no delisting: the position is marked at the last close.
        let r = simulate([10, 20, .nan, 20], [1, 0, 0, 0], [0, 0, 0, 0])
        #expect(r.equity[2] == 2000 && r.trades[0].isOpen && r.trades[0].exitBar == 3)
    }

    @Test func splitsCapitalEquallyAndRunsInParallel() {
        let close: [Double] = [1, 2, 3, 4, 5, 6]
        let e: [Double] = [1, 0, 0, 1, 0, 0], x: [Double] = [0, 1, 0, 0, 0, 0]
        let one = try! Simulator.run(close: close, entries: e, exits: x, symbols: 2, bars: 3, options: .init(capital: 100, threads: 1))
        let many = try! Simulator.run(close: close, entries: e, exits: x, symbols: 2, bars: 3, options: .init(capital: 100, threads: 4))
        #expect(one.map(\.equity) == many.map(\.equity))
        #expect(one[0].equity == [50, 100, 100] && one[1].equity == [50, 62.5, 75])
    }

    @Test func metricsByHand() {
        let eq: [Double] = [110, 99, 121]
        let m = Metrics.compute(equity: eq, initial: 100, trades: [], barsPerYear: 252)
        let r = [0.1, -0.1, 121.0 / 99 - 1]
        let mean = r.reduce(0, +) / 3
        let sd = (r.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 2).squareRoot()
        #expect(near(m.totalReturn, 0.21))
        #expect(near(m.sharpe, mean / sd * 252.0.squareRoot()))
        #expect(near(m.volatility, sd * 252.0.squareRoot()))
        #expect(near(m.maxDrawdown, -0.1))
        #expect(near(m.cagr, pow(1.21, 252.0 / 3) - 1))
        #expect(m.winRate.isNaN && m.trades == 0)
    }

    @Test func rejectsBadOptions() {
        #expect(throws: SettingError.self) { try SimulationOptions(capital: -1).validate() }
        #expect(throws: SettingError.self) { try SimulationOptions(fees: -0.1).validate() }
        #expect(throws: SettingError.self) { try SimulationOptions(capital: .nan).validate() }
    }
}

import Foundation
