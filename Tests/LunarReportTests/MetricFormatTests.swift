import Foundation
import LunarData
import LunarSim
import Testing
@testable import LunarReport

/// Every report shows a metric in its unit and judges a change in the metric's direction.
@Suite struct MetricFormatTests {
    /// The watch loop figures: Sortino 4.2093, 2350 closed trades, 349 bars of drawdown.
    static func metrics() -> Metrics {
        var m = Metrics()
        m.totalReturn = 0.1234; m.sharpe = 1.5; m.sortino = 4.2093; m.volatility = 0.2
        m.maxDrawdown = -0.25; m.maxDrawdownBars = 349; m.trades = 2351; m.closedTrades = 2350; m.openTrades = 1
        m.finalEquity = 112_340.5; m.feesPaid = 12.5; m.profitFactor = .infinity
        return m
    }

    static let green = "\u{1B}[32m", red = "\u{1B}[31m"

    /// The table's line for `key`.
    static func line(_ table: String, _ key: String) throws -> String {
        try #require(table.split(separator: "\n").map(String.init).first { $0.hasPrefix(key + " ") })
    }

    @Test("each unit has its own text")
    func units() {
        #expect(MetricFormat.text("sortino", 4.2093) == "4.209")
        #expect(MetricFormat.text("closed_trades", 2350) == "2350")
        #expect(MetricFormat.text("max_drawdown_bars", 349) == "349 bars")
        #expect(MetricFormat.text("max_drawdown_bars", 1) == "1 bar")
        #expect(MetricFormat.text("max_drawdown", -0.25) == "-25.00 %")
        #expect(MetricFormat.text("final_equity", 112_340.5) == "112340.50")
        #expect(MetricFormat.text("profit_factor", .infinity) == "∞")
        #expect(MetricFormat.text("sharpe", .nan) == "n/a")
        #expect(MetricFormat.text("best_trade", 0.123, digits: 0) == "12 %")
        #expect(MetricFormat.mean("trades", 12.25) == "12.3")
        #expect(MetricFormat.ranking("max_drawdown_bars") == "smaller is better")
        #expect(MetricFormat.ranking("trades").hasPrefix("neither"))
    }

    @Test("watch prints sortino as a ratio, closed_trades as an integer and max_drawdown_bars in bars")
    func comparisonTableUnits() throws {
        let table = ComparisonTable.render(current: Self.metrics(), previous: nil, color: false)
        #expect(try Self.line(table, "sortino").hasSuffix(" 4.209"))
        #expect(try Self.line(table, "closed_trades").hasSuffix(" 2350"))
        #expect(try Self.line(table, "max_drawdown_bars").hasSuffix(" 349 bars"))
        #expect(try Self.line(table, "total_return").hasSuffix(" 12.34 %"))
        #expect(try Self.line(table, "final_equity").hasSuffix(" 112340.50"))
        #expect(!table.contains("420.93 %") && !table.contains("235000.00 %") && !table.contains("34900.00 %"))
        #expect(table.split(separator: "\n").count == Metrics.names.count + 1)
    }

    @Test("watch colours a change by the metric's own direction; a neutral change stays plain")
    func comparisonTableColours() throws {
        let before = Self.metrics()
        var now = before
        now.maxDrawdownBars = 300      // fewer bars under water: better
        now.maxDrawdown = -0.30        // deeper: worse
        now.volatility = 0.15          // calmer: better
        now.feesPaid = 20              // dearer: worse
        now.sharpe = 1.2               // worse
        now.closedTrades = 2400        // neither
        let table = ComparisonTable.render(current: now, previous: before, color: true)
        #expect(try Self.line(table, "max_drawdown_bars").contains(Self.green + "↓ 49 bars"))
        #expect(try Self.line(table, "max_drawdown").contains(Self.red + "↓ 5.00 %"))
        #expect(try Self.line(table, "volatility").contains(Self.green + "↓ 5.00 %"))
        #expect(try Self.line(table, "fees_paid").contains(Self.red + "↑ 7.50"))
        #expect(try Self.line(table, "sharpe").contains(Self.red + "↓ 0.300"))
        let closed = try Self.line(table, "closed_trades")
        #expect(closed.hasSuffix("↑ 50") && !closed.contains("\u{1B}["))
        #expect(try Self.line(table, "sortino").hasSuffix("  ="))
        let plain = ComparisonTable.render(current: now, previous: before, color: false)
        #expect(!plain.contains("\u{1B}["))
    }

    @Test("summary.json keeps its keys, in order, with counts and bars as integers")
    func summaryJSON() throws {
        let panel = try Panel(symbols: ["A"], timestamps: [0], fields: ["open": [1], "high": [1], "low": [1], "close": [1], "volume": [1]])
        let m = Self.metrics()
        let report = RunReport(strategyName: "s", strategyPath: "s.lua", params: [], panel: panel, equity: [1],
                               portfolio: m, symbolMetrics: [m], trades: [], symbolEquity: [[1]])
        let text = ResultWriter.summaryJSON(report)
        let keys = text.split(separator: "\n").compactMap { line -> String? in
            guard let q = line.firstIndex(of: "\""), let e = line[line.index(after: q)...].firstIndex(of: "\"") else { return nil }
            return String(line[line.index(after: q) ..< e])
        }
        #expect(Array(keys.drop { $0 != "total_return" }) == Metrics.names)
        #expect(text.contains("\"max_drawdown_bars\": 349,") && text.contains("\"closed_trades\": 2350,"))
        #expect(text.contains("\"trades\": 2351,") && text.contains("\"open_trades\": 1,"))
        #expect(text.contains("\"sortino\": 4.2093,") && text.contains("\"cagr\": null,") && text.contains("\"profit_factor\": null,"))
        let obj = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        #expect(obj["max_drawdown_bars"] as? Int == 349)
    }

    @Test("the sweep page shows metrics in their units and colours the heatmap by direction")
    func sweepTable() {
        var a = Self.metrics(), b = Self.metrics()
        a.maxDrawdownBars = 10; b.maxDrawdownBars = 90
        let rows: [(params: [String], metrics: Metrics)] = [(["1", "2"], a), (["1", "3"], b)]
        let html = SweepTable(strategy: "s", metric: "max_drawdown_bars", paramNames: ["x", "y"], rows: rows).html()
        #expect(html.contains("(smaller is better). Best: x=1, y=2 (max_drawdown_bars 10 bars)"))
        #expect(html.contains(">4.209</td>") && html.contains(">2350</td>") && html.contains(">-25.00 %</td>"))
        // The smallest drawdown is the green end, the largest the red.
        #expect(html.contains("background:rgb(0,200,0)\" title=\"x=1 y=2: 10 bars\""))
        #expect(html.contains("background:rgb(255,0,0)\" title=\"x=1 y=3: 90 bars\""))
    }
}
