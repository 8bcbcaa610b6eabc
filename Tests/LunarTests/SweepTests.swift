import Foundation
import LunarData
import LunarSim
import LunarTestSupport
import Testing
@testable import Lunar

@Suite struct SweepTests {
    func options() -> BacktestOptions {
        var o = BacktestOptions()
        o.simulation.fees = 0.001
        o.stdlib = Fixtures.stdlib
        return o
    }

    @Test func parsesRangesListsAndConditions() throws {
        #expect(try ParamSpace.parse("fast=5:20:5").values == ["5", "10", "15", "20"])
        #expect(try ParamSpace.parse("x=0.1:0.3:0.1").values == ["0.1", "0.2", "0.30000000000000004"])
        #expect(try ParamSpace.parse("mode=a,b").values == ["a", "b"])
        #expect(throws: (any Error).self) { try ParamSpace.parse("fast=9:1:2") }
        var r = SweepRequest(space: [try ParamSpace.parse("fast=5:50:5"), try ParamSpace.parse("slow=20:200:10")])
        r.condition = "fast < slow"
        #expect(try Sweep.combinations(r).count == 174)   // W2's grid
        r.samples = 25
        let drawn = try Sweep.combinations(r)
        #expect(drawn.count <= 25 && drawn.allSatisfy { Double($0[0].value)! < Double($0[1].value)! })
        #expect(try Sweep.combinations(r).map { $0.map(\.value) } == drawn.map { $0.map(\.value) })   // seeded
    }

    /// Every row of a sweep equals a single run with those parameters.
    @Test func rowsEqualSingleRuns() throws {
        let panel = Synthetic.panel(symbols: 12, bars: 500, seed: 8)
        var request = SweepRequest(space: [try ParamSpace.parse("fast=5:20:5"), try ParamSpace.parse("slow=30,60")])
        request.memoryBudget = 1   // one combination per chunk: exercises chunking too
        let result = try Sweep.run(strategyPath: Fixtures.path("strategies/sma_cross.lua"), panel: panel, options: options(), request: request)
        #expect(result.rows.count == 8)
        let sharpe = result.rows.map(\.metrics.sharpe)
        #expect(sharpe == sharpe.sorted(by: >))
        for row in result.rows.enumerated().filter({ $0.offset % 3 == 0 }).map(\.element) {
            var o = options()
            o.params = Dictionary(uniqueKeysWithValues: row.params.map { ($0.name, $0.value) })
            let single = try Backtest.run(strategyPath: Fixtures.path("strategies/sma_cross.lua"), panel: panel, options: o)
            #expect(single.portfolio == row.metrics, "\(row.params)")
            #expect(single.equity == row.equity)
        }
    }

    @Test func badGridsFailBeforeAnyWork() throws {
        #expect(throws: (any Error).self) { try ParamSpace.parse("fast=5:50:0") }      // step of zero
        #expect(throws: (any Error).self) { try ParamSpace.parse("fast=") }            // empty
        var r = SweepRequest(space: [try ParamSpace.parse("a=1:1000"), try ParamSpace.parse("b=1:1000"), try ParamSpace.parse("c=1:10")])
        do { _ = try Sweep.combinations(r); Issue.record("must refuse 10 million combinations") } catch {
            #expect("\(error)".contains("more than --max-combinations 1000000"))
        }
        r.samples = 50
        #expect(try Sweep.combinations(r).count == 50)                               // sampling is fine
        var none = SweepRequest(space: [try ParamSpace.parse("fast=5,10")])
        none.condition = "fast > 100"
        #expect(try Sweep.combinations(none).isEmpty)
        let panel = Synthetic.panel(symbols: 2, bars: 100, seed: 1)
        do { _ = try Sweep.run(strategyPath: Fixtures.path("strategies/sma_cross.lua"), panel: panel, options: options(), request: none); Issue.record("must fail") } catch {
            #expect("\(error)".contains("no combinations"))
        }
    }

    @Test func unknownNamesAreReported() throws {
        let panel = Synthetic.panel(symbols: 2, bars: 100, seed: 1)
        var r = SweepRequest(space: [try ParamSpace.parse("fats=5,10")])
        do { _ = try Sweep.run(strategyPath: Fixtures.path("strategies/sma_cross.lua"), panel: panel, options: options(), request: r); Issue.record("must fail") } catch {
            #expect("\(error)".contains("did you mean 'fast'"))
        }
        r = SweepRequest(space: [try ParamSpace.parse("fast=5,10")])
        r.metric = "sharp"
        do { _ = try Sweep.run(strategyPath: Fixtures.path("strategies/sma_cross.lua"), panel: panel, options: options(), request: r); Issue.record("must fail") } catch {
            #expect("\(error)".contains("did you mean 'sharpe'"))
        }
    }

    @Test func writesCSVAndHTML() throws {
        let panel = Synthetic.panel(symbols: 4, bars: 300, seed: 2)
        let r = SweepRequest(space: [try ParamSpace.parse("fast=5,10"), try ParamSpace.parse("slow=30,40")])
        let result = try Sweep.run(strategyPath: Fixtures.path("strategies/sma_cross.lua"), panel: panel, options: options(), request: r)
        let table = SweepTableFixture.make(result)
        #expect(table.csv().split(separator: "\n").count == 5)
        #expect(table.html().contains("<table class=\"heat\">"))
    }

    /// Rows whose only difference is `metric`, in the order given.
    static func rows(_ metric: String, _ values: [Double]) -> [SweepRow] {
        values.enumerated().map { k, v in
            var m = Metrics()
            switch metric {
            case "max_drawdown_bars": m.maxDrawdownBars = Int(v)
            case "max_drawdown": m.maxDrawdown = v
            case "volatility": m.volatility = v
            case "trades": m.trades = Int(v)
            default: m.sharpe = v
            }
            return SweepRow(params: [(name: "k", value: "\(k)")], metrics: m, equity: [])
        }
    }

    @Test("ranking follows each metric's direction; NaN last")
    func ranksInTheMetricsDirection() {
        func ranked(_ metric: String, _ values: [Double]) -> [Double] {
            var rows = Self.rows(metric, values)
            Sweep.rank(&rows, by: metric)
            return rows.map { $0.metrics.value(metric) }
        }
        #expect(ranked("max_drawdown_bars", [40, 3, 120, 17]) == [3, 17, 40, 120])        // fewest bars under water first
        #expect(ranked("max_drawdown", [-0.3, -0.05, -0.5, 0]) == [0, -0.05, -0.3, -0.5]) // least negative first
        #expect(ranked("volatility", [0.2, .nan, 0.1]).prefix(2) == [0.1, 0.2])
        #expect(ranked("volatility", [0.2, .nan, 0.1]).last!.isNaN)
        #expect(ranked("trades", [5, 50, 10]) == [50, 10, 5])                             // neutral: larger first
        let sharpe = ranked("sharpe", [.nan, 1, -2, .infinity])
        #expect(Array(sharpe.prefix(3)) == [.infinity, 1, -2] && sharpe[3].isNaN)
    }

    /// A sweep ranked by a lower-is-better metric puts its smallest value first, end to end.
    @Test func sweepRankedByDrawdownBarsPutsTheSmallestFirst() throws {
        let panel = Synthetic.panel(symbols: 6, bars: 400, seed: 3)
        var request = SweepRequest(space: [try ParamSpace.parse("fast=5,10,20"), try ParamSpace.parse("slow=40,80")])
        request.metric = "max_drawdown_bars"
        let result = try Sweep.run(strategyPath: Fixtures.path("strategies/sma_cross.lua"), panel: panel, options: options(), request: request)
        let bars = result.rows.map(\.metrics.maxDrawdownBars)
        #expect(bars == bars.sorted() && Set(bars).count > 1)
        request.metric = "max_drawdown"
        let dd = try Sweep.run(strategyPath: Fixtures.path("strategies/sma_cross.lua"), panel: panel, options: options(), request: request)
            .rows.map(\.metrics.maxDrawdown)
        #expect(dd == dd.sorted(by: >) && dd.allSatisfy { $0 <= 0 })
    }

    /// Walk-forward choices never see out-of-sample data: altering the future leaves every
    /// earlier window's choice and result unchanged — for a vectorized and a per-bar strategy.
    @Test(arguments: ["sma_cross", "sma_cross_bar"])
    func walkForwardNeverSeesTheFuture(_ strategy: String) throws {
        let panel = Synthetic.panel(symbols: 6, bars: 900, seed: 12)
        let request = WalkForwardRequest(sweep: SweepRequest(space: [try ParamSpace.parse("fast=5,10,20"), try ParamSpace.parse("slow=40,80")]),
                                         train: 300, test: 150)
        let path = Fixtures.path("strategies/\(strategy).lua")
        let base = try WalkForward.run(strategyPath: path, panel: panel, options: options(), request: request)
        #expect(base.windows.count == 4 && base.equity.count == 600)
        #expect(base.outOfSample.trades == base.windows.reduce(0) { $0 + $1.outOfSample.trades })
        #expect(!base.outOfSample.winRate.isNaN)
        // Each window starts from the equity the last one ended with: the stitched return is the
        // product of the windows' returns.
        let chained = base.windows.reduce(1.0) { $0 * (1 + $1.outOfSample.totalReturn) } - 1
        #expect(abs(base.outOfSample.totalReturn - chained) < 1e-12)
        // Scramble everything from bar 600 on (the last two test windows).
        var altered = panel
        var close = panel.fields["close"]!
        for s in 0 ..< 6 { for t in 600 ..< 900 { close[s * 900 + t] *= 1 + 0.3 * sin(Double(t)) } }
        try altered.setField("close", close)
        let other = try WalkForward.run(strategyPath: path, panel: altered, options: options(), request: request)
        for k in 0 ..< 2 {
            #expect(other.windows[k].chosen.map(\.value) == base.windows[k].chosen.map(\.value))
            #expect(other.windows[k].outOfSample == base.windows[k].outOfSample)
        }
        #expect(Array(other.equity[..<300]) == Array(base.equity[..<300]))
        // The third window's choice uses bars up to 600 only: unchanged as well.
        #expect(other.windows[2].chosen.map(\.value) == base.windows[2].chosen.map(\.value))
    }
}

import LunarReport

enum SweepTableFixture {
    static func make(_ r: SweepResult) -> SweepTable {
        SweepTable(strategy: r.strategyName, metric: r.metric, paramNames: r.rows[0].params.map(\.name),
                   rows: r.rows.map { ($0.params.map(\.value), $0.metrics) })
    }
}
