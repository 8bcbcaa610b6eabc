import Foundation
import Lunar
import LunarTestSupport
import Testing
@testable import LunarWeb

/// What the live page's event stream carries (the page itself is driven in a real browser by
/// BrowserTests).
@Suite struct LiveStateTests {
    func run(_ params: [String: String] = [:]) throws -> BacktestResult {
        var o = BacktestOptions()
        o.stdlib = Fixtures.stdlib
        o.params = params
        return try Backtest.run(strategyPath: Fixtures.path("strategies/sma_cross.lua"), panel: Synthetic.panel(symbols: 4, bars: 300, seed: 2), options: o)
    }

    /// The first `n` messages of a stream, waiting at most a few seconds.
    func first(_ n: Int, of stream: AsyncStream<String>) async -> [String] {
        var out: [String] = []
        for await m in stream {
            out.append(m)
            if out.count == n { break }
        }
        return out
    }

    @Test func aPageGetsTheCurrentStateThenEveryChange() async throws {
        let live = LiveState()
        let a = try run(), b = try run(["fast": "5"])
        live.publish(.result(a, previous: nil, changed: [], seconds: 0.01))
        live.publish(.failure("s.lua:3: unexpected symbol", changed: ["/x/s.lua"]))
        // A page that connects now sees the last good result and the error after it.
        let stream = live.subscribe()
        live.publish(.result(b, previous: a, changed: ["/x/s.lua"], seconds: 0.02))
        let messages = await first(3, of: stream)
        #expect(messages.count == 3)
        #expect(messages[0].hasPrefix("event: result\ndata: {") && messages[0].hasSuffix("}\n\n") && messages[0].contains("\"run\":1"))
        #expect(messages[1].hasPrefix("event: failure\ndata: ") && messages[1].contains("s.lua:3: unexpected symbol"))
        #expect(messages[2].contains("\"run\":2") && messages[2].contains("\"changed\":[\"s.lua\"]"))
        // Each message is one SSE event: a single data line.
        #expect(messages.allSatisfy { $0.components(separatedBy: "\n").filter { $0.hasPrefix("data: ") }.count == 1 })
        // The good run cleared the error: a new page gets the result alone.
        let later = await first(1, of: live.subscribe())
        #expect(later.count == 1 && later[0].contains("\"run\":2"))
    }

    @Test func theResultCarriesCardsWithTheirChangeAndTheReportsFragments() throws {
        let a = try run(), b = try run(["fast": "5"])
        let payload = LivePayload.result(b, previous: a, run: 2, changed: [], seconds: 0)
        let cards = try #require(payload["cards"] as? [[String: Any]])
        let total = try #require(cards.first { $0["key"] as? String == "total_return" })
        #expect(total["text"] as? String == MetricFormat.text("total_return", b.portfolio.totalReturn))
        #expect(total["previous"] as? String == MetricFormat.text("total_return", a.portfolio.totalReturn))
        #expect(total["change"] as? String == (b.portfolio.totalReturn > a.portfolio.totalReturn ? "better" : "worse"))
        let fragments = HTMLReport.fragments(b.report)
        #expect(payload["equity"] as? String == fragments.equity && payload["months"] as? String == fragments.months)
        let rows = try #require((payload["table"] as? [String: Any])?["rows"] as? [[Any]])
        #expect(rows.count == 4 && rows[0][0] as? String == "S0000")
        // Sliders: no declared range here, so a span around the default.
        let fast = try #require((payload["params"] as? [[String: Any]])?.first { $0["name"] as? String == "fast" })
        #expect(fast["value"] as? String == "5" && fast["declared"] as? Bool == false && fast["kind"] as? String == "number")
    }

    @Test func symbolChartsCarryPricesTradesPositionAndIndicators() throws {
        let live = LiveState()
        #expect(try live.symbolJSON(0) == nil)   // nothing before the first run
        var o = BacktestOptions()
        o.stdlib = Fixtures.stdlib
        let r = try Backtest.run(strategyPath: Fixtures.path("strategies/trailing_breakout.lua"), panel: Synthetic.panel(symbols: 3, bars: 300, seed: 4), options: o)
        live.publish(.result(r, previous: nil, changed: [], seconds: 0))
        let json = try #require(try live.symbolJSON(1))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["symbol"] as? String == "S0001" && (object["close"] as? [Any])?.count == 300)
        let trades = try #require(object["trades"] as? [[String: Any]])
        #expect(trades.count == r.trades.filter { $0.symbol == 1 }.count)
        let indicators = try #require(object["indicators"] as? [[String: Any]])
        #expect(indicators.map { $0["name"] as? String } == r.strategy.indicators.map(\.name))
        // The position is held from each entry bar up to its exit.
        let position = try #require(object["position"] as? [Double])
        if let t = r.trades.first(where: { $0.symbol == 1 && !$0.isOpen && $0.exitBar > $0.entryBar }) {
            #expect(position[t.entryBar] != 0 && position[t.exitBar] == 0)
        }
        #expect(try live.symbolJSON(3) == nil && live.symbolJSON(-1) == nil)
    }
}
