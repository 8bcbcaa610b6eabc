import Foundation
import LunarData
import LunarReport
import LunarSim
import Testing

@Suite struct HTMLReportTests {
    static func report(name: String) throws -> RunReport {
        let T = 70
        let ts = (0 ..< T).map { Int64(1_577_836_800) + Int64($0) * 86_400 }
        let close = (0 ..< T).map { 100 + Double($0) }
        let panel = try Panel(symbols: ["A<b>"], timestamps: ts,
                              fields: ["open": close, "high": close, "low": close, "close": close, "volume": close])
        let equity = close.map { $0 * 10 }
        let trade = Trade(symbol: 0, entryBar: 1, exitBar: 40, entryPrice: 101, exitPrice: 140, size: 10, entryFees: 0,
                          exitFees: 0, pnl: 390, returnFraction: 390 / 1010.0, isOpen: false, exitReason: .takeProfit)
        let m = Metrics.compute(equity: equity, initial: 1000, trades: [trade], barsPerYear: 252, benchmark: close)
        return RunReport(strategyName: name, strategyPath: "x.lua", params: [("n", "3")], panel: panel, equity: equity,
                         portfolio: m, symbolMetrics: [m], trades: [trade], symbolEquity: [equity],
                         benchmark: close.map { $0 * 10 }, benchmarkName: "bench", settings: "independent")
    }

    @Test func escapesTextAndStaysSelfContained() throws {
        let html = HTMLReport.render(try Self.report(name: "<script>alert(1)</script>"))
        #expect(!html.contains("<script>alert"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("A&lt;b&gt;"))
        #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("src="))
        #expect(html.components(separatedBy: "<svg").count == 3)   // equity and drawdown
        #expect(html.contains(">tp<"))
        // Monthly heatmap: Jan, Feb and Mar of 2020 from 70 daily bars.
        #expect(html.contains("<th>2020</th>"))
    }

    @Test func consoleSummaryFitsHundredColumns() throws {
        var long = try Self.report(name: String(repeating: "n", count: 120))
        long.params = (0 ..< 30).map { ("parameter\($0)", "\($0 * 1000)") }
        long.settings = String(repeating: "setting, ", count: 20)
        let text = ConsoleSummary.render(long, elapsed: 0.01)
        #expect(text.split(separator: "\n").allSatisfy { $0.count <= 100 })
        #expect(text.contains("Sortino") && text.contains("Profit factor") && text.contains("Beta"))
        #expect(text.contains("parameter29=29000"))   // wrapped, not cut
    }
}

/// report.html's per-symbol price charts: every symbol's data embedded, compactly and safely.
@Suite struct PriceChartDataTests {
    @Test func everySymbolsPricesTradesAndPositionAreEmbedded() throws {
        let r = try HTMLReportTests.report(name: "s")
        let html = HTMLReport.render(r)
        let start = try #require(html.range(of: "<script type=\"application/json\" id=\"lunar-prices\">"))
        let end = try #require(html.range(of: "</script>", range: start.upperBound ..< html.endIndex))
        let json = String(html[start.upperBound ..< end.lowerBound])
        // A symbol named with markup cannot close the element: `<` is escaped inside the JSON.
        #expect(!json.contains("<") && json.contains("A\\u003cb>"))
        let data = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let symbols = try #require(data["symbols"] as? [[String: Any]])
        #expect(symbols.count == 1 && symbols[0]["symbol"] as? String == "A<b>" && (data["dates"] as? [String])?.count == 70)
        // Closes as base64 Float32: 70 values, 4 bytes each, equal to the data at float precision.
        let base64 = try #require(symbols[0]["close"] as? String)
        let packed = try #require(Data(base64Encoded: base64))
        let closes = packed.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        #expect(closes.count == 70 && closes[5] == Float(105))
        let trades = try #require(symbols[0]["trades"] as? [[String: Any]])
        #expect(trades.count == 1 && trades[0]["entry"] as? Int == 1 && trades[0]["exit"] as? Int == 40)
        // Held from the entry bar to the bar before the exit.
        let position = try #require(symbols[0]["position"] as? [Double])
        #expect(position[0] == 0 && position[1] == 10 && position[39] == 10 && position[40] == 0)
        // The chart scripts are inline: the file needs no network.
        for name in ChartScripts.names { #expect(html.contains(ChartScripts.source(name))) }
        #expect(!html.contains("src=\"http"))
    }
}
