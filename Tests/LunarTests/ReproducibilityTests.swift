import Foundation
import LunarTestSupport
import Testing
@testable import Lunar

/// Every recorded run replays bit for bit, whatever settings it was made with; the precedence
/// defaults < strategy table < overrides holds in every entry point.
@Suite struct ReproducibilityTests {
    static let panel = Synthetic.panel(symbols: 24, bars: 400, seed: 11)

    static func options() -> BacktestOptions {
        var o = BacktestOptions()
        o.stdlib = Fixtures.stdlib
        o.simulation.threads = 2
        return o
    }

    /// A target strategy (score, top 3) for the settings that only targets read.
    static let targets: String = Fixtures.write("""
        local ta = require "ta"
        return strategy {
          top = 3,
          signals = function(bars) return { score = bars.close / ta.shift(bars.close, 20) - 1 } end,
        }
        """, "targets.lua", in: Fixtures.tempDir())

    static func strategy(for needs: SettingSamples.Needs) -> String {
        needs == .targets ? targets : Fixtures.path("strategies/sma_cross.lua")
    }

    /// Intraday bars on a New York clock, as a CSV the record names (session and flat_at need them).
    static let intradayCSV = Intraday.csv(in: Fixtures.tempDir())

    /// One run per setting, made with that setting's sample value as an override, recorded in
    /// a real history, read back, and replayed from the record alone.
    @Test(arguments: Setting.all.map(\.name))
    func rerunReproducesEverySetting(_ name: String) throws {
        let sample = try #require(SettingSamples.values[name])
        let text = name == "benchmark" ? Self.panel.symbols[1] : sample.valid
        var o = Self.options()
        try o.override(sample.needs == .intraday ? [name: text, "timezone": Intraday.timezone] : [name: text])
        let path = Self.strategy(for: sample.needs)
        let spec = sample.needs == .intraday ? Self.intradayCSV : "synthetic:24:400:11"
        let panel = sample.needs == .intraday ? try DataOrigin(spec: spec).load() : Self.panel
        let first = try Backtest.run(strategyPath: path, panel: panel, options: o)
        #expect(first.simulationOptions.settings[name] == Setting.builtIn(name).parse(text))
        let history = try RunHistory(path: Fixtures.tempDir() + "/runs.sqlite")
        let saved = try history.record(first.record(data: DataOrigin(spec: spec), options: o))
        let recorded = try history.run(id: try #require(saved.id))
        #expect(recorded.settings == first.simulationOptions.settings)

        let replay = try BacktestOptions(recorded: recorded, stdlib: Fixtures.stdlib)
        let again = try Backtest.run(strategyPath: recorded.strategyPath, panel: try Rerun.loadData(recorded), options: replay)
        let new = again.record(data: DataOrigin(spec: recorded.dataSpec), options: replay)
        #expect(Rerun.changedInputs(recorded, panel: again.panel).isEmpty)
        #expect(new.resultHash == recorded.resultHash)
        #expect(again.equity == first.equity)
        #expect(Rerun.metricDifferences(recorded, new).isEmpty)
        #expect(Rerun.settingDifferences(recorded, new).isEmpty)
    }

    /// The recorded settings win over a strategy table edited since, and the edit is reported.
    @Test func rerunKeepsTheRecordedSettingsWhenTheStrategyChanges() throws {
        let dir = Fixtures.tempDir()
        let source = try String(contentsOfFile: Fixtures.path("strategies/sma_cross.lua"), encoding: .utf8)
        let path = Fixtures.write(source, "sma.lua", in: dir)
        var o = Self.options()
        try o.override(["fees": "0.002", "fill": "next_open"])
        let first = try Backtest.run(strategyPath: path, panel: Self.panel, options: o)
        let record = first.record(data: DataOrigin(spec: "synthetic:24:400:11"), options: o)
        Fixtures.write(source.replacingOccurrences(of: "return strategy {", with: "return strategy {\n  fees = 0.05, stop_loss = 0.02,"),
                       "sma.lua", in: dir)
        let again = try Backtest.run(strategyPath: path, panel: Self.panel, options: try BacktestOptions(recorded: record))
        #expect(again.simulationOptions == first.simulationOptions)
        #expect(again.equity == first.equity)
        #expect(Rerun.changedInputs(record, panel: Self.panel) == ["\(URL(fileURLWithPath: path).standardizedFileURL.path) changed"])
    }

    /// Changed data are named precisely.
    @Test func changedDataAreDescribed() throws {
        let first = try Backtest.run(strategyPath: Fixtures.path("strategies/sma_cross.lua"), panel: Self.panel, options: Self.options())
        let record = first.record(data: DataOrigin(spec: "synthetic:24:400:11"), options: Self.options())
        let other = Synthetic.panel(symbols: 23, bars: 400, seed: 11)
        #expect(Rerun.changedInputs(record, panel: other) == ["the data (synthetic:24:400:11) changed: 24 → 23 symbols"])
    }

    // MARK: - precedence

    /// A strategy that sets fees and the fill in its table.
    static let tabled: String = {
        let source = (try? String(contentsOfFile: Fixtures.path("strategies/sma_cross.lua"), encoding: .utf8)) ?? ""
        return Fixtures.write(source.replacingOccurrences(of: "return strategy {", with: "return strategy {\n  fees = 0.01, fill = \"next_open\","),
                              "tabled.lua", in: Fixtures.tempDir())
    }()

    static func layered(override: Bool) -> BacktestOptions {
        var o = options()
        o.simulation.fees = 0.005          // the API's default: the table beats it
        o.simulation.slippage = 0.001      // not in the table: it stays
        if override { o.overrides = ["fees": 0.002] }
        return o
    }

    @Test func backtestPrecedence() throws {
        let table = try Backtest.run(strategyPath: Self.tabled, panel: Self.panel, options: Self.layered(override: false))
        #expect(table.simulationOptions.fees == 0.01 && table.simulationOptions.fill == .nextOpen && table.simulationOptions.slippage == 0.001)
        let flag = try Backtest.run(strategyPath: Self.tabled, panel: Self.panel, options: Self.layered(override: true))
        #expect(flag.simulationOptions.fees == 0.002 && flag.simulationOptions.fill == .nextOpen)
    }

    /// A sweep row equals the single run with the same layers, so the sweep resolved them alike.
    @Test func sweepPrecedence() throws {
        let single = try Backtest.run(strategyPath: Self.tabled, panel: Self.panel, options: Self.layered(override: true))
        var request = SweepRequest(space: [try ParamSpace.parse("fast=10"), try ParamSpace.parse("slow=50")])
        request.metric = "total_return"
        let sweep = try Sweep.run(strategyPath: Self.tabled, panel: Self.panel, options: Self.layered(override: true), request: request)
        #expect(sweep.rows[0].metrics == single.portfolio)
    }

    /// Walk-forward with an override equals walk-forward of a file whose table says the same.
    @Test func walkForwardPrecedence() throws {
        let request = WalkForwardRequest(sweep: SweepRequest(space: [try ParamSpace.parse("fast=5,10")]), train: 200, test: 100)
        let flagged = try WalkForward.run(strategyPath: Self.tabled, panel: Self.panel, options: Self.layered(override: true), request: request)
        let source = try String(contentsOfFile: Self.tabled, encoding: .utf8).replacingOccurrences(of: "fees = 0.01", with: "fees = 0.002")
        let same = Fixtures.write(source, "tabled.lua", in: Fixtures.tempDir())
        let tabled = try WalkForward.run(strategyPath: same, panel: Self.panel, options: Self.layered(override: false), request: request)
        #expect(flagged.equity == tabled.equity)
        let unflagged = try WalkForward.run(strategyPath: Self.tabled, panel: Self.panel, options: Self.layered(override: false), request: request)
        #expect(unflagged.equity != flagged.equity)
    }

    @Test func watchPrecedence() throws {
        let watcher = Watcher(strategyPath: Self.tabled, panel: Self.panel, options: Self.layered(override: true), forcePolling: true)
        var fees: Double? = nil
        watcher.run { event in
            if case .result(let r, _, _, _) = event { fees = r.simulationOptions.fees }
            watcher.stop()
        }
        #expect(fees == 0.002)
    }

    /// A per-bar strategy replays too (its workers run the bytes the run loaded).
    @Test func perBarRerun() throws {
        var o = Self.options()
        try o.override(["stop_loss": "0.04", "fill": "next_open", "fees": "0.001"])
        let first = try Backtest.run(strategyPath: Fixtures.path("strategies/sma_cross_bar.lua"), panel: Self.panel, options: o)
        let record = first.record(data: DataOrigin(spec: "synthetic:24:400:11"), options: o)
        let again = try Backtest.run(strategyPath: record.strategyPath, panel: Self.panel, options: try BacktestOptions(recorded: record))
        #expect(again.record(data: DataOrigin(spec: "synthetic:24:400:11"), options: o).resultHash == record.resultHash)
    }
}
