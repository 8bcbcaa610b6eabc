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
