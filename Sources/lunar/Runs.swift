import ArgumentParser
import Foundation
import Lunar

/// Records a finished run; a history problem is a warning, never a lost result.
func recordRun(_ result: BacktestResult, data: DataOrigin, options: BacktestOptions, history: String) {
    saveRecord(result.record(data: data, options: options), history: history)
}

/// Stores a record; a history that cannot be written is a warning, not a failed run.
func saveRecord(_ record: RunRecord, history: String) {
    do {
        let saved = try RunHistory(path: history).record(record)
        if isatty(2) != 0 { FileHandle.standardError.write(Data("recorded as \(record.kind) \(saved.id ?? 0) in \(history)\n".utf8)) }
    } catch {
        FileHandle.standardError.write(Data("warning: this \(record.kind) was not recorded: \(error)\n".utf8))
    }
}

struct Runs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, show, compare and reproduce recorded runs.",
        subcommands: [ListRuns.self, Show.self, Diff.self, Rerun.self], defaultSubcommand: ListRuns.self)

    struct HistoryOption: ParsableArguments {
        @Option(help: "The run-history database.") var history = RunHistory.defaultPath
        func open() throws -> RunHistory {
            guard FileManager.default.fileExists(atPath: history) else {
                throw ValidationError("no run history at \(history) yet: `lunar run` records every run there")
            }
            return try RunHistory(path: history)
        }
    }

    struct ListRuns: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Recorded runs, newest first.")
        @OptionGroup var options: HistoryOption
        @Option(help: "Only runs whose strategy path or name contains this.") var strategy: String?
        @Option(help: "How many runs to show.") var limit = 30

        func run() throws {
            do {
                let runs = try options.open().list(strategy: strategy, limit: limit)
                print("  id  when                  strategy                 params                      return   sharpe")
                for r in runs {
                    let params = r.params.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                    print(pad(String(r.id ?? 0), 4, left: true) + "  " + pad(String(r.createdAt.prefix(19)), 20) + "  " +
                          pad(r.kind == "run" ? r.strategyName : "\(r.strategyName) (\(r.kind) of \(r.trials))", 23) + "  " + pad(params, 26) + "  " +
                          pad(metricText(r, "total_return"), 8, left: true) + " " +
                          pad(metricText(r, "sharpe"), 8, left: true))
                }
            } catch { throw fail(error) }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Everything recorded about one run.")
        @OptionGroup var options: HistoryOption
        @Argument var id: Int64

        func run() throws {
            do {
                let r = try options.open().run(id: id)
                print("\(r.kind) \(id)  \(r.createdAt)  lunar \(r.lunarVersion)" + (r.kind == "run" ? "" : "  (\(r.trials) trials; params are the chosen combination's)"))
                print("strategy  \(r.strategyName)  \(r.strategyPath)  #\(r.strategyHash)")
                for (f, h) in r.files.sorted(by: { $0.key < $1.key }) where f != r.strategyPath { print("module    \(f)  #\(h)") }
                for lib in r.libraries { print("library   \(lib.summary)") }
                print("params    " + r.params.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "  "))
                print("options   " + r.options.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "  "))
                if !r.settings.isEmpty {
                    print("settings  " + Setting.all.compactMap { s in r.settings[s.name].map { "\(s.name)=\($0)" } }.joined(separator: "  "))
                }
                print("data      \(r.dataSpec): \(r.dataSymbols) symbols, \(r.dataFirst) → \(r.dataLast)  #\(r.dataHash)")
                for (k, v) in r.metrics.sorted(by: { $0.key < $1.key }) { print(pad(k, 16) + show(v)) }
                if !r.statistics.isEmpty {
                    print("statistics")
                    for (k, v) in r.statistics.sorted(by: { $0.key < $1.key }) { print(pad("  " + k, 22) + show(v)) }
                }
            } catch { throw fail(error) }
        }
    }

    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Parameter and metric differences between two runs.")
        @OptionGroup var options: HistoryOption
        @Argument var a: Int64
        @Argument var b: Int64

        func run() throws {
            do {
                let h = try options.open()
                let x = try h.run(id: a), y = try h.run(id: b)
                if x.strategyPath != y.strategyPath { print("strategy: \(x.strategyPath) → \(y.strategyPath)") }
                if x.strategyHash != y.strategyHash { print("strategy file content differs") }
                if x.dataHash != y.dataHash { print("data: \(x.dataSpec) → \(y.dataSpec) (content differs)") }
                for k in Set(x.params.keys).union(y.params.keys).sorted() where x.params[k] != y.params[k] {
                    print("param \(k): \(x.params[k] ?? "-") → \(y.params[k] ?? "-")")
                }
                for k in Set(x.options.keys).union(y.options.keys).sorted() where x.options[k] != y.options[k] {
                    print("option \(k): \(x.options[k] ?? "-") → \(y.options[k] ?? "-")")
                }
                for (k, u, v) in Lunar.Rerun.settingDifferences(x, y) {
                    print("setting \(k): \(u.map(\.description) ?? "-") → \(v.map(\.description) ?? "-")")
                }
                let diffs = Lunar.Rerun.metricDifferences(x, y)
                if diffs.isEmpty { print("metrics: identical") }
                for (k, u, v) in diffs { print(metricChangeLine(k, u, v)) }
            } catch { throw fail(error) }
        }
    }

    struct Rerun: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run a recorded run again and compare.")
        @OptionGroup var options: HistoryOption
        @Argument var id: Int64
        @Flag(help: "Do not record the new run.") var noRecord = false

        func run() throws {
            do {
                let h = try options.open()
                let r = try h.run(id: id)
                guard r.kind != "walkforward" else {
                    throw ValidationError("run \(id) is a walk-forward: its record holds the stitched out-of-sample result, which `lunar walkforward` recomputes; rerun replays single runs and a sweep's chosen combination")
                }
                let panel = try Lunar.Rerun.loadData(r)
                var changes = Lunar.Rerun.changedInputs(r, panel: panel)
                let opts = try BacktestOptions(recorded: r)
                let result = try Backtest.run(strategyPath: r.strategyPath, panel: panel, options: opts)
                let origin = Lunar.Rerun.origin(r)
                let new = result.record(data: origin, options: opts)
                changes += Lunar.Rerun.changedLibraries(r, new) + Lunar.Rerun.changedFiles(r, new)
                if changes.isEmpty { print("inputs unchanged since run \(id)") } else {
                    print("inputs changed since run \(id), so results may differ:")
                    for c in changes { print("  - \(c)") }
                }
                for (k, u, v) in Lunar.Rerun.settingDifferences(r, new) where !r.settings.isEmpty {
                    print("  setting \(k): \(u.map(\.description) ?? "-") → \(v.map(\.description) ?? "-")")
                }
                let diffs = Lunar.Rerun.metricDifferences(r, new)
                let sameBits = !r.resultHash.isEmpty && r.resultHash == new.resultHash
                if diffs.isEmpty && (sameBits || r.resultHash.isEmpty) {
                    print(sameBits ? "reproduced: the equity curve and every trade are identical, bit for bit"
                                   : "reproduced: every metric is identical")
                } else {
                    print(diffs.isEmpty ? "metrics are identical but the equity or trades differ (result hash \(r.resultHash) → \(new.resultHash))"
                                        : "metrics differ:")
                    for (k, u, v) in diffs { print("  \(pad(k, 16)) \(show(u)) → \(show(v))") }
                }
                if !noRecord { recordRun(result, data: origin, options: opts, history: options.history) }
                let differs = !diffs.isEmpty || (!r.resultHash.isEmpty && !sameBits)
                if differs && changes.isEmpty { throw ExitCode(2) }   // same inputs, different results: a bug
            } catch let e as ExitCode { throw e } catch { throw fail(error) }
        }
    }
}

func show(_ v: Double?) -> String { v.map { "\($0)" } ?? "n/a" }

func metric(_ r: RunRecord, _ key: String) -> Double { (r.metrics[key] ?? nil) ?? .nan }

/// A recorded metric in its unit (`MetricFormat`).
func metricText(_ r: RunRecord, _ key: String) -> String { MetricFormat.text(key, metric(r, key)) }

/// `sharpe   0.812 → 1.034   ↑ 0.222  better`: both values in the metric's unit, the change, and
/// whether it is better or worse in the metric's own direction ("neither" for a neutral metric).
/// When the values differ below the unit's precision, the exact values follow.
/// A recorded nil is a non-finite value.
func metricChangeLine(_ key: String, _ before: Double?, _ after: Double?) -> String {
    let u = before ?? .nan, v = after ?? .nan
    let (a, b) = (MetricFormat.text(key, u), MetricFormat.text(key, v))
    var line = pad(key, 18) + pad(a, 14, left: true) + " → " + pad(b, 14, left: true)
    if let (change, verdict) = MetricFormat.change(key, from: u, to: v) {
        // Both values are finite here, so `.changed` is a neutral metric's change.
        line += "   " + pad(change, 14) + [.better: "better", .worse: "worse", .changed: "neither"][verdict, default: ""]
    }
    if a == b { line += "   (\(show(before)) → \(show(after)))" }
    while line.hasSuffix(" ") { line.removeLast() }
    return line
}

func pad(_ s: String, _ w: Int, left: Bool = false) -> String {
    left ? ConsoleSummary.leftPad(s, w) : ConsoleSummary.pad(s, w)
}
