import Foundation
import LunarData
import LunarScript
import LunarSim
import LunarTestSupport
import Testing
@testable import Lunar

@Suite struct PerBarTests {
    func options(capital: Double = 1000, fees: Double = 0, threads: Int = 2, keepGoing: Bool = false) -> BacktestOptions {
        var o = BacktestOptions()
        o.simulation.capital = capital
        o.simulation.fees = fees
        o.simulation.threads = threads
        o.stdlib = Fixtures.stdlib
        o.keepGoing = keepGoing
        return o
    }

    func strategy(_ body: String, params: String = "{}") -> String {
        let dir = Fixtures.tempDir()
        return Fixtures.write("local ta = require 'ta'\nreturn strategy { params = \(params),\n\(body)\n}\n", "bar.lua", in: dir)
    }

    /// A panel with explicit OHLC per bar (one symbol).
    func ohlc(_ rows: [(Double, Double, Double, Double)]) -> Panel {
        let days = Calendar.daysFromCivil(2021, 1, 4)
        return try! Panel(symbols: ["X"], timestamps: rows.indices.map { (days + Int64($0)) * 86_400 },
                          fields: ["open": rows.map(\.0), "high": rows.map(\.1), "low": rows.map(\.2), "close": rows.map(\.3),
                                   "volume": rows.map { _ in 1 }])
    }

    /// The bar-by-bar sma_cross gives exactly the vectorized one's trades and equity.
    @Test func barByBarEqualsVectorized() throws {
        let panel = Synthetic.panel(symbols: 30, bars: 800, seed: 21)
        var o = options(capital: 30_000, fees: 0.001)
        let vec = try Backtest.run(strategyPath: Fixtures.path("strategies/sma_cross.lua"), panel: panel, options: o)
        let bar = try Backtest.run(strategyPath: Fixtures.path("strategies/sma_cross_bar.lua"), panel: panel, options: o)
        #expect(vec.trades.count > 100)
        #expect(bar.trades.count == vec.trades.count)
        let mismatch = bar.trades.indices.first { $0 < vec.trades.count && bar.trades[$0] != vec.trades[$0] }
        #expect(mismatch == nil, "first differing trade: \(mismatch.map { "\(bar.trades[$0]) vs \(vec.trades[$0])" } ?? "")")
        #expect(bar.equity == vec.equity)
        o.simulation.threads = 1
        let one = try Backtest.run(strategyPath: Fixtures.path("strategies/sma_cross_bar.lua"), panel: panel, options: o)
        #expect(one.equity == bar.equity && one.trades == bar.trades)   // any thread count, same bits
    }

    /// ctx fields the strategy's source never names are not set on every bar but served when
    /// read (through a computed key, or by a library's function): the same values, bar by bar
    /// and after an order fills, as fields set on every bar.
    @Test func fieldsTheSourceNeverNamesAreServedWhenRead() throws {
        let panel = Synthetic.panel(symbols: 3, bars: 120, seed: 4)
        // Reads every field through computed keys only; the names appear in the source as
        // pieces, never whole, so none is set on every bar.
        // The same decisions read through computed keys (names never whole in the source, so no
        // field is set on every bar) and by name; they depend on every field's value.
        let rule = """
            on_bar = function(ctx, p)
              if F('b', 'ar') % 20 == 5 and F('posit', 'ion') == 0 and F('vol', 'ume') > 0 and F('hi', 'gh') >= F('lo', 'w') then ctx:buy() end
              if F('posit', 'ion') > 0 and (F('b', 'ar') % 20 == 15 or F('cl', 'ose') < F('entry_', 'price') * 0.98
                  or F('equ', 'ity') < F('ca', 'sh') * 0.5 or F('op', 'en') > F('cl', 'ose') * 1.03) then ctx:sell() end
            end
            """
        let computed = strategy(rule.replacingOccurrences(of: "F(", with: "ctx[").replacingOccurrences(of: "', '", with: "' .. '")
            .replacingOccurrences(of: "')", with: "']"))
        var direct = rule
        for (piece, name) in [("'b', 'ar'", "bar"), ("'posit', 'ion'", "position"), ("'vol', 'ume'", "volume"), ("'hi', 'gh'", "high"),
                              ("'lo', 'w'", "low"), ("'cl', 'ose'", "close"), ("'entry_', 'price'", "entry_price"),
                              ("'equ', 'ity'", "equity"), ("'ca', 'sh'", "cash"), ("'op', 'en'", "open")] {
            direct = direct.replacingOccurrences(of: "F(\(piece))", with: "ctx.\(name)")
        }
        let named = strategy(direct)
        #expect(!((try? String(contentsOfFile: computed, encoding: .utf8)) ?? "").contains("position"))
        let a = try Backtest.run(strategyPath: computed, panel: panel, options: options())
        let b = try Backtest.run(strategyPath: named, panel: panel, options: options())
        #expect(a.failures.isEmpty, "\(a.failures.map(\.message))")
        #expect(a.trades.count > 10 && a.trades == b.trades && a.equity == b.equity)
    }

    /// The run's stop fractions arm on the per-bar path exactly as on the vectorized one: the
    /// same trades (exit reasons included) and equity, for fills at the close and the next open.
    @Test(arguments: [
        ["stop_loss": "0.03"], ["take_profit": "0.05"], ["trailing_stop": "0.04"],
        ["stop_loss": "0.03", "take_profit": "0.06", "trailing_stop": "0.02"],
        ["stop_loss": "0.03", "fill": "next_open"], ["trailing_stop": "0.04", "take_profit": "0.05", "fill": "next_open"],
    ])
    func stopFractionsEqualVectorized(_ overrides: [String: String]) throws {
        let panel = Synthetic.panel(symbols: 20, bars: 600, seed: 5)
        var o = options(capital: 20_000, fees: 0.001)
        try o.override(overrides)
        let vec = try Backtest.run(strategyPath: Fixtures.path("strategies/sma_cross.lua"), panel: panel, options: o)
        let bar = try Backtest.run(strategyPath: Fixtures.path("strategies/sma_cross_bar.lua"), panel: panel, options: o)
        let stopped = vec.trades.filter { $0.exitReason != .signal && $0.exitReason != .open }.count
        #expect(stopped > 10, "the stops must fire for the comparison to mean something")
        #expect(bar.trades.count == vec.trades.count)
        let mismatch = bar.trades.indices.first { $0 < vec.trades.count && bar.trades[$0] != vec.trades[$0] }
        #expect(mismatch == nil, "first differing trade: \(mismatch.map { "\(bar.trades[$0]) vs \(vec.trades[$0])" } ?? "")")
        #expect(bar.equity == vec.equity)
    }

    /// Settings of target portfolios mean nothing to orders from on_bar: refused, not ignored.
    @Test(arguments: [("portfolio", "shared"), ("top", "3"), ("rebalance", "monthly")])
    func targetPortfolioSettingsAreRefused(_ setting: (String, String)) throws {
        var o = options()
        try o.override([setting.0: setting.1])
        let panel = Synthetic.panel(symbols: 3, bars: 100, seed: 2)
        do {
            _ = try Backtest.run(strategyPath: Fixtures.path("strategies/sma_cross_bar.lua"), panel: panel, options: o)
            Issue.record("\(setting) should be refused")
        } catch let e as SimulationError {
            #expect(e.description.contains("an on_bar strategy trades each symbol's own account"))
        }
    }

    @Test func contextFieldsAndHistory() throws {
        let path = strategy("""
            indicators = function(bars, p) return { twice = bars.close * 2, up = bars.close:gt(bars.open) } end,
            on_bar = function(ctx, p)
              local s = ctx.state
              s.log = s.log or {}
              s.log[#s.log + 1] = string.format("%d %s %s %g %g %s %g %s %g", ctx.bar, ctx.date, ctx.symbol, ctx.close,
                ctx.twice, tostring(ctx.up), ctx.past.close[1], tostring(ctx.past.up[2]), ctx.past.twice[0])
              if ctx.bar == 2 then error(table.concat(s.log, "|")) end
            end,
            """)
        let panel = ohlc([(1, 2, 0.5, 1.5), (2, 3, 1, 1.8), (3, 4, 2, 2.5)])
        do {
            _ = try Backtest.run(strategyPath: path, panel: panel, options: options())
            Issue.record("expected the deliberate error")
        } catch {
            let text = "\(error)"
            #expect(text.contains("0 2021-01-04 X 1.5 3 true nan false 3|1 2021-01-05 X 1.8 3.6 false 1.5 false 3.6|2 2021-01-06 X 2.5 5 false 1.8 true 5"), "\(text)")
            #expect(text.hasPrefix("X at 2021-01-06 (bar 2): "))
            #expect(text.contains("bar.lua:"))
        }
    }

    @Test func lookAheadIsAnErrorWithFileAndLine() throws {
        let path = strategy("on_bar = function(ctx, p)\n  local x = ctx.past.close[-1]\nend,")
        do {
            _ = try Backtest.run(strategyPath: path, panel: Fixtures.panel(closes: [[1, 2, 3]]), options: options())
            Issue.record("a negative index must fail")
        } catch {
            #expect("\(error)".contains("bar.lua:4:") && "\(error)".contains("future bar"), "\(error)")
        }
        let unknown = strategy("on_bar = function(ctx, p) local x = ctx.past.clsoe[1] end,")
        do { _ = try Backtest.run(strategyPath: unknown, panel: Fixtures.panel(closes: [[1]]), options: options()) } catch {
            #expect("\(error)".contains("did you mean 'close'"))
        }
        let field = strategy("on_bar = function(ctx, p) local x = ctx.postion end,")
        do { _ = try Backtest.run(strategyPath: field, panel: Fixtures.panel(closes: [[1]]), options: options()) } catch {
            #expect("\(error)".contains("ctx has no field 'postion'") && "\(error)".contains("'position'"))
        }
    }

    /// A worker runs many symbols in one Lua state: nothing a script stores — a ctx field (refused,
    /// or cleared when written raw), a global, a file-level local — carries to the next symbol.
    @Test func nothingCarriesBetweenSymbols() throws {
        let panel = Synthetic.panel(symbols: 6, bars: 50, seed: 4)
        for (body, message) in [("ctx.count = 1", "ctx.count cannot be set"), ("ctx.past.close = 1", "ctx.past.close cannot be set"),
                                ("math.count = 1", "math.count cannot be set")] {
            let path = strategy("on_bar = function(ctx, p)\n  \(body)\nend,")
            do {
                _ = try Backtest.run(strategyPath: path, panel: panel, options: options())
                Issue.record("\(body) must be refused")
            } catch { #expect("\(error)".contains("bar.lua:4: \(message)") && "\(error)".contains("ctx.state"), "\(error)") }
        }
        // Counting bars in a raw ctx field: it restarts with each symbol, so the 60th bar
        // never comes in 50-bar symbols, whatever worker ran the symbol before.
        let raw = strategy("""
            on_bar = function(ctx, p)
              local n = (rawget(ctx, "n") or 0) + 1
              rawset(ctx, "n", n)
              if n == 60 then ctx:buy() end
            end,
            """)
        // A file-level local, a global and `_G.x` that on_bar changes: all restart with each
        // symbol. The library tables refuse new fields.
        let dir = Fixtures.tempDir()
        let upvalue = Fixtures.write("""
            local seen = 0
            return strategy { on_bar = function(ctx, p)
              seen = seen + 1
              total = (total or 0) + 1
              _G.shared = (_G.shared or 0) + 1
              if seen == 60 or total == 60 or _G.shared == 60 then ctx:buy() end
            end }
            """, "counter.lua", in: dir)
        for path in [raw, upvalue] {
            for threads in [1, 2] {
                let r = try Backtest.run(strategyPath: path, panel: panel, options: options(threads: threads))
                #expect(r.trades.isEmpty, "\(path), \(threads) threads")
            }
        }
        // ctx's metatable cannot be swapped, and a ctx.past replaced with rawset is restored
        // for the next symbol.
        let swap = strategy("on_bar = function(ctx, p)\n  setmetatable(ctx, {})\nend,")
        do {
            _ = try Backtest.run(strategyPath: swap, panel: panel, options: options())
            Issue.record("the metatable swap must be refused")
        } catch { #expect("\(error)".contains("bar.lua:4: cannot change a protected metatable"), "\(error)") }
        let replacePast = strategy("""
            on_bar = function(ctx, p)
              if ctx.bar == 0 then
                assert(ctx.past.close[0] == ctx.close)
                rawset(ctx, "past", 5)
              end
            end,
            """)
        _ = try Backtest.run(strategyPath: replacePast, panel: panel, options: options(threads: 1))
        // math.random restarts at the sandbox's seed for every symbol: any thread count, same run.
        let random = Fixtures.write("""
            local first = math.random()   -- drawn when the file runs, once per symbol
            return strategy { on_bar = function(ctx, p)
              assert(first == first)
              if math.random() < 0.1 and ctx.position == 0 then ctx:buy() elseif math.random() < 0.1 then ctx:sell() end
            end }
            """, "random.lua", in: dir)
        let one = try Backtest.run(strategyPath: random, panel: panel, options: options(threads: 1))
        let three = try Backtest.run(strategyPath: random, panel: panel, options: options(threads: 3))
        #expect(one.trades.count > 5 && one.trades == three.trades && one.equity == three.equity)
    }

    /// Every side of the account has its ctx method (one enum from the Lua call to the fill).
    @Test func everyOrderSideHasAMethod() {
        #expect(OrderSide.allCases.count == 5)
        #expect(Set(ContextVocabulary.methods).isSuperset(of: ["buy", "sell", "short", "cover", "close_position"]))
    }

    @Test func badOrderOptionsAreErrorsNotCrashes() throws {
        let path = strategy("on_bar = function(ctx, p)\n  ctx:buy{ [1] = 5, size = 2 }\nend,")
        do {
            _ = try Backtest.run(strategyPath: path, panel: Fixtures.panel(closes: [[1, 2]]), options: options())
            Issue.record("must fail")
        } catch { #expect("\(error)".contains("unknown option")) }
        // A bad option value is named in the message (it used to be replaced by the value itself).
        for (option, expected) in [("bars = 1.5, limit = 3", "ctx:buy{bars = …}: expected a whole number ≥ 1, got 1.5"),
                                   ("limit = 'x'", "ctx:buy{limit = …}: expected a number, got string")] {
            let bad = strategy("on_bar = function(ctx, p)\n  ctx:buy{ \(option) }\nend,")
            do {
                _ = try Backtest.run(strategyPath: bad, panel: Fixtures.panel(closes: [[1, 2]]), options: options())
                Issue.record("must fail")
            } catch { #expect("\(error)".contains("bar.lua:4: \(expected)"), "\(error)") }
        }
        let meta = strategy("on_bar = function(ctx, p)\n  ctx:buy(setmetatable({}, { __index = function() error('no') end }))\nend,")
        // Options are read raw: the raising __index is never called, the order is a plain buy.
        let r = try Backtest.run(strategyPath: meta, panel: Fixtures.panel(closes: [[1, 2]]), options: options())
        #expect(r.trades.count == 1)
    }

    @Test func keepGoingFinishesOtherSymbols() throws {
        let path = strategy("on_bar = function(ctx, p)\n  if ctx.symbol == 'S1' and ctx.bar == 1 then error('boom') end\n  if ctx.position == 0 then ctx:buy() end\nend,")
        let panel = Fixtures.panel(closes: [[1, 2, 3], [1, 2, 3], [1, 1, 4]])
        #expect(throws: (any Error).self) { try Backtest.run(strategyPath: path, panel: panel, options: options()) }
        let r = try Backtest.run(strategyPath: path, panel: panel, options: options(capital: 3000, keepGoing: true))
        #expect(r.failures.map(\.symbol) == ["S1"] && r.failures[0].message.contains("boom"))
        #expect(r.runs[0].equity.last == 3000 && r.runs[2].equity.last == 4000 && r.runs[1].equity.last == 1000)
    }

    @Test func runawayOnBarIsStoppedPerCall() throws {
        let path = strategy("on_bar = function(ctx, p)\n  if ctx.bar == 3 then while true do end end\nend,")
        var o = options()
        o.limits.instructions = 100_000
        do {
            _ = try Backtest.run(strategyPath: path, panel: Fixtures.panel(closes: [(0 ..< 50).map { Double($0 + 1) }]), options: o)
            Issue.record("must stop")
        } catch { #expect("\(error)".contains("instruction limit exceeded") && "\(error)".contains("bar 3")) }
    }

    /// Limit and stop orders fill intrabar, at the open when the bar gaps through; they expire.
    @Test func pendingOrdersByHand() throws {
        let path = strategy("""
            on_bar = function(ctx, p)
              if ctx.bar == 0 then ctx:buy{ limit = 9, size = 10 } end           -- fills on bar 2 (low 8.5) at 9
              if ctx.bar == 2 then ctx:sell{ stop = 8, size = 10 } end           -- bar 3 gaps to 7.5: fills at the open
              if ctx.bar == 3 then ctx:buy{ limit = 1, size = 1, bars = 1 } end  -- never reached; expires
            end,
            """)
        let panel = ohlc([(10, 10.5, 9.5, 10), (10, 10.2, 9.2, 10), (9.5, 9.8, 8.5, 9), (7.5, 8, 7, 7.8), (8, 8, 8, 8)])
        let r = try Backtest.run(strategyPath: path, panel: panel, options: options())
        #expect(r.trades.count == 1)
        let t = r.trades[0]
        #expect(t.entryBar == 2 && t.entryPrice == 9 && t.exitBar == 3 && t.exitPrice == 7.5 && t.size == 10)
        #expect(near(t.pnl, -15))
        #expect(near(r.equity.last!, 985))
    }

    /// Stop-loss beats take-profit inside one bar; trailing stops follow the peak.
    @Test func priceExitsByHand() throws {
        let path = strategy("""
            on_bar = function(ctx, p)
              if ctx.bar == 0 then ctx:buy(); ctx:stop_loss(95); ctx:take_profit(110) end
              if ctx.bar == 3 then ctx:buy(); ctx:trailing_stop(0.1) end
            end,
            """)
        let panel = ohlc([(100, 100, 100, 100), (100, 112, 94, 105), (100, 100, 100, 100),
                          (100, 100, 100, 100), (100, 120, 100, 118), (118, 119, 107, 110), (105, 106, 100, 101)])
        let r = try Backtest.run(strategyPath: path, panel: panel, options: options())
        #expect(r.trades.count == 2)
        #expect(r.trades[0].exitBar == 1 && r.trades[0].exitPrice == 95)      // both levels inside bar 1: the stop wins
        // Bought at 100 on bar 3; peak = max(100, high of bar 4 = 120) → level 108, hit on bar 5 (low 107).
        #expect(r.trades[1].entryBar == 3 && r.trades[1].exitBar == 5 && near(r.trades[1].exitPrice, 108))
    }

    /// With both a stop-loss and a trailing stop, the tighter level fills (the one the falling
    /// price meets first), as in the vectorized simulator.
    @Test func tighterStopFillsFirst() throws {
        let path = strategy("""
            on_bar = function(ctx, p)
              if ctx.bar == 0 then ctx:buy(); ctx:stop_loss(90); ctx:trailing_stop(0.1) end
            end,
            """)
        // Peak after entry: the high of bar 1, 110 → trailing level 99; bar 2 falls to 85.
        let panel = ohlc([(100, 100, 100, 100), (100, 110, 100, 105), (100, 100, 85, 86)])
        let r = try Backtest.run(strategyPath: path, panel: panel, options: options())
        #expect(r.trades.count == 1 && r.trades[0].exitBar == 2 && near(r.trades[0].exitPrice, 99))
        #expect(r.trades[0].exitReason == .trailingStop)
    }

    @Test func shortsAndCovers() throws {
        let path = strategy("""
            on_bar = function(ctx, p)
              if ctx.bar == 0 then ctx:short() end
              if ctx.bar == 2 then ctx:cover() end
            end,
            """)
        let r = try Backtest.run(strategyPath: path, panel: Fixtures.panel(closes: [[10, 9, 8, 12]]), options: options(fees: 0.01))
        let units = (1000 / 1.01) / 10
        #expect(r.trades.count == 1 && r.trades[0].isShort)
        #expect(near(r.trades[0].pnl, units * 2 - (1000 - 1000 / 1.01) - units * 8 * 0.01))
        #expect(near(r.equity[3], 1000 + r.trades[0].pnl))
    }

    /// The per-bar path's deadline is per symbol: calls that each stay under the instruction
    /// budget still stop when the symbol as a whole runs past the time limit.
    @Test func aSymbolRunningPastTheTimeLimitIsStopped() throws {
        let path = strategy("""
            on_bar = function(ctx, p)
              for i = 1, 300000 do end
            end,
            """)
        var o = options()
        o.limits = ScriptLimits(instructions: 1_000_000, memoryBytes: 64 << 20, seconds: 0.3)
        let panel = Synthetic.panel(symbols: 1, bars: 2000, seed: 2)
        let start = Date()
        #expect { try Backtest.run(strategyPath: path, panel: panel, options: o) } throws: { e in
            "\(e)".contains("time limit exceeded")
        }
        #expect(Date().timeIntervalSince(start) < 10)
    }
}
