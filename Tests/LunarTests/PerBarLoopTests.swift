import Foundation
import LunarData
import LunarScript
import LunarSim
import LunarTestSupport
import Testing
@testable import Lunar

/// The per-bar loop in C (`swl_barloop`): bars where the broker is quiet skip it and are valued
/// later; calls run unhooked until the watchdog arms them. Each shortcut against the path that
/// takes none: a hybrid strategy (signals that never fire) keeps its broker busy on every bar.
@Suite struct PerBarLoopTests {
    func options(threads: Int = 2, fill: String? = nil, stopLoss: String? = nil) throws -> BacktestOptions {
        var o = BacktestOptions()
        o.simulation.capital = 10_000
        o.simulation.fees = 0.001
        o.simulation.threads = threads
        o.stdlib = Fixtures.stdlib
        if let fill { try o.override(["fill": fill]) }
        if let stopLoss { try o.override(["stop_loss": stopLoss]) }
        return o
    }

    /// The same on_bar as a pure per-bar strategy and as a hybrid one whose vectorized
    /// signals never fire (its broker is never quiet, so no bar is skipped).
    func pair(_ onBar: String) -> (quiet: String, busy: String) {
        let dir = Fixtures.tempDir()
        let head = "local ta = require 'ta'\nreturn strategy {\n  indicators = function(bars, p) return { lo = ta.lowest(bars.low, 10), hi = ta.highest(bars.high, 10) } end,\n"
        let never = "  signals = function(bars, p) local no = bars.close:lt(0) return { entries = no, exits = no } end,\n"
        return (Fixtures.write(head + onBar + "\n}\n", "quiet.lua", in: dir),
                Fixtures.write(head + never + onBar + "\n}\n", "busy.lua", in: dir))
    }

    static let rules: [(String, String)] = [
        ("market orders reading the account", """
          on_bar = function(ctx, p)
            local s = ctx.state
            s.n = (s.n or 0) + 1
            if ctx.position == 0 and ctx.close > ctx.past.hi[1] and ctx.cash > 0 then ctx:buy()
            elseif ctx.position > 0 and (ctx.close < ctx.past.lo[1] or ctx.equity < 9000) then ctx:sell() end
            if s.n % 97 == 0 then assert(ctx.equity > 0 and ctx.entry_price ~= 0) end
          end,
        """),
        ("limit and stop orders, price exits", """
          on_bar = function(ctx, p)
            if ctx.position == 0 and ctx.bar % 40 == 3 then ctx:buy{ limit = ctx.close * 0.99, bars = 5 } end
            if ctx.position == 0 and ctx.bar % 40 == 23 then ctx:buy{ stop = ctx.close * 1.01 } end
            if ctx.position > 0 and ctx.bar % 40 == 13 then ctx:stop_loss(ctx.entry_price * 0.97); ctx:take_profit(ctx.entry_price * 1.05) end
            if ctx.position > 0 and ctx.bar % 40 == 33 then ctx:trailing_stop(0.04) end
            if ctx.position > 0 and ctx.bar % 40 == 39 then ctx:close_position() end
          end,
        """),
        ("shorts and partial sizes", """
          on_bar = function(ctx, p)
            if ctx.bar % 30 == 1 then ctx:short(5) elseif ctx.bar % 30 == 11 then ctx:cover(2)
            elseif ctx.bar % 30 == 21 then ctx:close_position() elseif ctx.bar % 30 == 25 then ctx:buy(3) end
          end,
        """),
    ]

    @Test("quiet bars skipped give the same trades, curves and metrics", arguments: rules.indices)
    func quietEqualsBusy(rule: Int) throws {
        let (quiet, busy) = pair(Self.rules[rule].1)
        // A tenth of the symbols go bankrupt and are delisted: their brokers are never quiet.
        let panel = Synthetic.panel(symbols: 13, bars: 500, seed: 31, bankrupt: 0.1)
        for o in [try options(), try options(threads: 1, fill: "next_open"), try options(stopLoss: "0.03")] {
            let a = try Backtest.run(strategyPath: quiet, panel: panel, options: o)
            let b = try Backtest.run(strategyPath: busy, panel: panel, options: o)
            #expect(!a.trades.isEmpty, "\(Self.rules[rule].0) should trade")
            #expect(a.trades == b.trades, "\(Self.rules[rule].0)")
            #expect(a.runs.map { $0.equity.map(\.bitPattern) } == b.runs.map { $0.equity.map(\.bitPattern) }, "\(Self.rules[rule].0)")
            #expect(sameMetrics(a.symbolMetrics + [a.portfolio], b.symbolMetrics + [b.portfolio]), "\(Self.rules[rule].0)")
        }
    }

    /// ctx's account fields on quiet bars are the broker's own values: a script that compares
    /// them with its own bookkeeping at every bar.
    @Test func accountFieldsOnQuietBars() throws {
        let (quiet, _) = pair("""
          on_bar = function(ctx, p)
            local s = ctx.state
            if s.last then
              local want = ctx.position == 0 and ctx.cash or ctx.cash + ctx.position * s.last
              if ctx.equity ~= want then error(('equity %.17g, expected %.17g'):format(ctx.equity, want)) end
            end
            s.last = ctx.close
            if ctx.position == 0 and ctx.bar % 25 == 0 then ctx:buy() elseif ctx.position > 0 and ctx.bar % 25 == 12 then ctx:sell() end
          end,
        """)
        let r = try Backtest.run(strategyPath: quiet, panel: Synthetic.panel(symbols: 4, bars: 400, seed: 5), options: try options())
        #expect(r.trades.count > 20)
    }

    @Test func aCaughtStopInALoopStillEnds() throws {
        let (quiet, _) = pair("""
          on_bar = function(ctx, p)
            if ctx.bar == 7 then while true do pcall(function() while true do end end) end end
          end,
        """)
        var o = try options()
        o.limits.instructions = 2_000_000
        #expect { try Backtest.run(strategyPath: quiet, panel: Synthetic.panel(symbols: 2, bars: 50, seed: 1), options: o) } throws: { e in
            "\(e)".contains("instruction limit exceeded") && "\(e)".contains("bar 7")
        }
    }

    /// A long call within its budget is not stopped: the watchdog only starts counting it.
    @Test func aLongCallWithinItsBudgetFinishes() throws {
        let (quiet, _) = pair("""
          on_bar = function(ctx, p)
            if ctx.bar == 3 then local x = 0; for i = 1, 3000000 do x = x + i end; ctx.state.x = x end
            if ctx.bar == 4 and ctx.state.x ~= 4500001500000 then error('wrong sum') end
          end,
        """)
        var o = try options(threads: 1)
        o.limits.instructions = 50_000_000
        _ = try Backtest.run(strategyPath: quiet, panel: Synthetic.panel(symbols: 1, bars: 10, seed: 1), options: o)
    }

    /// `ctx.past.x[k]` read on every bar is written into the proxy (swl_pastwindow) after its
    /// first 64 bars: the values stay those of the bars k back, for numbers and bools, across
    /// NaN gaps; and a raw key a script puts into a proxy does not reach the next symbol.
    @Test func pastReadsOnEveryBarKeepTheirValues() throws {
        let (quiet, _) = pair("""
          on_bar = function(ctx, p)
            local s = ctx.state
            s.closes = s.closes or {}
            s.ups = s.ups or {}
            local n = #s.closes
            for _, k in ipairs({ 0, 1, 3 }) do
              local want = k == 0 and ctx.close or s.closes[n - k + 1]
              local got = ctx.past.close[k]
              if want == nil then assert(got ~= got, 'before the first bar: NaN') 
              elseif got ~= want and not (got ~= got and want ~= want) then error(('close[%d] = %s, expected %s at bar %d'):format(k, got, want, ctx.bar)) end
            end
            local up = ctx.close > ctx.past.hi[1]
            if ctx.past.lo[2] ~= ctx.past.lo[2] and ctx.bar > 40 then s.gap = true end
            s.closes[n + 1] = ctx.close
            if ctx.symbol == 'S0000' and ctx.bar == 100 then rawset(ctx.past.close, 7, 999) end
            if ctx.symbol ~= 'S0000' and ctx.bar == 0 then assert(rawget(ctx.past.close, 7) == nil, 'a raw key leaked') end
            if up and ctx.position == 0 then ctx:buy() elseif not up and ctx.position > 0 then ctx:sell() end
          end,
        """)
        var o = try options(threads: 1)
        o.keepGoing = false
        let r = try Backtest.run(strategyPath: quiet, panel: Synthetic.panel(symbols: 5, bars: 400, seed: 9, bankrupt: 0.2), options: o)
        #expect(!r.trades.isEmpty)
    }
}

