import Foundation
import LunarData
import LunarTestSupport
import Testing
@testable import Lunar

/// The plain-Lua floors of the per-bar workloads (`lunar bench`, W3 and W3b) make the decisions
/// the per-bar runs make: as many entries as the runs have trades, symbol by symbol.
@Suite struct PerBarFloorTests {
    @Test(arguments: [("strategies/trailing_breakout.lua", "bench/workloads/w3_floor.lua", ["close", "hi"]),
                      ("bench/workloads/w3b_realistic.lua", "bench/workloads/w3b_floor.lua", ["close", "fast", "slow"])])
    func floorsDecideAsTheRunsDo(strategy: String, floor: String, inputs: [String]) throws {
        let panel = Synthetic.panel(symbols: 12, bars: 600, seed: 5)
        var o = BacktestOptions()
        o.stdlib = Fixtures.stdlib
        let run = try Backtest.run(strategyPath: Fixtures.path(strategy), panel: panel, options: o)
        let named = run.strategy.indicators
        let values = try Evaluation.evaluate(run.strategy.graph, outputs: named.map(\.node), panel: run.panel, engine: .naive, threads: 1)
        let code = try String(contentsOfFile: Fixtures.path(floor), encoding: .utf8)
        let T = panel.barCount
        for s in 0 ..< panel.symbolCount {
            let arrays = inputs.map { input in
                Array((named.first { $0.name == input }.map { values[$0.node]! } ?? run.panel.fields[input]!)[s * T ..< (s + 1) * T])
            }
            let entries = try LuaFloor.run(code: code, symbols: [arrays]).total
            #expect(Int(entries) == run.trades.filter { $0.symbol == s }.count, "\(strategy), symbol \(s)")
        }
        #expect(run.trades.count > 20)
    }

    @Test func aBrokenFloorIsAnError() {
        #expect { try LuaFloor.run(code: "return 1", symbols: [[[1]]]) } throws: { "\($0)".contains("must return a function") }
        #expect { try LuaFloor.run(code: "return function(n) error('boom') end", symbols: [[[1]]]) } throws: { "\($0)".contains("boom") }
    }
}
