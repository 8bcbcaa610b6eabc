import Foundation
import Testing
@testable import LunarSim

/// The contract of `Metrics.info`, the one table that says each metric's key, direction, unit
/// and definition.
@Suite struct MetricInfoTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `maxDrawdownBars` → `max_drawdown_bars`.
    static func snakeCase(_ name: String) -> String {
        name.reduce(into: "") { out, c in out += c.isUppercase ? "_" + c.lowercased() : String(c) }
    }

    /// A `Metrics` whose stored properties all hold different values (1, 2, 3, …).
    static func distinct() -> Metrics {
        var m = Metrics()
        m.totalReturn = 1; m.cagr = 2; m.volatility = 3; m.sharpe = 4; m.sortino = 5; m.calmar = 6
        m.maxDrawdown = 7; m.maxDrawdownBars = 8; m.trades = 9; m.closedTrades = 10; m.openTrades = 11
        m.winRate = 12; m.profitFactor = 13; m.expectancy = 14; m.avgWin = 15; m.avgLoss = 16; m.bestTrade = 17
        m.worstTrade = 18; m.sqn = 19; m.exposure = 20; m.turnover = 21; m.feesPaid = 22; m.finalEquity = 23
        m.alpha = 24; m.beta = 25; m.excessReturn = 26; m.benchmarkReturn = 27
        return m
    }

    /// Each stored property of `m` by its snake_case name.
    static func stored(_ m: Metrics) -> [(String, Double)] {
        Mirror(reflecting: m).children.map { child in
            (snakeCase(child.label!), child.value as? Double ?? (child.value as? Int).map(Double.init) ?? .nan)
        }
    }

    @Test("every metric has exactly one info entry, and the entry reads that metric", arguments: Metrics.names)
    func everyMetricHasInfo(_ key: String) throws {
        let info = try #require(Metrics.info(key))
        #expect(info.key == key)
        #expect(Metrics.info.filter { $0.key == key }.count == 1)
        #expect(!info.doc.isEmpty)
        let m = Self.distinct()
        let own = try #require(Self.stored(m).first { $0.0 == key }, "no stored property of Metrics is called \(key)")
        #expect(info.value(m) == own.1, "\(key) reads another field")
        #expect(m.value(key) == own.1)
    }

    @Test("the info table covers every stored property of Metrics, in report order")
    func tableCoversTheStruct() {
        let values = Self.stored(Self.distinct())
        // `distinct()` sets every stored property (a new one must be added there, and to the table).
        #expect(Set(values.map(\.1)).count == values.count && values.allSatisfy { $0.1 >= 1 })
        let stored = Set(values.map(\.0))
        #expect(Set(Metrics.names) == stored)
        #expect(Metrics.names.count == stored.count)
        #expect(Metrics().fields.map(\.0) == Metrics.names)
        // summary.json's original keys stay first, in their order.
        #expect(Array(Metrics.names.prefix(8)) == ["total_return", "cagr", "volatility", "sharpe", "max_drawdown",
                                                     "trades", "open_trades", "win_rate"])
        #expect(Metrics.integerKeys == ["trades", "open_trades", "closed_trades", "max_drawdown_bars"])
        #expect(Metrics.info("no_such_metric") == nil && Metrics().value("no_such_metric").isNaN)
    }

    @Test("directions and units follow each metric's definition")
    func directionsAndUnits() throws {
        func dir(_ k: String) -> MetricDirection? { Metrics.info(k)?.direction }
        func unit(_ k: String) -> MetricUnit? { Metrics.info(k)?.unit }
        // Negative figures whose nearer-zero value is better.
        for k in ["max_drawdown", "avg_loss", "worst_trade"] { #expect(dir(k) == .higher, "\(k)") }
        for k in ["volatility", "max_drawdown_bars", "fees_paid"] { #expect(dir(k) == .lower, "\(k)") }
        for k in ["trades", "open_trades", "closed_trades", "exposure", "turnover", "beta", "benchmark_return"] {
            #expect(dir(k) == .neutral, "\(k)")
        }
        for k in ["total_return", "cagr", "sharpe", "sortino", "calmar", "win_rate", "profit_factor", "expectancy",
                  "avg_win", "best_trade", "sqn", "final_equity", "excess_return", "alpha"] {
            #expect(dir(k) == .higher, "\(k)")
        }
        #expect(unit("sortino") == .ratio && unit("sharpe") == .ratio && unit("profit_factor") == .ratio)
        #expect(unit("closed_trades") == .count && unit("max_drawdown_bars") == .bars)
        #expect(unit("max_drawdown") == .fraction && unit("win_rate") == .fraction && unit("exposure") == .fraction)
        #expect(unit("final_equity") == .money && unit("fees_paid") == .money && unit("avg_loss") == .money)
    }

    @Test("a direction ranks and judges changes its way")
    func directionRanksAndJudges() {
        #expect(MetricDirection.higher.ranksBefore(-0.1, -0.3))
        #expect(MetricDirection.lower.ranksBefore(3, 40))
        #expect(MetricDirection.neutral.ranksBefore(5, 2))
        #expect(MetricDirection.lower.judge(from: 40, to: 3) == .better)
        #expect(MetricDirection.higher.judge(from: -0.1, to: -0.3) == .worse)
        #expect(MetricDirection.neutral.judge(from: 2, to: 5) == .changed)
        #expect(MetricDirection.higher.judge(from: 1, to: .nan) == .changed)
        #expect(MetricDirection.higher.judge(from: 1, to: 1) == .same)
    }
}
