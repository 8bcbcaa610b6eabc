import Foundation
import LunarTestSupport
import Testing
import Lunar

/// Registration is process-wide and happens once, as a host program would do it at start-up.
enum Plugins {
    static let registered: Void = {
        do { try Registry.register(AcmePrimitives()) } catch { fatalError("\(error)") }
        PanelSources.register(RampSourceFactory())
    }()
}

@Suite struct PluginExampleTests {
    init() { _ = Plugins.registered }

    @Test func thePrimitiveRunsFromLuaStrategiesAndTests() throws {
        // From a strategy file, on data from the plugin's source.
        let dir = Fixtures.tempDir()
        let strategy = Fixtures.write("""
            local ta = require "ta"
            return strategy {
              params = { halflife = 1, level = 4 },
              signals = function(bars, p)
                return { entries = ta.decayed_sum(bars.close, p.halflife):gt(p.level) }
              end,
            }
            """, "decay.lua", in: dir)
        let panel = try DataSource.load("ramp:2:4")
        #expect(panel.symbols == ["R0", "R1"] && Array(panel.series("close", symbol: 1)) == [2, 3, 4, 5])
        var options = BacktestOptions()
        options.stdlib = Fixtures.stdlib
        let r = try Backtest.run(strategyPath: strategy, panel: panel, options: options)
        // R0: sums 1, 2.5, 4.25 → first above 4 at bar 2; R1: 2, 4, 6 → bar 2 (4 is not above 4).
        #expect(r.runs.map { $0.trades.map(\.entryBar) } == [[2], [2]])

        // From a Lua test, through the assertion API.
        Fixtures.write("""
            local ta = require "ta"
            test("decayed_sum halves the past every halflife bars", function()
              local p = panel { close = { 1, 2, 3, nan, 4 } }
              expect_series(ta.decayed_sum(p.close, 1), p).near({ 1, 2.5, 4.25, nan, 6.125 }, 1e-12)
              expect_series(ta.decayed_sum(p.close), p).near({ 1, 1 * 0.5 ^ 0.1 + 2, nil }, 1e-12)
            end)
            """, "decay_test.lua", in: dir)
        let results = try LuaTests.run(paths: [dir + "/decay_test.lua"], libraries: LibrarySettings(stdlib: Fixtures.stdlib))
        #expect(results.first?.cases.first?.failure?.contains("series has 5 bars, expected 2 values") == true,
                "a short expectation list is a failure, not a pass")
    }

    @Test func theKernelGivesTheSameValuesInAnyBlocking() throws {
        let spec = try #require(Registry.spec("decayed_sum"))
        let x: [Double] = [3, 1, .nan, 4, 1, 5, 9, 2, 6]
        func run(blocks: [Int]) -> [Double] {
            var kernel = spec.makeKernel([2])
            var out = [Double](repeating: 0, count: x.count)
            var start = 0
            for n in blocks {
                x.withUnsafeBufferPointer { xs in
                    out.withUnsafeMutableBufferPointer { os in
                        let ins = [xs.baseAddress! + start], outs = [os.baseAddress! + start]
                        ins.withUnsafeBufferPointer { i in outs.withUnsafeBufferPointer { o in kernel.run(i, o, count: n) } }
                    }
                }
                start += n
            }
            return out
        }
        let whole = run(blocks: [9])
        for split in [[1, 8], [4, 5], [2, 2, 2, 3]] {
            #expect(zip(whole, run(blocks: split)).allSatisfy { near($0, $1) }, "\(split)")
        }
        #expect(near(whole[3], 4 + (1 + 3 * pow(0.5, 0.5)) * pow(0.5, 0.5)))
    }

    @Test func registrationRefusesDuplicatesAndBadNames() throws {
        #expect(throws: RegistryError.duplicate("decayed_sum")) { try Registry.register(AcmePrimitives()) }
        #expect(throws: RegistryError.duplicate("sma")) { try Registry.register(Registry.spec("sma")!) }
        let bad = PrimitiveSpec(name: "Bad-Name", category: "x", summary: "", formula: "", inputs: [.init("x")],
                                lookback: { _ in 0 }, kernel: { _ in DecayedSumKernel(decay: 0) })
        #expect { try Registry.register(bad) } throws: { "\($0)".contains("lower snake case") }
        #expect(Registry.spec("Bad-Name") == nil)
        #expect(Registry.names.prefix(Registry.builtIns.count).elementsEqual(Registry.builtIns.map(\.name)))
    }

    @Test func sinksReceiveEveryRun() throws {
        final class Collector: ResultSink, @unchecked Sendable {
            var names: [String] = []
            func deliver(_ report: RunReport, context: RunContext) throws { names.append(report.strategyName) }
        }
        var options = BacktestOptions()
        options.stdlib = Fixtures.stdlib
        let r = try Backtest.run(strategyPath: Fixtures.path("strategies/sma_cross.lua"), panel: DataSource.load("ramp:1:60"), options: options)
        let collector = Collector()
        var printed = ""
        let dir = Fixtures.tempDir()
        try ResultSinks.deliver(r.report, to: [FileSink(directory: dir), ConsoleSink(output: { printed += $0 }), collector])
        #expect(collector.names == ["sma_cross"])
        #expect(printed.hasPrefix("sma_cross  (") && FileManager.default.fileExists(atPath: dir + "/summary.json"))
        #expect { try DataSource.load("ramp:x") } throws: { "\($0)".contains("bad ramp spec 'ramp:x'") }
    }
}
