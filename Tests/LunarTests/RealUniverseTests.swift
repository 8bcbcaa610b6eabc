import Foundation
import LunarData
import LunarSim
import LunarTestSupport
import Testing
@testable import Lunar

/// Real-universe rules through every entry point: `lunar run`, the Swift API, the per-bar path,
/// sweeps and walk-forward, `bars.member` and the cross-sections (docs/semantics.md, "Real universes").
@Suite struct RealUniverseTests {
    func options(capital: Double = 1000) -> BacktestOptions {
        var o = BacktestOptions()
        o.simulation.capital = capital
        o.simulation.threads = 2
        o.stdlib = Fixtures.stdlib
        return o
    }

    func strategy(_ body: String) -> String {
        Fixtures.write("local ta = require 'ta'\nreturn strategy {\n\(body)\n}\n", "s.lua", in: Fixtures.tempDir())
    }

    static let day0 = Calendar.daysFromCivil(2020, 1, 1) * 86_400
    static func day(_ t: Int) -> Int64 { day0 + Int64(t) * 86_400 }

    /// S0 is a member on bars 0–1 and from bar 3; S1 always; S2's data end at bar 2.
    func universePanel() throws -> Panel {
        var p = Fixtures.panel(closes: [[10, 11, 12, 13, 14], [20, 20, 20, 20, 20], [5, 6, 7, .nan, .nan]])
        try p.attach(Universe(membership: ["S0": [.init(start: Self.day(0), end: Self.day(1)), .init(start: Self.day(3))],
                                           "S1": [.init(start: Self.day(0))], "S2": [.init(start: Self.day(0))]]))
        return p
    }

    @Test func perBarOrdersFollowTheUniverse() throws {
        // Buys whenever flat: S0 leaves at bar 2 (closed at 12) and is bought again at bar 3;
        // S2 is delisted at bar 2 (closed at its close, 7).
        let path = strategy("""
            on_bar = function(ctx, p)
              if ctx.position == 0 then ctx:buy() end
            end,
            """)
        let r = try Backtest.run(strategyPath: path, panel: universePanel(), options: options(capital: 3000))
        let s0 = r.runs[0].trades, s2 = r.runs[2].trades
        #expect(s0.count == 2 && s0[0].exitReason == .leftUniverse && s0[0].exitBar == 2 && s0[0].exitPrice == 12)
        #expect(s0[1].entryBar == 3 && s0[1].isOpen)
        #expect(s2.count == 1 && s2[0].exitReason == .delisted && s2[0].exitBar == 2 && s2[0].exitPrice == 7)
        #expect(near(r.runs[2].equity[4], 1000.0 / 5 * 7))
    }

    @Test func vectorizedAndPerBarAgreeOnTheUniverse() throws {
        // The same decisions (buy when flat) through signals and through on_bar: the same trades.
        let vectorized = strategy("signals = function(bars, p) return { entries = bars.close:gt(0) } end,")
        let perBar = strategy("on_bar = function(ctx, p) if ctx.position == 0 then ctx:buy() end end,")
        let a = try Backtest.run(strategyPath: vectorized, panel: universePanel(), options: options(capital: 3000))
        let b = try Backtest.run(strategyPath: perBar, panel: universePanel(), options: options(capital: 3000))
        #expect(a.trades == b.trades && a.equity == b.equity)
    }

    @Test func perBarAndVectorizedAgreeAcrossSplitsAndDividends() throws {
        var panel = Fixtures.panel(closes: [[100, 102, 51, 52, 50, 53], [40, 41, 42, 43, 44, 45]])
        try panel.setField("split", [.nan, .nan, 2, .nan, .nan, .nan, .nan, .nan, .nan, .nan, .nan, 0.5])
        try panel.setField("dividend", [0, 0, 0, 1, 0, 0, 0, 0.5, 0, 0, 0, 0])
        let vectorized = strategy("signals = function(bars, p) return { entries = bars.close:gt(0) } end,")
        let perBar = strategy("on_bar = function(ctx, p) if ctx.position == 0 then ctx:buy() end end,")
        for mode in PriceMode.allCases {
            var o = options(capital: 2000)
            try o.override(["prices": mode.rawValue])
            let a = try Backtest.run(strategyPath: vectorized, panel: panel, options: o)
            let b = try Backtest.run(strategyPath: perBar, panel: panel, options: o)
            #expect(a.trades == b.trades && a.equity == b.equity, "\(mode)")
        }
        // raw: 10 units at 100 → 20 at the split, + 20 of dividends; equity at the end 20 × 53 + 20.
        var o = options(capital: 2000)
        try o.override(["prices": "raw"])
        let r = try Backtest.run(strategyPath: perBar, panel: panel, options: o)
        #expect(near(r.runs[0].equity[5], 20 * 53 + 20) && r.runs[0].dividends == 20)
    }

    @Test func aPendingLimitOrderFollowsASplit() throws {
        // A buy limit at 90 placed before a 2:1 split becomes a limit at 45: bar 2's low (49)
        // does not reach it, bar 3's (44) fills it at 45.
        var panel = try Panel(symbols: ["X"], timestamps: (0 ..< 4).map { Self.day($0) },
                              fields: ["open": [100, 100, 50, 50], "high": [100, 100, 50, 50], "low": [100, 100, 49, 44],
                                       "close": [100, 100, 50, 50], "volume": [1, 1, 1, 1]])
        try panel.setField("split", [.nan, .nan, 2, .nan])
        let path = strategy("on_bar = function(ctx, p) if ctx.bar == 0 then ctx:buy{ limit = 90 } end end,")
        var o = options()
        try o.override(["prices": "raw"])
        let r = try Backtest.run(strategyPath: path, panel: panel, options: o)
        let t = try #require(r.trades.first)
        #expect(t.entryBar == 3 && t.entryPrice == 45 && near(t.size, 1000.0 / 45))
    }

    @Test func adjustIsRefusedBesideCorporateActionColumns() throws {
        let dir = Fixtures.tempDir()
        _ = Fixtures.write("date,open,high,low,close,adj_close,volume,split\n2020-01-01,1,1,1,1,1,1,\n2020-01-02,1,1,1,1,1,1,2\n",
                           "X.csv", in: dir)
        #expect { try DataSource.load(dir, adjust: true) } throws: { "\($0)".contains("drop --adjust and choose --prices") }
    }

    @Test func barsMemberAndCrossSectionsSeeOnlyMembers() throws {
        let panel = try universePanel()
        let member = try ExpressionEval.run("bars.member", panel: panel, stdlib: Fixtures.stdlib)
        #expect(member.columns[0].values == [1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0])
        // rank over S0 (10…14), S1 (20) and S2 (5…7): at bar 2 S0 is no member, so S1 and S2 rank alone.
        let rank = try ExpressionEval.run("ta.rank(bars.close)", panel: panel, stdlib: Fixtures.stdlib)
        let v = rank.columns[0].values, T = 5
        #expect(v[2].isNaN && !v[1].isNaN)
        #expect(v[1 * T + 2] > v[2 * T + 2])
        // Time-series indicators use the whole history: S0's 2-bar mean at bar 3 includes bar 2.
        let mean = try ExpressionEval.run("ta.sma(bars.close, 2)", panel: panel, stdlib: Fixtures.stdlib)
        #expect(mean.columns[0].values[3] == 12.5)
    }

    func sweep(_ values: [String]) -> SweepRequest {
        var r = SweepRequest(space: [ParamSpace(name: "n", values: values)])
        r.metric = "total_return"
        return r
    }

    @Test func sweepsAndWalkForwardMeasureLikeARun() throws {
        let path = strategy("""
            params = { n = 5 },
            signals = function(bars, p) return { entries = bars.close:gt(ta.sma(bars.close, p.n)), exits = bars.close:lt(ta.sma(bars.close, p.n)) } end,
            """)
        let panel = Synthetic.panel(symbols: 20, bars: 300, seed: 5, bankrupt: 0.3)
        #expect(panel.universeSummary.delisted == 6)
        var o = options(capital: 100_000)
        o.params = ["n": "5"]
        let run = try Backtest.run(strategyPath: path, panel: panel, options: o)
        // A bankrupt symbol's trades all end by its last bar; one still held then gets 0.
        let life = run.panel.lifecycle
        for t in run.trades where life[t.symbol].delisted {
            #expect(!t.isOpen && t.exitBar <= life[t.symbol].lastBar && (t.exitReason != .delisted || t.exitPrice == 0))
        }
        let swept = try Sweep.run(strategyPath: path, panel: panel, options: options(capital: 100_000),
                                  request: sweep(["5"]))
        #expect(swept.rows[0].metrics.totalReturn == run.portfolio.totalReturn)
        let wf = try WalkForward.run(strategyPath: path, panel: panel, options: options(capital: 100_000),
                                     request: WalkForwardRequest(sweep: sweep(["5", "10"]), train: 100, test: 50))
        #expect(wf.equity.count == 200 && wf.equity.allSatisfy { $0.isFinite })
    }

    @Test func theUniverseRulesLookNoBarAhead() throws {
        // Cutting the future off changes nothing before the cut: delistings, membership and raw
        // corporate actions act on the bar they happen, never earlier.
        var panel = Synthetic.panel(symbols: 12, bars: 300, seed: 9, bankrupt: 0.4)
        var split = [Double](repeating: .nan, count: 12 * 300)
        for s in 0 ..< 12 { split[s * 300 + 40 + 13 * s] = 2 }
        try panel.setField("split", split)
        var members: [String: [Universe.Spell]] = [:]
        for (k, symbol) in panel.symbols.enumerated() {
            members[symbol] = [.init(start: panel.timestamps[0], end: panel.timestamps[60 + 10 * k]),
                               .init(start: panel.timestamps[100 + 9 * k])]
        }
        var u = panel.universe
        u.membership = members
        try panel.attach(u)
        let path = strategy("""
            signals = function(bars, p)
              return { entries = bars.close:gt(ta.sma(bars.close, 10)) | bars.close:gt(0) }
            end,
            """)
        var o = options(capital: 12_000)
        try o.override(["prices": "raw"])
        let full = try Backtest.run(strategyPath: path, panel: panel, options: o)
        #expect(full.trades.contains { $0.exitReason == .leftUniverse } && full.trades.contains { $0.exitReason == .delisted })
        for cut in [90, 150, 230] {
            let part = try Backtest.run(strategyPath: path, panel: panel.prefix(bars: cut), options: o)
            #expect(Array(part.equity[0 ..< cut - 1]) == Array(full.equity[0 ..< cut - 1]), "cut at \(cut)")
        }
    }

    @Test func aRecordedRunReloadsItsUniverseFiles() throws {
        // The membership list and the delistings file found beside the data are recorded; the
        // rerun reads them again, and a changed list changes the data's fingerprint.
        let dir = Fixtures.tempDir()
        let gen = Synthetic.panel(symbols: 6, bars: 120, seed: 3, bankrupt: 0.5)
        try CSVWriter.writeFolder(gen, to: dir + "/data")
        let members = Fixtures.write("symbol,start,end\nS0000,2015-01-02,2015-03-02\nS0001,2015-02-02,\n", "members.csv", in: dir)
        let origin = DataOrigin(spec: dir + "/data", universe: members)
        let panel = try origin.load()
        #expect(panel.universe.delistings.count == 3 && panel.universe.membership?.count == 2)
        let path = strategy("signals = function(bars, p) return { entries = bars.close:gt(0) } end,")
        let run = try Backtest.run(strategyPath: path, panel: panel, options: options(capital: 6000))
        let record = run.record(data: origin, options: options(capital: 6000))
        #expect(record.dataUniverse == members && record.dataDelistings == dir + "/data/delistings.csv")
        let again = try Rerun.loadData(record)
        #expect(Rerun.changedInputs(record, panel: again).isEmpty)
        _ = Fixtures.write("symbol,start,end\nS0000,2015-01-02,\n", "members.csv", in: dir)
        #expect(Rerun.changedInputs(record, panel: try Rerun.loadData(record)).contains { $0.contains("the data") })
    }

    @Test func survivorsOnlyShowTheBias() throws {
        // Long everything from bar 0: the bankrupt symbols lose their whole stake, which a
        // survivors-only run never sees.
        let path = strategy("signals = function(bars, p) return { entries = bars.close:gt(0) } end,")
        let panel = Synthetic.panel(symbols: 20, bars: 300, seed: 5, bankrupt: 0.3)
        let full = try Backtest.run(strategyPath: path, panel: panel, options: options(capital: 100_000))
        let s = try #require(try Backtest.survivorship(of: full, strategyPath: path, options: options(capital: 100_000)))
        #expect(s.survivors == 14 && s.delisted == 6)
        // Without fees a sub-account's return does not depend on its slice, so the full universe's
        // return is the mean over all 20 symbols: the 14 survivors' mean (the survivors-only
        // run) and −1 for each of the 6 bankrupt symbols, bought at bar 0 and delisted at 0.
        #expect(near(s.fullReturn, (14 * s.survivorsReturn - 6) / 20, rel: 1e-12))
        #expect(near(s.bias, s.survivorsReturn - s.fullReturn, rel: 1e-15) && s.bias > 0)
        #expect(s.fullReturn == full.portfolio.totalReturn)
    }

    @Test func splitModeIsTheDefaultAndRawIsASetting() throws {
        // A 2:1 split on bar 2: `close > 70` holds for the adjusted history only on bar 4 (75).
        var panel = Fixtures.panel(closes: [[100, 120, 70, 70, 75]])
        try panel.setField("split", [.nan, .nan, 2, .nan, .nan])
        let path = strategy("signals = function(bars, p) return { entries = bars.close:gt(70) } end,")
        let adjusted = try Backtest.run(strategyPath: path, panel: panel, options: options())
        #expect(adjusted.trades.count == 1 && adjusted.trades[0].entryBar == 4)
        var o = options()
        try o.override(["prices": "raw"])
        let raw = try Backtest.run(strategyPath: path, panel: panel, options: o)
        #expect(raw.trades.count == 1 && raw.trades[0].entryBar == 0 && raw.trades[0].size == 20)
    }
}

/// The universe files and flags as a user meets them on the command line.
@Suite struct UniverseCommandLineTests {
    func lunar(_ args: [String]) throws -> (code: Int32, out: String, err: String) {
        try CommandLineTests.run(args, cwd: Fixtures.root.path)
    }

    @Test func bankruptUniverseRunsWithItsDelistingsAndShowsTheBias() throws {
        let dir = Fixtures.tempDir()
        let data = dir + "/data", out = dir + "/out"
        let gen = try lunar(["data", "gen", data, "--symbols", "20", "--bars", "300", "--seed", "5", "--bankrupt", "0.3"])
        #expect(gen.code == 0 && gen.out.contains("6 go bankrupt"), "\(gen)")
        let delistings = try String(contentsOfFile: data + "/delistings.csv", encoding: .utf8)
        #expect(delistings.hasPrefix("symbol,date,price\n") && delistings.split(separator: "\n").count == 7)
        let strategy = Fixtures.write("return strategy { signals = function(bars, p) return { entries = bars.close:gt(0) } end }\n",
                                      "hold.lua", in: dir)
        let run = try lunar(["run", strategy, "--data", data, "--out", out, "--no-record"])
        #expect(run.code == 0, "\(run)")
        #expect(run.out.contains("universe 0 listed · 6 delisted") && run.out.contains("bias"), "\(run.out)")
        let summary = try String(contentsOfFile: out + "/summary.json", encoding: .utf8)
        #expect(summary.contains("\"delisted\": 6") && summary.contains("\"survivors_total_return\""))
        let symbols = try String(contentsOfFile: out + "/symbols.csv", encoding: .utf8)
        #expect(symbols.hasPrefix("symbol,status,") && symbols.contains(",delisted 20"))
        let trades = try String(contentsOfFile: out + "/trades.csv", encoding: .utf8)
        #expect(trades.contains(",delisted\n"))
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(html.contains("survivorship: survivors only (14 symbols)") && html.contains("<th data-col=\"1\">Status</th>"))
    }

    @Test func badUniverseFilesAreDataErrorsWithTheirLine() throws {
        let dir = Fixtures.tempDir()
        let members = Fixtures.write("symbol,start,end\nS0000,2015-01-02,\nS0001,2015-13-01,\n", "members.csv", in: dir)
        let strategy = Fixtures.write("return strategy { signals = function(bars, p) return { entries = bars.close:gt(0) } end }\n",
                                      "hold.lua", in: dir)
        let r = try lunar(["run", strategy, "--data", "synthetic:3:50", "--universe", members, "--no-record"])
        #expect(r.code == 4 && r.err.contains("members.csv:3:2: cannot read date '2015-13-01'"), "\(r)")
        let overlap = Fixtures.write("symbol,start,end\nS0000,2015-01-02,2015-02-01\nS0000,2015-01-20,\n", "overlap.csv", in: dir)
        let o = try lunar(["run", strategy, "--data", "synthetic:3:50", "--universe", overlap, "--no-record"])
        #expect(o.code == 4 && o.err.contains("overlap.csv:3: S0000's membership overlaps the one on line 2"), "\(o)")
        let late = Fixtures.write("symbol,date,price\nS0001,2015-01-05,0\n", "late.csv", in: dir)
        let d = try lunar(["run", strategy, "--data", "synthetic:3:50", "--delistings", late, "--no-record"])
        #expect(d.code == 4 && d.err.contains("late.csv:2: S0001 is delisted on 2015-01-05 but has data until"), "\(d)")
        let bad = try lunar(["run", strategy, "--data", "synthetic:3:50", "--prices", "adjusted", "--no-record"])
        #expect(bad.code == 64 && bad.err.contains("raw, split or total"), "\(bad)")
    }

    @Test func membershipFromTheCommandLine() throws {
        let dir = Fixtures.tempDir()
        // S0000 joins on 2015-03-02: a long-everything strategy enters it only then.
        let members = Fixtures.write("symbol,start,end\nS0000,2015-03-02,\nS0001,2015-01-02,2015-02-27\n", "members.csv", in: dir)
        let strategy = Fixtures.write("return strategy { signals = function(bars, p) return { entries = bars.close:gt(0) } end }\n",
                                      "hold.lua", in: dir)
        let out = dir + "/out"
        let r = try lunar(["run", strategy, "--data", "synthetic:2:100", "--universe", members, "--out", out, "--no-record"])
        #expect(r.code == 0 && r.out.contains("1 joined · 1 left"), "\(r)")
        let trades = try String(contentsOfFile: out + "/trades.csv", encoding: .utf8).split(separator: "\n")
        #expect(trades.contains { $0.hasPrefix("S0000,open,long,2015-03-02,") })
        #expect(trades.contains { $0.hasPrefix("S0001,closed,long,2015-01-02,2015-03-02,") && $0.hasSuffix(",left_universe") })
    }
}
