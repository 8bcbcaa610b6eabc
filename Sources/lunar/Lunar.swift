import ArgumentParser
import Foundation
import Lunar

@main
struct LunarCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lunar",
        abstract: "Lunar: backtest Lua strategies over whole universes of symbols.",
        subcommands: [Run.self, Eval.self, SweepCommand.self, WalkForwardCommand.self, Merge.self, Check.self, Watch.self,
                      TestCommand.self, DataCommand.self, List.self, Doc.self, Lib.self, Runs.self, Bench.self,
                      Types.self, Init.self])
}

/// Options shared by commands that read data.
struct DataOptions: ParsableArguments {
    @Option(name: .long, help: "A folder of SYMBOL.csv or SYMBOL.parquet files, one CSV or Parquet file (with a symbol column for several symbols; without one, the file name is the symbol), a folder of Parquet files (a partitioned dataset), a store made by `lunar data import`, or synthetic[:SYMBOLS:BARS[:SEED]].")
    var data = "synthetic"

    @Flag(name: .long, help: "Rescale open/high/low/close by the Adj Close column.")
    var adjust = false

    @Option(name: .long, help: "Point-in-time membership: a CSV of symbol,start,end (empty end: still a member).")
    var universe: String?

    @Option(name: .long, help: "Delistings: a CSV of symbol,date,price (default: delistings.csv beside the data, if any).")
    var delistings: String?

    var origin: DataOrigin { DataOrigin(spec: data, adjust: adjust, universe: universe, delistings: delistings) }

    /// The data as named, with the universe's files.
    func load(progress: ((Int, Int) -> Void)? = nil) throws -> Panel { try origin.load(progress: progress) }
}

/// `--format`: the tables of an `--out` folder as CSV or Parquet.
struct FormatOption: ParsableArguments {
    @Option(help: "The tables --out writes: csv (default) or parquet (symbols, trades, equity — or sweep and returns — as .parquet files that pandas, polars and DuckDB read with their types).")
    var format = "csv"
    var value: ResultFormat { ResultFormat(rawValue: format) ?? .csv }
    func validate() throws {
        guard ResultFormat(rawValue: format) != nil else {
            throw ValidationError("unknown --format '\(format)'; expected \(ResultFormat.allCases.map(\.rawValue).joined(separator: " or "))")
        }
    }
}

/// Prints an error the way every command does, and exits with the status of its kind
/// (`FailureKind`: usage 64, script 3, data 4, history 5, dependency 6, anything else 1).
func fail(_ error: Error) -> ExitCode {
    // Already reported by an inner `fail` (a command's step that reports its own errors).
    if let code = error as? ExitCode { return code }
    var text = "error: \(describe(error))\n"
    if let e = error as? ScriptError, !e.traceback.isEmpty { text += e.traceback + "\n" }
    FileHandle.standardError.write(Data(text.utf8))
    return ExitCode(error is ValidationError ? FailureKind.usage.exitCode : FailureKind(error).exitCode)
}

/// An error in words: Foundation's file errors as "path: reason" rather than their dump.
func describe(_ error: Error) -> String {
    if let e = error as? CocoaError {
        let path = e.filePath ?? e.url?.path
        // The operating system's reason, when there is one, says more than the generic text.
        let reason = (e.underlying as NSError?).flatMap { $0.domain == NSPOSIXErrorDomain ? String(cString: strerror(Int32($0.code))) : nil }
        return (path.map { "\($0): " } ?? "") + (reason ?? e.localizedDescription)
    }
    return "\(error)"
}

/// Progress on stderr, only when it is a terminal.
struct Progress {
    let enabled = isatty(2) != 0
    func show(_ text: String) {
        if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8)) }
    }
    func done() { if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) } }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Backtest a strategy file over a universe.")

    @Argument(help: "The strategy's Lua file.", completion: .file(extensions: ["lua"])) var strategy: String
    @OptionGroup var dataOptions: DataOptions
    @Option(name: .customLong("param"), help: "Override a parameter: --param name=value (repeatable).", completion: .custom(parameterCompletions))
    var params: [String] = []
    @OptionGroup(title: "Settings (each one given overrides the strategy table)") var sim: SimulationFlags
    @OptionGroup var scriptLimits: ScriptLimitFlags
    @Option(help: "Write summary.json, symbols.csv, trades.csv, equity.csv and report.html to this folder.") var out: String?
    @OptionGroup var outputFormat: FormatOption
    @Flag(help: "Print summary.json's content to stdout instead of the table.") var json = false
    @Option(help: "Evaluator: fused (default) or naive (the reference).") var engine: String = "fused"
    @Flag(help: "Print the fused plan (stages, steps, buffers, tiles, bytes) instead of running.") var explain = false
    @Option(help: "Worker threads (default: all cores).") var threads: Int?
    @Flag(help: "Per-bar strategies: finish the other symbols when on_bar fails on one.") var keepGoing = false
    @Flag(help: "Do not record this run in the run history.") var noRecord = false
    @Flag(help: "Skip the survivors-only comparison run when symbols are delisted.") var noSurvivorship = false
    @Option(help: "The run-history database.") var history = RunHistory.defaultPath
    @OptionGroup var libraries: LibraryOptions
    @OptionGroup(title: "Shards (docs/cluster.md)") var shards: ShardOptions
    @Option(help: "Memory for the run (e.g. 1GiB, 512MB; default: half the machine's memory). A store (lunar data import) larger than it is streamed in tiles of symbols; see docs/data-formats.md.")
    var memoryBudget: String?

    func validate() throws {
        for p in params where !p.contains("=") { throw ValidationError("--param takes name=value, got '\(p)'") }
        try shards.check(out: out)
        guard EngineKind(rawValue: engine) != nil else {
            throw ValidationError("unknown engine '\(engine)'; expected \(EngineKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be ≥ 1") }
        if let memoryBudget, ByteSize.parse(memoryBudget) == nil {
            throw ValidationError("--memory-budget takes a size such as 1GiB, 512MB or 2G, got '\(memoryBudget)'")
        }
        // A folder Lunar would refuse to replace is refused before the data load and the run.
        if let out {
            do { try ResultFolder.checkReplaceable(out) } catch { throw ValidationError("--out: \(error)") }
        }
    }

    func run() throws {
        do {
            if let shard = try shards.spec() { return try runShard(shard) }
            if !explain, let store = try largeStore() { return try runTiled(store) }
            let progress = Progress()
            var clock = Stopwatch()
            progress.show("loading \(dataOptions.data)…")
            let panel = try dataOptions.load { done, all in
                if done % 25 == 0 || done == all { progress.show("loading data: \(done)/\(all) files") }
            }
            progress.show("running \(panel.symbolCount) symbols × \(panel.barCount) bars…")
            let loadTime = clock.lap()
            let options = try backtestOptions()
            if explain {
                progress.done()
                print(try Backtest.explain(strategyPath: strategy, panel: panel, options: options), terminator: "")
                return
            }
            var result = try Backtest.run(strategyPath: strategy, panel: panel, options: options)
            if !noSurvivorship && result.panel.universeSummary.delisted > 0 {
                progress.show("running the survivors only…")
                result.survivorship = try Backtest.survivorship(of: result, strategyPath: strategy, options: options)
            }
            progress.done()
            try deliver(result, options: options)
            _ = loadTime
        } catch {
            throw fail(error)
        }
    }

    /// The budget in bytes: `--memory-budget`, else half of the machine's memory.
    var budget: Int { memoryBudget.flatMap(ByteSize.parse) ?? ByteSize.physicalMemory / 2 }

    /// The store `--data` names when the whole run would not fit the budget.
    func largeStore() throws -> ColumnStore? {
        guard ColumnStore.isStore(dataOptions.data) else { return nil }
        let store = try ColumnStore(path: dataOptions.data)
        return TiledRun.wholeRunBytes(store: store) > budget ? store : nil
    }

    /// The run tile by tile (`TiledRun`), with the tiles as progress.
    func runTiled(_ store: ColumnStore) throws {
        let progress = Progress()
        progress.show("running \(store.symbolCount) symbols × \(store.barCount) bars in tiles within \(ByteSize.format(budget))…")
        let options = try backtestOptions()
        let result = try TiledRun.run(strategyPath: strategy, store: store, membership: dataOptions.universe,
                                      delistings: dataOptions.delistings, options: options, budget: budget, record: !noRecord) { done, all in
            progress.show("running in tiles within \(ByteSize.format(budget)): \(done)/\(all)")
        }
        progress.done()
        if !noSurvivorship && result.panel.universeSummary.delisted > 0 {
            FileHandle.standardError.write(Data("note: the survivors-only comparison is not run tile by tile (--memory-budget); give the whole universe's memory to have it\n".utf8))
        }
        try deliver(result, options: options)
    }

    /// The options the flags give.
    func backtestOptions() throws -> BacktestOptions {
        var options = BacktestOptions()
        for p in params {
            let parts = p.split(separator: "=", maxSplits: 1).map(String.init)
            options.params[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        options.overrides = try sim.overrides
        scriptLimits.apply(to: &options)
        options.engine = EngineKind(rawValue: engine)!
        if let threads { options.simulation.threads = threads }
        options.keepGoing = keepGoing
        options.libraries = try libraries.settings()
        return options
    }

    /// Failures, the run-history record, then the files and the console: what a run (or the
    /// merge of its shards) ends with.
    func deliver(_ result: BacktestResult, options: BacktestOptions) throws {
        for f in result.failures {
            FileHandle.standardError.write(Data("failed: \(f.message)\n".utf8))
        }
        let report = result.report
        if !noRecord { recordRun(result, data: dataOptions.origin, options: options, history: history) }
        // Files first, so a console failure cannot lose them; then plugins' sinks.
        let sinks: [any ResultSink] = (out.map { [FileSink(directory: $0, format: outputFormat.value)] } ?? [])
            + [ConsoleSink(format: json ? .json : .table, filesWrittenTo: out)]
        try ResultSinks.deliver(report, to: sinks, context: RunContext(elapsed: result.timings.total))
    }

    /// One shard of the run: a slice of the symbols, and of the survivors-only run's.
    func runShard(_ shard: ShardSpec) throws {
        try ShardRun.perform(kind: "run", noun: "symbols", strategy: strategy, out: out!, shard: shard, resume: shards.resume) {
            let panel = try dataOptions.load()
            let options = try backtestOptions()
            let symbols = shard.range(of: panel.symbolCount)
            let main = try RunShards.run(strategyPath: strategy, universe: panel, symbols: symbols, options: options)
            var survivors: RunSlice? = nil
            if !noSurvivorship, let s = try RunShards.survivors(of: panel, options: options, strategyPath: strategy, symbols: symbols) {
                survivors = try RunShards.run(strategyPath: strategy, universe: s.universe, symbols: s.symbols, options: s.options)
            }
            return .init(payload: RunShards.payload(main, survivors: survivors), range: symbols, total: panel.symbolCount)
        }
    }
}

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "data", abstract: "Make or inspect data.",
                                                    subcommands: [Gen.self, Import.self])

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Convert CSV or Parquet data (any --data source) into a column store that --data STORE opens in milliseconds.",
            discussion: "The store is a folder: manifest.json, timestamps.i64 and one file per field (symbol-major Float64, or Float32 with --float32). It is written whole and renamed into place. See docs/data-formats.md.")
        @Argument(help: "The data to import: a CSV or Parquet file or folder, or synthetic:SYMBOLS:BARS[:SEED].") var source: String
        @Argument(help: "The store folder to write (replaced if it is a store; refused if it is anything else).") var store: String
        @Flag(help: "Store every field as Float32 (half the size; prices keep about 7 significant digits).") var float32 = false
        @Flag(name: .long, help: "Rescale open/high/low/close by the Adj Close column while importing.") var adjust = false
        @Option(help: "Worker threads (default: all cores).") var threads: Int?

        func run() throws {
            do {
                var clock = Stopwatch()
                let summary = try StoreImport.run(source: source, store: store, float32: float32, adjust: adjust,
                                                  threads: threads ?? defaultThreadCount) { stage, done, all in
                    Progress().show("\(stage): \(done)/\(all)")
                }
                Progress().done()
                let bytes = summary.fields * summary.symbols * summary.bars * (float32 ? 4 : 8)
                print(String(format: "imported %d symbols × %d bars, %d fields (%.1f MB) from %@ into %@ in %.2f s%@",
                             summary.symbols, summary.bars, summary.fields, Double(bytes) / 1e6, source, store, clock.lap(),
                             summary.streamed ? " (tile by tile)" : ""))
            } catch { throw fail(error) }
        }
    }

    struct Gen: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write the synthetic universe as one CSV per symbol.")
        @Argument(help: "Folder to write SYMBOL.csv files into.") var dir: String
        @Option var symbols: Int = Synthetic.defaultSymbols
        @Option var bars: Int = Synthetic.defaultBars
        @Option var seed: UInt64 = Synthetic.defaultSeed
        @Option(help: "The fraction of symbols that go bankrupt: their price falls to near zero, then they are delisted at 0 (written to delistings.csv).")
        var bankrupt: Double = 0

        func validate() throws {
            guard symbols >= 1, bars >= 1 else { throw ValidationError("--symbols and --bars must be ≥ 1") }
            guard bankrupt >= 0, bankrupt <= 1 else { throw ValidationError("--bankrupt takes a fraction in [0, 1], got \(bankrupt)") }
        }

        func run() throws {
            do {
                try Synthetic.checkSize(symbols: symbols, bars: bars)
                let panel = Synthetic.panel(symbols: symbols, bars: bars, seed: seed, bankrupt: bankrupt)
                try CSVWriter.writeFolder(panel, to: dir)
                let delisted = panel.universe.delistings.count
                print("wrote \(symbols) symbols × \(bars) bars to \(dir)/" +
                      (delisted > 0 ? " (\(delisted) go bankrupt: \(dir)/\(Universe.delistingsFileName))" : ""))
            } catch { throw fail(error) }
        }
    }
}

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List what Lunar offers.")
    @Argument(help: "What to list: indicators, strategies, modules or settings.") var what: String = "indicators"
    @Flag(help: "Print docs/indicators.md (the registry and stdlib helpers as Markdown).") var markdown = false
    @OptionGroup var libraries: LibraryOptions

    func run() throws {
        guard ["indicators", "strategies", "modules", "settings"].contains(what) else {
            throw fail(ValidationError("unknown list '\(what)'; try: lunar list indicators|strategies|modules|settings"))
        }
        do {
            if what == "settings" { return print(markdown ? VocabularyDocs.settingsTable() : VocabularyDocs.listing(), terminator: "") }
            if what != "indicators" { return try Listing.run(what, libraries: libraries) }
            if markdown {
                let source = try String(contentsOfFile: Stdlib.locate() + "/ta.lua", encoding: .utf8)
                print(IndicatorDocs.markdown(stdlibSource: source), terminator: "")
                return
            }
            print(IndicatorDocs.listing(), terminator: "")
            try Listing.run(what, libraries: libraries)   // indicators written in Lua, from the library roots
        } catch { throw fail(error) }
    }
}
