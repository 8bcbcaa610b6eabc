import Foundation
import LunarData
import LunarEngine
import LunarGraph
import LunarScript
import LunarSim
import LunarTestSupport
import Testing
@testable import Lunar

/// Timeframes from a strategy file through every entry point: the DSL builds the same graph as
/// the Swift builder, signals and ctx see aligned values, sessions and flat_at act on the run,
/// and bad timeframes are clear errors at the user's line.
@Suite struct TimeframeStrategyTests {
    static func options(threads: Int = 2) -> BacktestOptions {
        var o = BacktestOptions()
        o.stdlib = Fixtures.stdlib
        o.simulation.threads = threads
        return o
    }

    static func strategy(_ body: String, name: String = "mtf.lua") -> String {
        Fixtures.write("local ta = require 'ta'\nreturn strategy {\n\(body)\n}\n", name, in: Fixtures.tempDir())
    }

    /// Daily SMA cross entries filtered by a 10-week SMA trend: W8's strategy.
    static let weeklyTrend = Fixtures.path("bench/workloads/w8_weekly_trend.lua")

    @Test func theDSLBuildsWhatTheSwiftBuilderBuilds() throws {
        let panel = Synthetic.panel(symbols: 6, bars: 500, seed: 3)
        let lua = try ExpressionEval.run("""
            local w = bars:timeframe("1W")
            return ta.sma(w.close, 4), w.high, bars:timeframe("1M").volume, close - w.close
            """, panel: panel, stdlib: Fixtures.stdlib)
        let g = Graph()
        let view = try panel.runView(prices: .split)
        let wclose = try g.resample(g.field("close"), to: .week)
        let nodes = [g.aligned(try g.primitive("sma", inputs: [wclose], params: [4])[0]),
                     g.aligned(try g.resample(g.field("high"), to: .week)),
                     g.aligned(try g.resample(g.field("volume"), to: .month)),
                     try g.binary(.sub, g.field("close"), wclose)]
        let swift = try NaiveEvaluator(panel: view).evaluate(g, outputs: nodes)
        for (k, id) in nodes.enumerated() {
            // The fused engine's running-sum SMA rounds differently from the naive window sums.
            let a = lua.columns[k].values, b = swift[id]!
            let m = a.indices.first { !(abs(a[$0] - b[$0]) <= 1e-12 * abs(b[$0]) || (a[$0].isNaN && b[$0].isNaN)) }
            #expect(m == nil, "column \(k) at \(m ?? -1): \(m.map { "\(a[$0]) vs \(b[$0])" } ?? "")")
        }
        // The first week's high appears only at its last bar, never while the week forms.
        let r = try view.resampling(.week)
        let forming = lua.columns[1].values[..<(r.ends[0] - 1)]
        #expect(forming.allSatisfy { $0.isNaN })
        #expect(!lua.columns[1].values[r.ends[0] - 1].isNaN)
    }

    @Test func aWeeklyTrendFilterRunsTheSameOnBothEnginesAndChangesTheTrades() throws {
        let panel = Synthetic.panel(symbols: 20, bars: 800, seed: 8)
        let path = Self.weeklyTrend
        var o = Self.options()
        let fused = try Backtest.run(strategyPath: path, panel: panel, options: o)
        o.engine = .naive
        let naive = try Backtest.run(strategyPath: path, panel: panel, options: o)
        #expect(fused.trades == naive.trades && fused.equity == naive.equity)
        let plain = try Backtest.run(strategyPath: Fixtures.path("strategies/sma_cross.lua"), panel: panel, options: Self.options())
        #expect(fused.trades.count > 20 && fused.trades.count < plain.trades.count)
        // Every filtered entry is an unfiltered one (the filter only removes).
        let plainEntries = Set(plain.trades.map { "\($0.symbol)/\($0.entryBar)" })
        #expect(fused.trades.allSatisfy { plainEntries.contains("\($0.symbol)/\($0.entryBar)") })
    }

    @Test func explainShowsTheClocksAndWhereAlignmentHappens() throws {
        let text = try Backtest.explain(strategyPath: Self.weeklyTrend, panel: Synthetic.panel(symbols: 8, bars: 400, seed: 1))
        #expect(text.contains("clocks: base 400 bars; 1W "))
        #expect(text.contains("@1W (") && text.contains("align(") && text.contains("last complete 1W"))
    }

    @Test func perBarStrategiesReadCoarseIndicatorsThroughCtx() throws {
        // The same rule on both paths: long while the daily close is above last complete
        // week's close and that weekly value rose from the bar before (ctx.past).
        let panel = Synthetic.panel(symbols: 10, bars: 600, seed: 4)
        let vectorized = Self.strategy("""
            signals = function(bars)
              local wk = bars:timeframe("1W").close
              return { entries = bars.close:gt(wk), exits = bars.close:lt(wk) }
            end,
            """, name: "vec.lua")
        let perBar = Self.strategy("""
            indicators = function(bars) return { wk = bars:timeframe("1W").close } end,
            on_bar = function(ctx)
              local wk = ctx.wk
              if wk ~= wk then return end
              if ctx.position == 0 and ctx.close > wk then ctx:buy()
              elseif ctx.position > 0 and ctx.close < wk then ctx:sell() end
              assert(ctx.past.wk[0] == wk or wk ~= wk)
            end,
            """, name: "bar.lua")
        let a = try Backtest.run(strategyPath: vectorized, panel: panel, options: Self.options())
        let b = try Backtest.run(strategyPath: perBar, panel: panel, options: Self.options())
        #expect(a.trades.count > 10)
        #expect(a.trades == b.trades && a.equity == b.equity)
    }

    @Test func sweepsAndWalkForwardRunMultiTimeframeStrategies() throws {
        let panel = Synthetic.panel(symbols: 8, bars: 700, seed: 9)
        let path = Self.weeklyTrend
        var request = SweepRequest(space: [try ParamSpace.parse("trend=4,10"), try ParamSpace.parse("fast=5,10")])
        request.metric = "total_return"
        let sweep = try Sweep.run(strategyPath: path, panel: panel, options: Self.options(), request: request)
        #expect(sweep.rows.count == 4)
        for row in sweep.rows {
            var o = Self.options()
            o.params = Dictionary(uniqueKeysWithValues: row.params.map { ($0.name, $0.value) })
            let single = try Backtest.run(strategyPath: path, panel: panel, options: o)
            #expect(single.equity == row.equity, "\(row.params)")
        }
        let wf = try WalkForward.run(strategyPath: path, panel: panel, options: Self.options(),
                                     request: WalkForwardRequest(sweep: request, train: 300, test: 100))
        #expect(wf.windows.count == 4 && wf.equity.count == 400)
    }

    @Test func badTimeframesAreErrorsAtTheUsersLine() throws {
        let panel = Synthetic.panel(symbols: 2, bars: 100, seed: 1)
        func error(_ signals: String) -> String {
            let path = Self.strategy("signals = function(bars)\n  \(signals)\n  return { entries = bars.close:gt(1) }\nend,", name: "bad.lua")
            do { _ = try Backtest.run(strategyPath: path, panel: panel, options: Self.options()); return "no error" } catch { return "\(error)" }
        }
        let unknown = error("local w = bars:timeframe('1w')")
        #expect(unknown.contains("bad.lua:4") && unknown.contains("did you mean '1W'"), "\(unknown)")
        let dot = error("local w = bars.timeframe('1W')")
        #expect(dot.contains("bad.lua:4") && dot.contains("colon"), "\(dot)")
        let nested = error("local w = bars:timeframe('1W'):timeframe('1M')")
        #expect(nested.contains("bad.lua:4") && nested.contains("already a timeframe"), "\(nested)")
        let field = error("local w = bars:timeframe('1W').clsoe")
        #expect(field.contains("bad.lua:4") && field.contains("did you mean 'close'"), "\(field)")
        let intraday = error("local w = bars:timeframe('1h').close:gt(1)\n  if true then return { entries = w } end")
        #expect(intraday.contains("timeframe 1h needs intraday data"), "\(intraday)")
        let anchor = error("local v = ta.vwap(bars.high, bars.low, bars.close, bars.volume, '1d')")
        #expect(anchor.contains("bad.lua:4") && anchor.contains("ta.vwap") && anchor.contains("did you mean '1D'"), "\(anchor)")
    }

    // MARK: - intraday

    static var ny: TradingHours { TradingHours(timezone: Intraday.timezone, session: SessionHours(Intraday.session)) }

    @Test func timeOfDayDayOfWeekAndSessionVWAPByHand() throws {
        let panel = Intraday.panel(symbols: 2, days: 8)
        let r = try ExpressionEval.run("""
            return bars.time_of_day, bars.day_of_week, ta.vwap(high, low, close, volume), ta.vwap(high, low, close, volume, "1W")
            """, panel: panel, stdlib: Fixtures.stdlib, hours: Self.ny)
        let view = r.panel, T = view.barCount
        #expect(T == 8 * 13)                                       // 13 regular-hours bars a day
        let local = Self.ny.localSeconds(view.timestamps, daily: false)
        for s in 0 ..< 2 {
            var pv = 0.0, v = 0.0, wpv = 0.0, wv = 0.0
            for t in 0 ..< T {
                let day = (local[t] / 86_400)
                #expect(r.columns[0].values[s * T + t] == Double((local[t] - day * 86_400) / 60))
                #expect(r.columns[1].values[s * T + t] == Double(Calendar.weekday(days: day) + 1))
                if t == 0 || (local[t - 1] / 86_400) != day { pv = 0; v = 0 }
                if t == 0 || Calendar.weekday(days: day) < Calendar.weekday(days: (local[t - 1] / 86_400)) { wpv = 0; wv = 0 }
                let i = s * T + t
                let tp = (view.values("high")![i] + view.values("low")![i] + view.values("close")![i]) / 3
                pv += tp * view.values("volume")![i]; v += view.values("volume")![i]
                wpv += tp * view.values("volume")![i]; wv += view.values("volume")![i]
                #expect(abs(r.columns[2].values[i] - pv / v) <= 1e-12 * pv / v, "vwap s\(s) t\(t)")
                #expect(abs(r.columns[3].values[i] - wpv / wv) <= 1e-12 * wpv / wv, "weekly vwap s\(s) t\(t)")
            }
        }
        #expect(r.columns[0].values[0] == 570 && r.columns[0].values[12] == 930)   // 09:30 … 15:30 local
    }

    @Test func flatAtSessionEndClosesEveryPositionAtEachSessionsLastBar() throws {
        let panel = Intraday.panel(symbols: 3, days: 10)
        let path = Self.strategy("""
            timezone = "America/New_York", session = "09:30-16:00", flat_at = "session_end",
            signals = function(bars) return { entries = bars.time_of_day:ge(600), exits = bars.close:lt(0) } end,
            """)
        let result = try Backtest.run(strategyPath: path, panel: panel, options: Self.options())
        let view = result.panel
        #expect(view.barCount == 10 * 13)
        let local = Self.ny.localSeconds(view.timestamps, daily: false)
        #expect(result.trades.count == 3 * 10)
        for trade in result.trades {
            #expect(trade.exitReason == .sessionEnd, "\(trade)")
            #expect(local[trade.exitBar] % 86_400 == 15 * 3600 + 1800)           // the 15:30 bar
            #expect((local[trade.entryBar] / 86_400) == (local[trade.exitBar] / 86_400))
            #expect(local[trade.entryBar] % 86_400 == 10 * 3600)                 // re-entered at 10:00 each day
        }
        // On daily data the option is an error, not silently ignored.
        let daily = #expect(throws: (any Error).self) {
            try Backtest.run(strategyPath: Fixtures.path("strategies/sma_cross.lua"), panel: Synthetic.panel(symbols: 2, bars: 100, seed: 1),
                             options: { var o = Self.options(); try! o.override(["flat_at": "session_end"]); return o }())
        }
        #expect("\(daily!)".contains("needs intraday data"))
    }

    @Test(arguments: ["per_bar", "shared"])
    func flatAtSessionEndActsOnEveryPath(_ kind: String) throws {
        let panel = Intraday.panel(symbols: 3, days: 6)
        let body = kind == "per_bar"
            ? "on_bar = function(ctx) if ctx.position == 0 and ctx.time_of_day >= 600 then ctx:buy() end end,"
            : "rebalance = \"every\", signals = function(bars) return { weight = ta.where(bars.time_of_day:ge(600), 0.3, 0) } end,"
        let path = Self.strategy("""
            timezone = "America/New_York", session = "09:30-16:00", flat_at = "session_end",
            indicators = function(bars) return { time_of_day = bars.time_of_day } end,
            \(body)
            """.replacingOccurrences(of: kind == "shared" ? "indicators = function(bars) return { time_of_day = bars.time_of_day } end,\n" : "@@", with: ""))
        let result = try Backtest.run(strategyPath: path, panel: panel, options: Self.options())
        let local = Self.ny.localSeconds(result.panel.timestamps, daily: false)
        #expect(result.trades.count >= 3 * 5)
        for trade in result.trades {
            #expect(trade.exitReason == .sessionEnd, "\(kind): \(trade)")
            #expect(local[trade.exitBar] / 86_400 == local[trade.entryBar] / 86_400, "\(kind): held overnight")
        }
    }

    @Test func hourlySignalsConfirmedByTheLastCompleteSession() throws {
        // Entries need the hourly close above the previous complete session's close: no entry on
        // a session's first hour can see that same session's close.
        let panel = Intraday.panel(symbols: 3, days: 12)
        let path = Self.strategy("""
            timezone = "America/New_York", session = "09:30-16:00",
            indicators = function(bars) return { prev_day = bars:timeframe("1D").close } end,
            signals = function(bars)
              local day = bars:timeframe("1D").close
              return { entries = bars:timeframe("1h").close:gt(day), exits = bars.close:lt(day) }
            end,
            """)
        let result = try Backtest.run(strategyPath: path, panel: panel, options: Self.options())
        let view = result.panel
        let r = try view.resampling(.day)
        let closes = view.values("close")!, T = view.barCount
        #expect(result.trades.count > 5)
        for trade in result.trades {
            let done = Int(r.completed[trade.entryBar])
            #expect(done >= 1)
            // The day the entry compared with is the last one complete at the entry bar's close.
            let p = done - 1
            let dayClose = (r.starts[p] ..< r.ends[p]).reversed().map { closes[trade.symbol * T + $0] }.first { !$0.isNaN }!
            #expect(r.ends[p] - 1 <= trade.entryBar && dayClose < closes[trade.symbol * T + trade.entryBar] + 10)
        }
    }
}
