import Foundation
import LunarData
import LunarSim
import LunarTestSupport
import Testing
@testable import Lunar

@Suite struct EndToEndTests {
    func options(capital: Double, fees: Double = 0) -> BacktestOptions {
        var o = BacktestOptions()
        o.simulation.capital = capital
        o.simulation.fees = fees
        o.stdlib = Fixtures.stdlib
        return o
    }

    /// A strategy file on a tiny panel whose trades and returns are worked out by hand.
    @Test func tinyPanelByHand() throws {
        let dir = Fixtures.tempDir()
        let path = Fixtures.write("""
            return strategy {
              params = { hi = 12, lo = 11 },
              signals = function(bars, p)
                return { entries = bars.close:gt(p.hi), exits = bars.close:lt(p.lo) }
              end,
            }
            """, "levels.lua", in: dir)
        let panel = Fixtures.panel(closes: [[10, 13, 14, 10, 12, 15], [20, 20, 20, 20, 20, 20]], symbols: ["A", "B"])
        let r = try Backtest.run(strategyPath: path, panel: panel, options: options(capital: 2000))
        // A: buy at 13 (bar 1), sell at 10 (bar 3), buy again at 15 (bar 5), open at the end.
        // B: buy at 20 on bar 0 and hold.
        let a = r.runs[0], b = r.runs[1]
        #expect(a.trades.map(\.entryBar) == [1, 5] && a.trades.map(\.isOpen) == [false, true])
        #expect(near(a.trades[0].pnl, 1000.0 / 13 * 10 - 1000))
        #expect(near(a.equity.last!, 10000.0 / 13))
        #expect(b.trades.count == 1 && b.trades[0].isOpen && b.equity.allSatisfy { near($0, 1000) })
        #expect(near(r.portfolio.finalEquity, 10000.0 / 13 + 1000))
        #expect(near(r.portfolio.totalReturn, (10000.0 / 13 + 1000) / 2000 - 1))
        #expect(r.portfolio.trades == 3 && r.portfolio.openTrades == 2 && r.portfolio.winRate == 0)
        #expect(near(r.symbolMetrics[0].totalReturn, 10.0 / 13 - 1) && r.symbolMetrics[1].totalReturn == 0)
    }

    /// `lunar data gen` output through sma_cross gives what an independent computation of the
    /// documented rules gives, symbol by symbol.
    @Test func smaCrossOnGeneratedDataMatchesAnIndependentComputation() throws {
        let dir = Fixtures.tempDir()
        try CSVWriter.writeFolder(Synthetic.panel(symbols: 12, bars: 600, seed: 9), to: dir)
        let panel = try DataSource.load(dir)
        let fees = 0.001, capital = 12_000.0
        let r = try Backtest.run(strategyPath: Fixtures.path("strategies/sma_cross.lua"), panel: panel,
                                 options: options(capital: capital, fees: fees))
        let T = panel.barCount
        for s in 0 ..< panel.symbolCount {
            let c = Array(panel.series("close", symbol: s))
            func sma(_ n: Int, _ t: Int) -> Double { t < n - 1 ? .nan : c[(t - n + 1) ... t].reduce(0, +) / Double(n) }
            var cash = capital / Double(panel.symbolCount), shares = 0.0, trades = 0
            for t in 1 ..< T {
                let f0 = sma(10, t - 1), s0 = sma(50, t - 1), f1 = sma(10, t), s1 = sma(50, t)
                if f0 < s0 && f1 > s1 && shares == 0 {        // enter all-in, fee on top
                    shares = cash / (1 + fees) / c[t]; cash = 0; trades += 1
                } else if f0 > s0 && f1 < s1 && shares > 0 {  // exit, fee out of the proceeds
                    cash = shares * c[t] * (1 - fees); shares = 0
                }
            }
            let final = cash + shares * c[T - 1]
            #expect(r.symbolMetrics[s].trades == trades, "symbol \(panel.symbols[s])")
            #expect(near(r.symbolMetrics[s].totalReturn, final / (capital / Double(panel.symbolCount)) - 1, rel: 1e-9),
                    "symbol \(panel.symbols[s])")
        }
    }

    @Test func sameResultsForAnyThreadCount() throws {
        let panel = Synthetic.panel(symbols: 40, bars: 300, seed: 4)
        var o = options(capital: 1e6, fees: 0.001)
        o.simulation.threads = 1
        let one = try Backtest.run(strategyPath: Fixtures.path("strategies/rsi_reversion.lua"), panel: panel, options: o)
        o.simulation.threads = 3
        let three = try Backtest.run(strategyPath: Fixtures.path("strategies/rsi_reversion.lua"), panel: panel, options: o)
        #expect(one.equity == three.equity && one.trades == three.trades)
    }
}

/// The `lunar` executable: exit codes and messages as a user sees them.
@Suite struct CommandLineTests {
    static var binary: String? { Fixtures.executable("lunar") }

    func lunar(_ args: [String]) throws -> (code: Int32, out: String, err: String) {
        try CommandLineTests.run(args, cwd: Fixtures.root.path)
    }

    /// Runs the built executable in `cwd` with `environment` changes (nil removes a variable).
    static func run(_ args: [String], cwd: String, environment changes: [String: String?] = [:]) throws
        -> (code: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try #require(CommandLineTests.binary, "build the lunar executable first"))
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: cwd)
        if !changes.isEmpty {
            var env = ProcessInfo.processInfo.environment
            for (k, v) in changes { env[k] = v }
            p.environment = env
        }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    @Test func runWritesResultsAndJSON() throws {
        let out = Fixtures.tempDir()
        // The history lives outside the result folder: the folder is replaced as a whole.
        let r = try lunar(["run", "strategies/sma_cross.lua", "--data", "synthetic:20:400:1", "--fees", "0.001", "--out", out, "--json",
                           "--history", Fixtures.tempDir() + "/h.sqlite"])
        #expect(r.code == 0, "\(r.err)")
        let json = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any]
        #expect(json?["trades"] != nil && json?["sharpe"] != nil)
        let files = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        #expect(files == ["equity.csv", "report.html", "summary.json", "symbols.csv", "trades.csv"])
        #expect(try String(contentsOfFile: out + "/summary.json", encoding: .utf8) == r.out)
        // A folder holding anything else is refused before the run, and left as it was.
        Fixtures.write("mine", "notes.txt", in: out)
        let refused = try lunar(["run", "strategies/sma_cross.lua", "--data", "synthetic:2:50", "--out", out, "--no-record"])
        #expect(refused.code == FailureKind.usage.exitCode && refused.err.contains("holds files Lunar did not write (notes.txt)"), "\(refused.err)")
        #expect(try String(contentsOfFile: out + "/summary.json", encoding: .utf8) == r.out)
    }

    @Test func errorsExitNonZeroWithFileAndLine() throws {
        let dir = Fixtures.tempDir()
        let bad = Fixtures.write("return strategy {\n  signals = function(bars, p)\n    return { entries = bars.close > 1 }\n  end }", "bad.lua", in: dir)
        let r = try lunar(["run", bad, "--data", "synthetic:2:50", "--no-record"])
        #expect(r.code == FailureKind.script.exitCode)
        #expect(r.err.contains("bad.lua:3:") && r.err.contains("a:gt(b)"))
        let param = try lunar(["run", "strategies/sma_cross.lua", "--data", "synthetic:2:50", "--param", "fats=3", "--no-record"])
        #expect(param.code != 0 && param.err.contains("did you mean 'fast'"))
        let csvDir = Fixtures.tempDir()
        Fixtures.write("date,open,high,low,close,volume\n2020-01-02,1,1,1,1,1\n2020-01-03,1,1,1,oops,1\n", "X.csv", in: csvDir)
        let csv = try lunar(["run", "strategies/sma_cross.lua", "--data", csvDir, "--no-record"])
        #expect(csv.code == FailureKind.data.exitCode && csv.err.contains("X.csv:3:5: column 'close'"))
        let flag = try lunar(["run", "strategies/sma_cross.lua", "--data", "synthetic:2:50", "--fees", "2", "--no-record"])
        #expect(flag.code == FailureKind.usage.exitCode && flag.err.contains("--fees '2': expected a fraction in [0, 1)"))
    }

    /// Every command that simulates takes every setting's flag (generated from `Setting.all`).
    @Test(arguments: ["run", "sweep", "walkforward", "watch"])
    func everySettingIsAFlag(_ command: String) throws {
        let help = try lunar([command, "--help"])
        for s in Setting.all {
            #expect(help.out.contains("--\(s.flag)"), "\(command) lacks --\(s.flag)")
            if s.isSwitch { #expect(help.out.contains("--no-\(s.flag)")) }
        }
    }

    /// The reported case: a run made with flags replays exactly from the history.
    @Test func rerunReplaysFlags() throws {
        let db = Fixtures.tempDir() + "/runs.sqlite"
        let made = try lunar(["run", "strategies/sma_cross.lua", "--data", "synthetic:12:300:4", "--fees", "0.002", "--fill", "next_open",
                              "--stop-loss", "0.05", "--sizing", "fraction:0.5", "--whole-units", "--slippage", "0.001",
                              "--capital", "50000", "--history", db])
        #expect(made.code == 0, "\(made.err)")
        let show = try lunar(["runs", "show", "1", "--history", db])
        #expect(show.out.contains("fees=0.002") && show.out.contains("fill=next_open") && show.out.contains("stop_loss=0.05"))
        let again = try lunar(["runs", "rerun", "1", "--history", db, "--no-record"])
        #expect(again.code == 0 && again.out.contains("inputs unchanged") && again.out.contains("bit for bit"), "\(again.out)\(again.err)")
    }

    /// Several `lunar run` processes recording into one history at once lose no record;
    /// `runs rerun` reproduces a run and notices a changed strategy.
    @Test func historyUnderConcurrentProcesses() throws {
        let dir = Fixtures.tempDir()
        let db = dir + "/runs.sqlite"
        let strategy = dir + "/s.lua"
        try FileManager.default.copyItem(atPath: Fixtures.path("strategies/sma_cross.lua"), toPath: strategy)
        let procs = (0 ..< 6).map { i -> Process in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: CommandLineTests.binary!)
            p.arguments = ["run", strategy, "--data", "synthetic:10:200", "--param", "fast=\(3 + i)", "--history", db]
            p.standardOutput = FileHandle.nullDevice
            p.currentDirectoryURL = Fixtures.root
            return p
        }
        for p in procs { try p.run() }
        for p in procs { p.waitUntilExit(); #expect(p.terminationStatus == 0) }
        let list = try lunar(["runs", "list", "--history", db])
        #expect(list.out.split(separator: "\n").count == 7)   // header + 6 runs
        let same = try lunar(["runs", "rerun", "1", "--history", db, "--no-record"])
        #expect(same.code == 0 && same.out.contains("inputs unchanged") && same.out.contains("reproduced"))
        try (try String(contentsOfFile: strategy, encoding: .utf8)).replacingOccurrences(of: "slow = 50", with: "slow = 40")
            .write(toFile: strategy, atomically: true, encoding: .utf8)
        let changed = try lunar(["runs", "rerun", "1", "--history", db, "--no-record"])
        #expect(changed.out.contains("inputs changed") && changed.out.contains("s.lua changed"))
        #expect(changed.code == 0)   // different results, but explained by the changed input
    }

    @Test func dataGenWritesCSVs() throws {
        let dir = Fixtures.tempDir()
        let r = try lunar(["data", "gen", dir, "--symbols", "3", "--bars", "10", "--seed", "5"])
        #expect(r.code == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["S0000.csv", "S0001.csv", "S0002.csv"])
    }
}

/// A strategy run again unchanged reuses its compiled plan; a changed one does not.
@Suite struct PlanCacheTests {
    @Test func unchangedStrategiesReuseTheirPlan() throws {
        let panel = Synthetic.panel(symbols: 7, bars: 300, seed: 31)
        var o = BacktestOptions()
        o.stdlib = Fixtures.stdlib
        o.params = ["fast": "7", "slow": "33"]   // a shape no other test compiles
        let path = Fixtures.path("strategies/sma_cross.lua")
        let first = try Backtest.run(strategyPath: path, panel: panel, options: o)
        let before = PlanCache.shared.hits
        let second = try Backtest.run(strategyPath: path, panel: panel, options: o)
        #expect(PlanCache.shared.hits > before)
        #expect(second.equity == first.equity && second.trades == first.trades)
        o.params["slow"] = "34"
        let other = try Backtest.run(strategyPath: path, panel: panel, options: o)
        var naive = o
        naive.engine = .naive
        #expect(other.equity == (try Backtest.run(strategyPath: path, panel: panel, options: naive)).equity)
    }
}

import LunarEngine
