import ArgumentParser
import Foundation
import Lunar
import LunarData
import LunarKernels
import LunarReport
import LunarScript

@main
struct LunarCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lunar",
        abstract: "Lunar: backtest Lua strategies over whole universes of symbols.",
        subcommands: [Run.self, DataCommand.self, List.self, Bench.self])
}

/// Options shared by commands that read data.
struct DataOptions: ParsableArguments {
    @Option(name: .long, help: "A folder of SYMBOL.csv files, one long CSV with a symbol column, or synthetic[:SYMBOLS:BARS[:SEED]].")
    var data = "synthetic"

    @Flag(name: .long, help: "Rescale open/high/low/close by the Adj Close column.")
    var adjust = false
}

/// Prints an error the way every command does, and exits non-zero.
func fail(_ error: Error) -> ExitCode {
    var text = "error: \(error)\n"
    if let e = error as? ScriptError, !e.traceback.isEmpty { text += e.traceback + "\n" }
    FileHandle.standardError.write(Data(text.utf8))
    return ExitCode(1)
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

    @Argument(help: "The strategy's Lua file.") var strategy: String
    @OptionGroup var dataOptions: DataOptions
    @Option(name: .customLong("param"), help: "Override a parameter: --param name=value (repeatable).")
    var params: [String] = []
    @Option(help: "Fee as a fraction of traded value, on entry and exit.") var fees: Double = 0
    @Option(help: "Starting capital, split equally across symbols.") var capital: Double = 100_000
    @Option(help: "Write summary.json, symbols.csv, trades.csv and equity.csv to this folder.") var out: String?
    @Flag(help: "Print summary.json's content to stdout instead of the table.") var json = false
    @Option(help: "Evaluator: fused (default) or naive (the reference).") var engine: String = "fused"
    @Flag(help: "Print the fused plan (stages, steps, buffers, tiles, bytes) instead of running.") var explain = false
    @Option(help: "Worker threads (default: all cores).") var threads: Int?

    func validate() throws {
        for p in params where !p.contains("=") { throw ValidationError("--param takes name=value, got '\(p)'") }
        guard EngineKind(rawValue: engine) != nil else {
            throw ValidationError("unknown engine '\(engine)'; expected \(EngineKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be ≥ 1") }
    }

    func run() throws {
        do {
            let progress = Progress()
            var clock = Stopwatch()
            progress.show("loading \(dataOptions.data)…")
            let panel = try DataSource.load(dataOptions.data, adjust: dataOptions.adjust) { done, all in
                if done % 25 == 0 || done == all { progress.show("loading data: \(done)/\(all) files") }
            }
            progress.show("running \(panel.symbolCount) symbols × \(panel.barCount) bars…")
            let loadTime = clock.lap()
            var options = BacktestOptions()
            for p in params {
                let parts = p.split(separator: "=", maxSplits: 1).map(String.init)
                options.params[parts[0]] = parts.count > 1 ? parts[1] : ""
            }
            options.simulation.fees = fees
            options.simulation.capital = capital
            options.engine = EngineKind(rawValue: engine)!
            if let threads { options.simulation.threads = threads }
            if explain {
                progress.done()
                print(try Backtest.explain(strategyPath: strategy, panel: panel, options: options), terminator: "")
                return
            }
            let result = try Backtest.run(strategyPath: strategy, panel: panel, options: options)
            progress.done()
            let report = result.report
            if let out {
                try ResultWriter.write(report, to: out)
            }
            if json {
                print(ResultWriter.summaryJSON(report), terminator: "")
            } else {
                print(ConsoleSummary.render(report, elapsed: result.timings.total), terminator: "")
                if let out { print("results written to \(out)/") }
                _ = loadTime
            }
        } catch {
            throw fail(error)
        }
    }
}

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "data", abstract: "Make or inspect data.",
                                                    subcommands: [Gen.self])

    struct Gen: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write the synthetic universe as one CSV per symbol.")
        @Argument(help: "Folder to write SYMBOL.csv files into.") var dir: String
        @Option var symbols: Int = Synthetic.defaultSymbols
        @Option var bars: Int = Synthetic.defaultBars
        @Option var seed: UInt64 = Synthetic.defaultSeed

        func validate() throws {
            guard symbols >= 1, bars >= 1 else { throw ValidationError("--symbols and --bars must be ≥ 1") }
        }

        func run() throws {
            do {
                let panel = Synthetic.panel(symbols: symbols, bars: bars, seed: seed)
                try CSVWriter.writeFolder(panel, to: dir)
                print("wrote \(symbols) symbols × \(bars) bars to \(dir)/")
            } catch { throw fail(error) }
        }
    }
}

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List what Lunar offers.")
    @Argument(help: "What to list: indicators.") var what: String = "indicators"

    func run() throws {
        guard what == "indicators" else { throw fail(ValidationError("unknown list '\(what)'; try: lunar list indicators")) }
        for spec in Registry.all {
            let args = spec.inputs.map(\.name) + spec.params.map { p in
                p.defaultValue.map { "\(p.name)=\(PrimitiveSpec.Param.show($0))" } ?? p.name
            }
            let sig = "ta.\(spec.name)(\(args.joined(separator: ", ")))"
            print(sig.padding(toLength: max(sig.count + 1, 34), withPad: " ", startingAt: 0) + spec.summary)
        }
    }
}
