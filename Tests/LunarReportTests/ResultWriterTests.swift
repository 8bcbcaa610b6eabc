import Foundation
import LunarData
import LunarSim
import Testing
@testable import LunarReport

@Suite struct ResultWriterTests {
    func report() throws -> RunReport {
        let panel = try Panel(symbols: ["A", "B,C"], timestamps: [0, 86_400],
                              fields: ["open": [1, 2, 3, 4], "high": [1, 2, 3, 4], "low": [1, 2, 3, 4],
                                       "close": [1, 2, 3, 4], "volume": [1, 1, 1, 1]])
        // A real run of symbol "B,C": buy 2 at 3 on the first bar, sell at 4 on the second.
        var run = try Simulator.run(close: [3.0, 4], entries: [1.0, 0], exits: [0.0, 1], symbols: 1, bars: 2,
                                options: .init(capital: 6, fees: 0, threads: 1))[0]
        run.trades[0].symbol = 1
        let t = run.trades[0]
        var m = Metrics.compute(equity: [100, 150], initial: 100, trades: run.trades, barsPerYear: 252)
        m.cagr = .nan
        return RunReport(strategyName: "x\"y", strategyPath: "s.lua", params: [("n", "5")], panel: panel,
                         equity: [100, 150], portfolio: m, symbolMetrics: [m, m], trades: [t], symbolEquity: [[50, 75], [50, 75]])
    }

    @Test func summaryIsValidJSONWithSnakeCaseKeys() throws {
        let text = ResultWriter.summaryJSON(try report())
        let obj = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        for key in ["total_return", "cagr", "volatility", "sharpe", "max_drawdown", "trades", "win_rate", "final_equity"] {
            #expect(obj[key] != nil, "missing \(key)")
        }
        #expect(obj["cagr"] is NSNull)              // NaN becomes null
        #expect(obj["strategy"] as? String == "x\"y")
        #expect(obj["trades"] as? Int == 1)
    }

    @Test func writesAllFilesWithQuotedSymbols() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rw-\(UUID())").path
        try ResultWriter.write(try report(), to: dir)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(names == ["equity.csv", "report.html", "summary.json", "symbols.csv", "trades.csv"])
        let trades = try String(contentsOfFile: dir + "/trades.csv", encoding: .utf8)
        #expect(trades.contains("\"B,C\",closed,long,1970-01-01,1970-01-02,0,1,3,4,2,0,0,2,"))
        let equity = try String(contentsOfFile: dir + "/equity.csv", encoding: .utf8)
        #expect(equity.hasPrefix("date,portfolio,A,\"B,C\"\n1970-01-01,100,50,50\n"))
    }
}
