import ArgumentParser
import Foundation
import Lunar
import LunarWeb

/// Options shared by `sweep` and `walkforward`.
struct SweepOptions: ParsableArguments {
    @Option(name: .customLong("param"), help: "A swept parameter: name=start:stop:step, name=a,b,c or name=value (repeatable).", completion: .custom(parameterCompletions))
    var params: [String] = []
    @Option(name: .customLong("where"), help: "Keep combinations where this Lua expression holds, e.g. \"fast < slow\".")
    var condition: String?
    @Option(help: "The metric to rank by (a summary.json key).") var metric = "sharpe"
    @Option(help: "Draw this many random combinations instead of the whole grid.") var samples: Int?
    @Option(help: "How combinations are chosen: grid (all), random (--trials draws) or tpe (a tree-structured Parzen estimator spending --trials evaluations).")
    var search: String = "grid"
    @Option(help: "Evaluations for --search random or tpe.") var trials: Int?
    @Option(help: "Seed for --samples and --search random|tpe.") var seed: UInt64 = 42
    @Option(help: "Refuse grids larger than this before any work starts.") var maxCombinations = 1_000_000
    @Option(help: "The annualized Sharpe ratio the PSR (and the reading of the DSR) is measured against.") var psrBenchmark = 0.0
    @Option(help: "Blocks of the PBO's combinatorially symmetric cross-validation (even, ≥ 2).") var pboBlocks = 16
    @OptionGroup(title: "Settings (each one given overrides the strategy table)") var sim: SimulationFlags
    @OptionGroup var scriptLimits: ScriptLimitFlags
    @Option(help: "Worker threads (default: all cores).") var threads: Int?
    @OptionGroup var libraries: LibraryOptions

    func validate() throws {
        guard pboBlocks >= 2, pboBlocks % 2 == 0 else { throw ValidationError("--pbo-blocks must be even and ≥ 2, got \(pboBlocks)") }
        guard psrBenchmark.isFinite else { throw ValidationError("--psr-benchmark must be a number") }
    }

    func request() throws -> SweepRequest {
        var r = SweepRequest(space: try params.map(ParamSpace.parse))
        r.condition = condition
        r.metric = metric
        r.samples = samples
        guard let kind = SearchKind(rawValue: search) else {
            throw ValidationError("--search takes \(SearchKind.allCases.map(\.rawValue).joined(separator: ", ")), got '\(search)'")
        }
        r.search = kind
        r.trials = trials
        if kind != .grid && trials == nil { throw ValidationError("--search \(search) needs --trials N") }
        r.seed = seed
        r.maxCombinations = maxCombinations
        return r
    }

    func backtestOptions() throws -> BacktestOptions {
        var o = BacktestOptions()
        o.libraries = try libraries.settings()
        o.overrides = try sim.overrides
        scriptLimits.apply(to: &o)
        if let threads { o.simulation.threads = threads }
        return o
    }
}

/// "12/174  7 %  ETA 3.2 s" on stderr while a terminal watches.
final class ProgressLine {
    private var clock = Stopwatch()
    private var elapsed = 0.0
    private let label: String
    init(_ label: String) { self.label = label }
    func update(_ done: Int, _ total: Int) {
        guard isatty(2) != 0 else { return }
        elapsed += clock.lap()
        let eta = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
        let text = "\r\u{1B}[K\(label) \(done)/\(total)  \(done * 100 / max(total, 1)) %  ETA \(ConsoleSummary.fixed(eta, 1)) s"
        FileHandle.standardError.write(Data(text.utf8))
        if done == total { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sweep", abstract: "Run every parameter combination and rank them.")

    @Argument(help: "The strategy's Lua file.", completion: .file(extensions: ["lua"])) var strategy: String
    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var sweep: SweepOptions
    @Option(help: "Rows to show (--top is the setting: hold the N best-scored symbols).") var rows = 10
    @Flag(help: "Print the result as JSON: every combination's parameters and metrics, and the statistics.") var json = false
    @Flag(help: "Do not record this sweep in the run history.") var noRecord = false
    @Option(help: "The run-history database.") var history = RunHistory.defaultPath
    @Option(help: "Write sweep.csv and sweep.html to this folder (with --shard: the shard's partial result).") var out: String?
    @OptionGroup var outputFormat: FormatOption
    @OptionGroup(title: "Shards (docs/cluster.md)") var shards: ShardOptions
    @OptionGroup(title: "Live page") var live: ServeOptions

    func validate() throws {
        guard rows >= 1 else { throw ValidationError("--rows must be ≥ 1, got \(rows)") }
        try shards.check(out: out)
        if live.serve && shards.shard != nil { throw ValidationError("--serve shows a whole sweep: give it without --shard") }
    }

    func run() throws {
        do {
            if let shard = try shards.spec() {
                return try ShardRun.perform(kind: "sweep", noun: "combinations", strategy: strategy, out: out!, shard: shard,
                                            resume: shards.resume) {
                    var request = try sweep.request()
                    request.shard = shard
                    let r = try Sweep.run(strategyPath: strategy, panel: try dataOptions.load(), options: try sweep.backtestOptions(),
                                          request: request, progress: ProgressLine("sweep shard \(shard)").update)
                    return .init(payload: r.shardPayload(), range: r.slice!.range, total: r.slice!.total)
                }
            }
            let panel = try dataOptions.load()
            let progress = ProgressLine("sweep")
            let request = try sweep.request()
            var page: SweepLive? = nil
            if live.serve {
                let total = request.search == .grid ? try Sweep.combinations(request).count : (request.trials ?? 0)
                let title = URL(fileURLWithPath: strategy).deletingPathExtension().lastPathComponent
                let state = LiveState()
                page = SweepLive(state: state, strategy: title, metric: request.metric, space: request.space, total: total)
                LivePage.start(state, page: .sweep(title: title), host: live.host, port: live.port, rerun: nil)
            }
            let result = try Sweep.run(strategyPath: strategy, panel: panel, options: try sweep.backtestOptions(),
                                       request: request, progress: progress.update, finished: page.map { p in { p.add($0) } })
            let statistics = try finish(result, panel: panel)
            if let page {
                page.finish(statistics: statistics)
                say("the sweep is finished; its page stays up until Ctrl-C")
                while true { Thread.sleep(forTimeInterval: 3600) }
            }
        } catch { throw fail(error) }
    }

    /// The record, the statistics, the table (or JSON) and the files: what a sweep (or the
    /// merge of its shards) ends with.
    /// Returns the statistics block as printed.
    @discardableResult
    func finish(_ result: SweepResult, panel: Panel) throws -> String {
        do {
            // The chosen combination as a run record; earlier sweeps of it on these data add trials.
            let options = try sweep.backtestOptions()
            var record = try SweepHistory.record(result, strategyPath: strategy, panel: panel, options: options, data: dataOptions.origin)
            let earlier = (try? SweepHistory.earlier(for: record, history: history)) ?? []
            let stats = try SweepStatistics(result, space: try sweep.request().space, barsPerYear: Calendar.barsPerYear(panel.timestamps),
                                            earlier: earlier, benchmarkSharpe: sweep.psrBenchmark, blocks: sweep.pboBlocks)
            record.statistics = stats.recorded
            defer { if !noRecord { saveRecord(record, history: history) } }
            if json {
                print(try SweepJSON.document(result, statistics: stats.json, symbols: panel.symbolCount, bars: panel.barCount))
                if let out { try report(result, stats, panel).write(to: out, format: outputFormat.value) }
                return SweepStatisticsText.render(stats, metric: result.metric)
            }
            let names = result.rows.first?.params.map(\.name) ?? []
            print("\(result.strategyName): \(result.rows.count) combinations on \(panel.symbolCount) symbols × \(panel.barCount) bars in \(ConsoleSummary.fixed(result.seconds, 2)) s, ranked by \(result.metric) (\(MetricFormat.ranking(result.metric)))\n")
            // The ranking metric's column, then the usual ones; each value in its metric's unit.
            let shown = [result.metric] + ["total_return", "sharpe", "max_drawdown", "trades"].filter { $0 != result.metric }
            let header = ["rank"] + names + shown
            let widths = header.map { max(13, $0.count + 2) }
            print(zip(header, widths).map { pad($0, $1, left: true) }.joined())
            for (k, r) in result.rows.prefix(rows).enumerated() {
                let cells = ["\(k + 1)"] + r.params.map(\.value) + shown.map { MetricFormat.text($0, r.metrics.value($0)) }
                print(zip(cells, widths).map { pad($0, $1, left: true) }.joined())
            }
            let text = SweepStatisticsText.render(stats, metric: result.metric)
            print("\n" + text, terminator: "")
            if let out {
                try report(result, stats, panel).write(to: out, format: outputFormat.value)
                let ext = outputFormat.value.fileExtension
                print("\nwrote \(out)/sweep.\(ext), \(out)/sweep.html and \(out)/returns.\(ext) (each combination's per-bar returns)")
            }
            return text
        } catch { throw fail(error) }
    }
}

extension SweepCommand {
    /// sweep.csv, sweep.html (with the statistics and their charts) and returns.csv.
    func report(_ result: SweepResult, _ stats: SweepStatistics, _ panel: Panel) -> SweepTable {
        var table = SweepTable(strategy: result.strategyName, metric: result.metric, paramNames: result.rows.first?.params.map(\.name) ?? [],
                               rows: result.rows.map { ($0.params.map(\.value), $0.metrics) })
        table.overfitting = .init(lines: SweepStatisticsText.render(stats, metric: result.metric).split(separator: "\n").map(String.init),
                                  logits: stats.overfitting?.logits ?? [], degradation: stats.overfitting?.degradation ?? [])
        table.returns = (panel.timestamps.dropFirst().map { Calendar.format($0, daily: panel.isDaily) },
                         result.rows.map { SweepStatistics.returns($0.equity) })
        return table
    }
}

/// The statistics block under a sweep's table (docs/sweeps.md, "Is the winner real?").
enum SweepStatisticsText {
    static func render(_ s: SweepStatistics, metric: String) -> String {
        func f(_ v: Double, _ d: Int = 3) -> String { v.isFinite ? String(format: "%.\(d)f", v) : "n/a" }
        func pct(_ v: Double) -> String { v.isFinite ? String(format: "%.1f %%", v * 100) : "n/a" }
        let count = s.earlierTrials == 0 ? "\(s.trials) trials" : "\(s.trials) trials, of which \(s.trialsBeforeToday) before today (\(s.earlierTrials) in earlier sweeps of this strategy on these data)"
        var out = (s.kind == "walkforward" ? "is the out-of-sample result real? (\(count))\n" : "is the winner real? (\(count))\n")
        out += "  PSR \(f(s.probabilisticSharpe)): probability its true Sharpe is above \(s.benchmarkSharpe == 0 ? "0" : f(s.benchmarkSharpe, 2) + " a year") (per-bar Sharpe \(f(s.sharpe, 4)))\n"
        out += "  DSR \(f(s.deflatedSharpe)): the same against \(f(s.expectedMaximumSharpe, 4)), what the best of \(s.trials) unskilled trials reaches by luck (variance of the trials' Sharpe \(f(s.sharpeVariance, 6)))\n"
        if let o = s.overfitting {
            out += "  PBO \(f(o.probability)): share of \(o.logits.count) CSCV splits (\(o.blocks) blocks) where the in-sample best is at or below the median out of sample\n"
        } else {
            out += "  PBO n/a: \(s.overfittingProblem ?? "not computed")\n"
        }
        out += "  90 % bootstrap intervals (stationary, mean block \(f(s.block, 1)) bars): Sharpe \(f(s.sharpeInterval.low, 2)) … \(f(s.sharpeInterval.high, 2)), "
            + "CAGR \(pct(s.cagrInterval.low)) … \(pct(s.cagrInterval.high)), max drawdown \(pct(s.drawdownInterval.low)) … \(pct(s.drawdownInterval.high))\n"
        if let p = s.plateau {
            let sign = (Metrics.info(metric)?.direction == .lower) ? -1.0 : 1.0
            out += "  plateau: \(metric) \(f(sign * p.score)) over the best and its \(p.neighbours) grid neighbours (best \(f(sign * p.best)))"
                + (p.isolated ? "; warning: the best is an isolated peak, its neighbours do not share its score" : "") + "\n"
        }
        return out
    }
}

struct WalkForwardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "walkforward",
        abstract: "Choose parameters in-sample, apply them out-of-sample, window by window.")

    @Argument(help: "The strategy's Lua file.", completion: .file(extensions: ["lua"])) var strategy: String
    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var sweep: SweepOptions
    @Option(help: "Bars in each training window.") var train = 504
    @Option(help: "Bars in each out-of-sample window.") var test = 126
    @Flag(help: "Train on all the history so far instead of a rolling window.") var anchored = false
    @Flag(help: "Print the result as JSON: every window and the statistics.") var json = false
    @Flag(help: "Do not record this walk-forward in the run history.") var noRecord = false
    @Option(help: "The run-history database.") var history = RunHistory.defaultPath
    @Option(help: "Write walkforward.json (every window and the statistics) and equity.csv (the stitched out-of-sample value) to this folder (with --shard: the shard's partial result).")
    var out: String?
    @OptionGroup var outputFormat: FormatOption
    @OptionGroup(title: "Shards (docs/cluster.md)") var shards: ShardOptions

    func validate() throws { try shards.check(out: out) }

    func walkForwardRequest() throws -> WalkForwardRequest {
        WalkForwardRequest(sweep: try sweep.request(), train: train, test: test, anchored: anchored)
    }

    func run() throws {
        do {
            if let shard = try shards.spec() {
                return try ShardRun.perform(kind: "walkforward", noun: "windows", strategy: strategy, out: out!, shard: shard,
                                            resume: shards.resume) {
                    let r = try WalkForward.choose(shard: shard, strategyPath: strategy, panel: try dataOptions.load(),
                                                   options: try sweep.backtestOptions(), request: try walkForwardRequest(),
                                                   progress: ProgressLine("windows of shard \(shard)").update)
                    return .init(payload: WalkForwardShards.payload(r.choices), range: r.range, total: r.total)
                }
            }
            let panel = try dataOptions.load()
            let result = try WalkForward.run(strategyPath: strategy, panel: panel, options: try sweep.backtestOptions(),
                                             request: try walkForwardRequest(), progress: ProgressLine("windows").update)
            try finish(result, panel: panel)
        } catch { throw fail(error) }
    }

    /// The record, the statistics, the table (or JSON) and the files: what a walk-forward (or
    /// the merge of its shards) ends with.
    func finish(_ result: WalkForwardResult, panel: Panel) throws {
        do {
            let request = try walkForwardRequest()
            let daily = panel.isDaily
            func date(_ t: Int) -> String { LunarData.Calendar.format(panel.timestamps[t], daily: daily) }
            let combinations = try Sweep.combinations(request.sweep).count
            var record = try SweepHistory.record(result, combinations: combinations, strategyPath: strategy, panel: panel,
                                                 options: try sweep.backtestOptions(), data: dataOptions.origin)
            let earlier = (try? SweepHistory.earlier(for: record, history: history)) ?? []
            let stats = SweepStatistics(walkForward: result, combinations: combinations, barsPerYear: Calendar.barsPerYear(panel.timestamps),
                                        earlier: earlier, benchmarkSharpe: sweep.psrBenchmark)
            record.statistics = stats.recorded
            defer { if !noRecord { saveRecord(record, history: history) } }
            func num(_ v: Double) -> Any { v.isFinite ? v : NSNull() }
            let windows: [[String: Any]] = result.windows.map { w in
                ["train": [date(w.train.lowerBound), date(w.train.upperBound - 1)], "test": [date(w.test.lowerBound), date(w.test.upperBound - 1)],
                 "chosen": Dictionary(uniqueKeysWithValues: w.chosen.map { ($0.name, $0.value) }),
                 "in_sample": num(w.inSample.value(result.metric)), "out_of_sample": num(w.outOfSample.value(result.metric))]
            }
            let object: [String: Any] = ["strategy": result.strategyName, "metric": result.metric, "windows": windows,
                                         "out_of_sample": Dictionary(uniqueKeysWithValues: result.outOfSample.fields.map { ($0.0, num($0.1)) }),
                                         "in_sample_mean": num(result.inSampleMean), "statistics": stats.json]
            let document = String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self)
            if let out {
                // The stitched out-of-sample value after each bar of the test windows.
                try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
                try AtomicFile.write(document + "\n", to: out + "/walkforward.json")
                switch outputFormat.value {
                case .csv:
                    var csv = "date,value\n"
                    for (k, v) in result.equity.enumerated() { csv += date(result.bars.lowerBound + k) + "," + CSVWriter.formatNumber(v) + "\n" }
                    try AtomicFile.write(csv, to: out + "/equity.csv")
                case .parquet:
                    let stamps = Array(panel.timestamps[result.bars.lowerBound ..< result.bars.lowerBound + result.equity.count])
                    try ParquetWriter.write(ParquetTable([("date", .timestamps(seconds: stamps)), ("value", .doubles(result.equity))]),
                                            to: out + "/equity.parquet")
                }
            }
            if json {
                print(document)
                return
            }
            print("\(result.strategyName): \(result.windows.count) windows (\(anchored ? "anchored" : "rolling") train \(train), test \(test)), chosen by \(result.metric)\n")
            print(pad("test window", 25) + pad("chosen", 26) + pad("in-sample", 12, left: true) + pad("out-of-sample", 15, left: true) + pad("oos return", 12, left: true))
            for w in result.windows {
                print(pad("\(date(w.test.lowerBound)) → \(date(w.test.upperBound - 1))", 25) +
                      pad(w.chosen.map { "\($0.name)=\($0.value)" }.joined(separator: " "), 26) +
                      pad(MetricFormat.text(result.metric, w.inSample.value(result.metric)), 12, left: true) +
                      pad(MetricFormat.text(result.metric, w.outOfSample.value(result.metric)), 15, left: true) +
                      pad(MetricFormat.text("total_return", w.outOfSample.totalReturn), 12, left: true))
            }
            let m = result.outOfSample
            func v(_ key: String) -> String { MetricFormat.text(key, m.value(key)) }
            print("\nstitched out-of-sample: total return \(v("total_return")), CAGR \(v("cagr")), " +
                  "Sharpe \(v("sharpe")), max drawdown \(v("max_drawdown")), \(v("trades")) trades")
            print("in-sample \(result.metric) (mean of the chosen): \(MetricFormat.mean(result.metric, result.inSampleMean)); " +
                  "out-of-sample \(result.metric): \(v(result.metric))")
            print("\n" + SweepStatisticsText.render(stats, metric: result.metric), terminator: "")
            if let out { print("\nwrote \(out)/walkforward.json and \(out)/equity.\(outputFormat.value.fileExtension)") }
        } catch { throw fail(error) }
    }
}

/// `lunar sweep --json`: every combination's parameters and metrics, and the statistics. The
/// rows are written directly, one per line (keys sorted, as everywhere in the document):
/// Foundation's serializer took seconds per ten thousand rows.
enum SweepJSON {
    static func document(_ result: SweepResult, statistics: [String: Any], symbols: Int, bars: Int) throws -> String {
        let keys = Metrics.info.indices.sorted { Metrics.info[$0].key < Metrics.info[$1].key }
        func value(_ k: Int, _ v: Double) -> String {
            Metrics.integerKeys.contains(Metrics.info[k].key) && v.isFinite ? String(Int(v)) : ResultWriter.jsonNumber(v)
        }
        var rows: [String] = []
        rows.reserveCapacity(result.rows.count)
        for r in result.rows {
            let values = r.metrics.fields
            let metrics = keys.map { ResultWriter.jsonString(Metrics.info[$0].key) + ": " + value($0, values[$0].1) }.joined(separator: ", ")
            let params = r.params.sorted { $0.name < $1.name }.map { ResultWriter.jsonString($0.name) + ": " + ResultWriter.jsonString($0.value) }
            rows.append("    {\"metrics\": {" + metrics + "}, \"params\": {" + params.joined(separator: ", ") + "}}")
        }
        let stats = String(decoding: try JSONSerialization.data(withJSONObject: statistics, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self)
            .replacingOccurrences(of: "\n", with: "\n  ")
        return "{\n  \"bars\": \(bars),\n  \"combinations\": \(result.rows.count),\n  \"metric\": \(ResultWriter.jsonString(result.metric)),\n" +
            "  \"rows\": [\n" + rows.joined(separator: ",\n") + "\n  ],\n  \"seconds\": \(ResultWriter.jsonNumber(result.seconds)),\n" +
            "  \"statistics\": " + stats + ",\n  \"strategy\": \(ResultWriter.jsonString(result.strategyName)),\n  \"symbols\": \(symbols)\n}"
    }
}
