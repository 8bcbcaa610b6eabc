import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import LunarData
import LunarEngine
import LunarScript
import LunarTestSupport
import Testing
@testable import Lunar

/// The ACME team library used from a second folder through lunar.toml, its Lua tests, and
/// `lunar test` / `list` / `doc` as a user runs them.
@Suite struct LibraryEndToEndTests {
    let research = Fixtures.path("examples/research")
    let acme = Fixtures.path("examples/acme-lib")

    func settings(cwd: String, flags: [String] = []) throws -> LibrarySettings {
        try LibrarySettings.standard(cwd: cwd, flags: flags, environment: [:], stdlib: Fixtures.stdlib)
    }

    /// acme_pullback's entries, recomputed in Swift from the documented formulas, for every symbol.
    @Test func projectStrategyUsesTheLibraryThroughLunarToml() throws {
        var options = BacktestOptions()
        options.stdlib = Fixtures.stdlib
        options.libraries = try settings(cwd: research)
        let strategy = research + "/strategies/acme_pullback.lua"
        let panel = Synthetic.panel(symbols: 6, bars: 300, seed: 3)
        let r = try Backtest.run(strategyPath: strategy, panel: panel, options: options)
        #expect(r.strategy.files.contains(acme + "/acme/momentum.lua") && r.strategy.files.contains(acme + "/acme/bands.lua"))
        #expect(r.portfolio.trades > 0)
        let entries = try NaiveEvaluator(panel: panel).evaluate(r.strategy.graph, outputs: [r.strategy.outputs["entries"]!])
            .values.first!
        let T = panel.barCount
        for s in 0 ..< panel.symbolCount {
            let c = Array(panel.series("close", symbol: s))
            for t in 0 ..< T {
                var expected = Double.nan
                if t >= 20 && t >= 9 {
                    let w = c[(t - 9) ... t], mean = w.reduce(0, +) / 10
                    let sd = (w.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 10).squareRoot()
                    let roc = c[t] / c[t - 20] - 1
                    if sd > 0 { expected = (roc > 0 && (c[t] - mean) / sd < -1) ? 1 : 0 }
                }
                let got = entries[s * T + t]
                #expect(near(got, expected, rel: 0, abs: 0) || (t < 20 && got.isNaN), "symbol \(s) bar \(t): \(got) vs \(expected)")
            }
        }
        // Without the project file the library is out of reach, and the error says where it looked.
        options.libraries = try settings(cwd: Fixtures.tempDir())
        #expect { try Backtest.run(strategyPath: strategy, panel: panel, options: options) } throws: { e in
            "\(e)".contains("module 'acme.momentum' not found in the library roots")
        }
        // --lib reaches it too.
        options.libraries = try settings(cwd: Fixtures.tempDir(), flags: [acme])
        #expect(try Backtest.run(strategyPath: strategy, panel: panel, options: options).portfolio.trades == r.portfolio.trades)
    }

    @Test func aSecondFolderOnDiskIsALibrary() throws {
        let project = Fixtures.tempDir("project")
        Fixtures.write("libraries = [\"\(acme)\"]\n[requires]\nacme = \">=1.0, <2\"\n", "lunar.toml", in: project)
        let path = Fixtures.write("""
            local bands = require "acme.bands"
            return strategy {
              params = { n = 5 },
              signals = function(bars, p) return { entries = bands.zscore(bars.close, p.n):lt(-1.5) } end,
            }
            """, "strategies/mine.lua", in: project)
        var options = BacktestOptions()
        options.stdlib = Fixtures.stdlib
        options.libraries = try settings(cwd: project + "/strategies")       // lunar.toml is found above
        let r = try Backtest.run(strategyPath: path, panel: Synthetic.panel(symbols: 3, bars: 200), options: options)
        #expect(r.strategy.files.contains(acme + "/acme/bands.lua"))

        Fixtures.write("libraries = [\"\(acme)\"]\n[requires]\nacme = \"^2.0\"\n", "lunar.toml", in: project)
        #expect { try settings(cwd: project).project.map { try LibraryPath(leading: [], settings: LibrarySettings(project: $0, stdlib: Fixtures.stdlib)) } }
            throws: { "\($0)".contains("requires 'acme' ^2.0, but acme 1.2.0 is in reach") }
    }

    @Test func shippedLuaTestsPass() throws {
        let results = try LuaTests.run(paths: [acme, Fixtures.stdlib], libraries: settings(cwd: Fixtures.tempDir()))
        #expect(results.count == 3)
        #expect(results.allSatisfy { $0.loadError == nil && !$0.cases.isEmpty })
        for r in results { for c in r.cases { #expect(c.passed, "\(r.file): \(c.name): \(c.failure ?? "")") } }
    }

    @Test func failuresAreReportedPerTestAndAsJUnit() throws {
        let dir = Fixtures.tempDir()
        Fixtures.write("""
            test("passes", function() expect(1 + 1).to_equal(2) end)
            test("fails <here>", function()
              expect({ 1, 2 }).to_equal({ 1, 3 })
            end)
            test("series", function()
              local p = panel { close = { 1, 2, 3 } }
              expect_series(p.close * 2, p).near({ 2, 4, 7 }, 0.5)
            end)
            test("budget", function() while true do end end)
            """, "a_test.lua", in: dir)
        Fixtures.write("test('x', function() end", "broken_test.lua", in: dir)
        Fixtures.write("return 1", "helper.lua", in: dir)
        let results = try LuaTests.run(paths: [dir], libraries: settings(cwd: dir), limits: ScriptLimits(instructions: 100_000))
        #expect(results.map { URL(fileURLWithPath: $0.file).lastPathComponent } == ["a_test.lua", "broken_test.lua"])
        let a = results[0]
        #expect(a.cases.map(\.passed) == [true, false, false, false])
        #expect(a.cases[1].failure?.hasPrefix(dir + "/a_test.lua:3: expected {1, 2} to equal {1, 3}") == true)
        #expect(a.cases[2].failure?.contains("a_test.lua:7: series differs at bar 3: got 6.0, expected 7") == true)
        #expect(a.cases[3].failure?.contains("instruction limit exceeded") == true)
        #expect(results[1].loadError?.contains("broken_test.lua:1:") == true && results[1].failed == 1)
        let text = LuaTests.render(results)
        #expect(text.contains("  ✓ passes\n") && text.contains("  ✗ fails <here>\n") && text.hasSuffix("1 passed, 4 failed in 2 files (\(text.split(separator: "(").last!)"))
        let xml = LuaTests.junit(results)
        #expect(xml.contains("<testsuites name=\"lunar test\" tests=\"5\" failures=\"4\">"))
        #expect(xml.contains("<testcase name=\"fails &lt;here&gt;\""))
        #expect(xml.contains("<testcase name=\"(load)\""))
        // Whatever the parser thinks of it, it must be well-formed XML.
        _ = try XMLDocument(xmlString: xml)
    }

    @Test func testApiRejectsBadInput() throws {
        let dir = Fixtures.tempDir()
        Fixtures.write("return strategy { signals = function(b) return { entries = b.close:gt(1) } end }", "s.lua", in: Fixtures.tempDir())
        Fixtures.write("""
            test("ragged panel", function()
              expect(function() panel { close = { 1, 2 }, high = { 1 } } end).to_fail("'high' has 1 bars, 'close' has 2")
            end)
            test("unknown field", function()
              local p = panel { close = { 1 } }
              expect(function() return p.clsoe end).to_fail("did you mean 'close'")
            end)
            test("outside the roots", function()
              local p = panel { close = { 1, 2 } }
              expect(function() run_strategy("/etc/passwd", p) end).to_fail("bad_test.lua:10: run_strategy: /etc/passwd is outside the test's folder and the library roots")
            end)
            test("not a series", function()
              expect(function() expect_series(3, panel { close = { 1 } }) end).to_fail("expected a Series, got number")
            end)
            """, "bad_test.lua", in: dir)
        let r = try LuaTests.run(paths: [dir], libraries: settings(cwd: dir))
        for c in r[0].cases { #expect(c.passed, "\(c.name): \(c.failure ?? "")") }
        #expect(r[0].cases.count == 4)
    }
}

/// `lunar test`, `lunar list`, `lunar doc`, `lunar lib list` through the executable.
@Suite struct LibraryCommandLineTests {
    func lunar(_ args: [String], cwd: String) throws -> (code: Int32, out: String, err: String) {
        try CommandLineTests.run(args, cwd: cwd, environment: ["LUNAR_STDLIB": Fixtures.stdlib, "LUNAR_PATH": nil])
    }

    @Test func testCommandExitCodesAndJUnit() throws {
        let junit = Fixtures.tempDir() + "/junit.xml"
        let ok = try lunar(["test", "../acme-lib", "--junit", junit], cwd: Fixtures.path("examples/research"))
        #expect(ok.code == 0, "\(ok.out)\(ok.err)")
        #expect(ok.out.contains("✓ roc is the fractional change over n bars") && ok.out.contains("5 passed, 0 failed"))
        #expect(try String(contentsOfFile: junit, encoding: .utf8).contains("tests=\"5\" failures=\"0\""))
        let dir = Fixtures.tempDir()
        Fixtures.write("test('no', function() expect(true).to_be_false() end)", "no_test.lua", in: dir)
        let bad = try lunar(["test", "."], cwd: dir)
        #expect(bad.code == 1 && bad.out.contains("no_test.lua:1: expected false, got true"))
        let none = try lunar(["test", "."], cwd: Fixtures.tempDir())
        #expect(none.code != 0 && none.err.contains("no *_test.lua files"))
    }

    @Test func listAndDocShowTheLibrary() throws {
        let cwd = Fixtures.path("examples/research")
        let libs = try lunar(["lib", "list"], cwd: cwd)
        #expect(libs.code == 0 && libs.out.contains("acme            1.2.0     lunar.toml"))
        let modules = try lunar(["list", "modules"], cwd: cwd)
        #expect(modules.out.contains("acme.momentum") && modules.out.contains("acme.momentum.roc(x, n)"))
        let strategies = try lunar(["list", "strategies"], cwd: cwd)
        #expect(strategies.out.contains("acme_pullback") && strategies.out.contains("acme_trend"))
        #expect(strategies.out.contains("lookback = 10     [2..60]  bars of momentum"))
        let indicators = try lunar(["list", "indicators"], cwd: cwd)
        #expect(indicators.out.contains("ta.sma(x, period)") && indicators.out.contains("acme.bands.zscore(x, n)"))
        let doc = try lunar(["doc", "acme.bands.zscore"], cwd: cwd)
        #expect(doc.code == 0 && doc.out.contains("Rolling z-score") && doc.out.contains("n         window length in bars (default 20)"))
        let missing = try lunar(["doc", "acme.bands.zscor"], cwd: cwd)
        #expect(missing.code != 0 && missing.err.contains("did you mean 'acme.bands.zscore'"))
        let run = try lunar(["run", "strategies/acme_pullback.lua", "--data", "synthetic:5:200"], cwd: cwd)
        #expect(run.code == 0, "\(run.err)")
    }
}
