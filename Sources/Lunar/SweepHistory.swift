import Foundation
import LunarData
import LunarHistory

/// Sweeps in the run history: the chosen combination is recorded like a `lunar run` (so
/// `lunar runs rerun` replays it), with the kind, the trial count and the statistics; and the
/// trials of earlier sweeps of the same strategy on the same data count toward the next DSR.
public enum SweepHistory {
    /// The record of `result`'s chosen combination: its backtest run again with those
    /// parameters (one more backtest), marked as a sweep of `result.rows.count` trials.
    public static func record(_ result: SweepResult, kind: String = "sweep", strategyPath: String, panel: Panel,
                              options: BacktestOptions, data: DataOrigin) throws -> RunRecord {
        guard let best = result.rows.first else { throw ScriptError("a sweep without combinations has nothing to record") }
        var o = options
        o.params = Dictionary(uniqueKeysWithValues: best.params.map { ($0.name, $0.value) })
        var record = try Backtest.run(strategyPath: strategyPath, panel: panel, options: o).record(data: data, options: o)
        record.kind = kind
        record.trials = result.rows.count
        return record
    }

    /// Earlier sweeps' trials for the strategy and data of `record`, from the history at
    /// `path` (none when there is no history yet).
    public static func earlier(for record: RunRecord, history path: String) throws -> [(createdAt: String, trials: Int)] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        return try RunHistory(path: path).trials(strategyPath: record.strategyPath, dataHash: record.dataHash)
    }

    /// A walk-forward's record: the last window's chosen combination, with the stitched
    /// out-of-sample metrics (not replayable bit for bit: `lunar runs rerun` refuses it).
    public static func record(_ wf: WalkForwardResult, combinations: Int, strategyPath: String, panel: Panel,
                              options: BacktestOptions, data: DataOrigin) throws -> RunRecord {
        guard let last = wf.windows.last else { throw ScriptError("a walk-forward without windows has nothing to record") }
        var o = options
        o.params = Dictionary(uniqueKeysWithValues: last.chosen.map { ($0.name, $0.value) })
        var record = try Backtest.run(strategyPath: strategyPath, panel: panel, options: o).record(data: data, options: o)
        record.kind = "walkforward"
        record.trials = combinations
        record.metrics = Dictionary(uniqueKeysWithValues: wf.outOfSample.fields.map { ($0.0, $0.1.isNaN ? nil : $0.1) })
        record.resultHash = ""
        return record
    }
}
