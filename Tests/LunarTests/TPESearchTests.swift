import Foundation
import LunarTestSupport
import Testing
@testable import Lunar

/// The search itself, on objectives cheap enough to know everywhere.
@Suite struct TPESearchTests {
    static let space = [ParamSpace(name: "a", values: (0 ..< 30).map(String.init)),
                        ParamSpace(name: "b", values: (0 ..< 30).map(String.init))]

    /// A smooth hill with its top at (21, 8), plus a little seeded roughness.
    static func hill(_ combo: [(name: String, value: String)]) -> Double {
        let a = Double(combo[0].value)!, b = Double(combo[1].value)!
        return -((a - 21) * (a - 21) + (b - 8) * (b - 8)) / 100 + 0.01 * sin(a * 7.1 + b * 3.3)
    }

    @Test func reachesTheTopOfAHillWithinAQuarterOfTheGrid() throws {
        let best = Self.space[0].values.flatMap { a in Self.space[1].values.map { b in Self.hill([("a", a), ("b", b)]) } }.max()!
        for seed in [1, 2, 3] as [UInt64] {
            let tried = try TPESearch(space: Self.space, trials: 225, seed: seed).run(allowed: { _ in true }) { $0.map(Self.hill) }
            #expect(tried.count == 225)
            #expect(tried.map(\.score).max()! >= best - 1e-12, "seed \(seed)")
            #expect(Set(tried.map(\.combo)).count == tried.count)                 // never the same combination twice
        }
    }

    @Test func isSeededAndKeepsTheConstraint() throws {
        let allowed: ([(name: String, value: String)]) -> Bool = { Int($0[0].value)! < Int($0[1].value)! }
        let run = { (seed: UInt64) in try TPESearch(space: Self.space, trials: 60, seed: seed).run(allowed: allowed) { $0.map(Self.hill) } }
        let a = try run(5), b = try run(5), c = try run(6)
        #expect(a.map(\.combo) == b.map(\.combo) && a.map(\.combo) != c.map(\.combo))
        #expect(a.allSatisfy { $0.combo[0] < $0.combo[1] })
    }

    @Test func stopsWhenTheGridIsExhaustedAndReadsChoices() throws {
        let small = [ParamSpace(name: "mode", values: ["fast", "slow", "none"]), ParamSpace(name: "n", values: ["1", "2"])]
        let tried = try TPESearch(space: small, trials: 50, seed: 1).run(allowed: { _ in true }) { batch in
            batch.map { $0[0].value == "slow" && $0[1].value == "2" ? 1 : 0 }
        }
        #expect(tried.count == 6 && tried.contains { $0.score == 1 })
    }

    @Test func aSweepWithSearchTPEReturnsItsEvaluationsRanked() throws {
        let panel = Synthetic.panel(symbols: 6, bars: 500, seed: 2)
        var o = BacktestOptions()
        o.stdlib = Fixtures.stdlib
        var r = SweepRequest(space: [try ParamSpace.parse("fast=2:20:2"), try ParamSpace.parse("slow=20:100:10")])
        r.condition = "fast < slow"
        r.search = .tpe; r.trials = 20
        let result = try Sweep.run(strategyPath: Fixtures.path("strategies/sma_cross.lua"), panel: panel, options: o, request: r)
        #expect(result.rows.count == 20)
        #expect(zip(result.rows, result.rows.dropFirst()).allSatisfy { $0.metrics.sharpe >= $1.metrics.sharpe || $1.metrics.sharpe.isNaN })
        r.trials = nil
        #expect(throws: ScriptError.self) { try Sweep.run(strategyPath: Fixtures.path("strategies/sma_cross.lua"), panel: panel, options: o, request: r) }
    }
}
