import ArgumentParser
import Foundation
import Lunar

/// `--shard K/N` and `--resume`, shared by `sweep`, `walkforward` and `run` (docs/cluster.md).
struct ShardOptions: ParsableArguments {
    @Option(help: "Run only the K-th of N slices (K from 0 to N−1, as Kubernetes' JOB_COMPLETION_INDEX counts) and write it to --out; `lunar merge` puts the shards together.")
    var shard: String?
    @Flag(help: "With --shard: do nothing when --out already holds this shard of this command, finished.")
    var resume = false

    func spec() throws -> ShardSpec? {
        do { return try shard.map(ShardSpec.parse) } catch { throw ValidationError("\(error)") }
    }

    /// The checks every sharded command makes before any work.
    func check(out: String?) throws {
        guard let text = shard else {
            if resume { throw ValidationError("--resume skips a finished shard: it needs --shard K/N and --out") }
            return
        }
        do { _ = try ShardSpec.parse(text) } catch { throw ValidationError("\(error)") }
        guard let out else { throw ValidationError("--shard needs --out DIR: the folder the shard's partial result is written to") }
        do { try ResultFolder.checkReplaceable(out) } catch { throw ValidationError("--out: \(error)") }
    }
}

/// Runs one shard: skipped under `--resume` when its folder already holds it, finished;
/// otherwise computed and written as a whole (`ShardFolder.write`).
enum ShardRun {
    struct Part {
        var payload: Data
        var range: Range<Int>
        var total: Int
    }

    static func perform(kind: String, noun: String, strategy: String, out: String, shard: ShardSpec, resume: Bool,
                        work: () throws -> Part) throws {
        var manifest = ShardManifest.current(kind: kind, shard: shard, strategyPath: strategy)
        if resume && ShardFolder.finished(out, as: manifest) {
            print("\(kind) shard \(shard): already finished in \(out), skipped (--resume)")
            return
        }
        var clock = Stopwatch()
        let part = try work()
        manifest.first = part.range.lowerBound
        manifest.items = part.range.count
        manifest.total = part.total
        manifest.seconds = clock.lap()
        try ShardFolder.write(manifest, payload: part.payload, to: out)
        print("\(kind) shard \(shard): \(noun) \(part.range.lowerBound)..<\(part.range.upperBound) of \(part.total) in " +
              "\(ConsoleSummary.fixed(manifest.seconds, 2)) s → \(out)")
    }
}

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Put the shards of a sweep, walk-forward or run together into the result one machine writes.",
        discussion: "Every shard (K from 0 to N−1) of one command must be given, each once. The command is read back from the shards, so the result, its files and its run-history record are those of the same command run unsharded.")

    @Argument(help: "The shards' folders (each written by a --shard K/N --out DIR).", completion: .directory) var shards: [String]
    @Option(help: "The folder for the merged result: the files the unsharded command writes with --out (without it, the result is printed and recorded only, as the command without --out does).")
    var out: String?
    @Flag(help: "Do not record the merged result in the run history.") var noRecord = false
    @Option(help: "The run-history database (default: the one the command names).") var history: String?
    @Option(help: "Worker threads for the merge (default: the command's --threads, else all cores).") var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be ≥ 1") }
    }

    func run() throws {
        do {
            let fm = FileManager.default
            func absolute(_ p: String) -> String { URL(fileURLWithPath: p).standardizedFileURL.path }
            let parts = try ShardFolder.gather(shards.map(absolute))
            let manifest = parts[0].manifest
            let out = self.out.map(absolute), history = self.history.map(absolute)
            // The command's relative paths (strategy, data) are relative to where the shards ran.
            if fm.fileExists(atPath: manifest.directory) { _ = fm.changeCurrentDirectoryPath(manifest.directory) }
            // The command as the shards ran it, with what the merge's own flags override.
            func parsed<C: ShardedCommand>(_: C.Type) throws -> C {
                var command: C
                do { command = try C.parse(manifest.arguments) } catch {
                    throw ShardError("the shards' command `lunar \(manifest.kind) \(manifest.arguments.joined(separator: " "))` no longer parses: \(C.message(for: error))")
                }
                command.out = out
                if let threads { command.workerThreads = threads }
                if let history { command.history = history }
                if noRecord { command.noRecord = true }
                return command
            }
            switch manifest.kind {
            case "sweep":
                let command = try parsed(SweepCommand.self)
                let result = try SweepResult.merge(parts), panel = try command.dataOptions.load()
                if let bars = result.rows.first?.equity.count, bars != panel.barCount {
                    throw ShardError("the shards ran on \(bars) bars, the data have \(panel.barCount): were the data changed since the shards ran?")
                }
                try command.finish(result, panel: panel)
            case "walkforward":
                let command = try parsed(WalkForwardCommand.self)
                let panel = try command.dataOptions.load()
                let request = try command.walkForwardRequest()
                let result = try WalkForwardShards.stitch(try WalkForwardShards.choices(parts), strategyPath: command.strategy,
                                                          panel: panel, options: try command.sweep.backtestOptions(), request: request)
                try command.finish(result, panel: panel)
            case "run":
                let command = try parsed(Run.self)
                let panel = try command.dataOptions.load()
                let options = try command.backtestOptions()
                let slices = try RunShards.slices(parts)
                var result = try RunShards.merge(slices.main, strategyPath: command.strategy, universe: panel, options: options)
                if let survivors = slices.survivors,
                   let s = try RunShards.survivors(of: panel, options: options, strategyPath: command.strategy, symbols: 0 ..< panel.symbolCount) {
                    let only = try RunShards.merge(survivors, strategyPath: command.strategy, universe: s.universe, options: s.options)
                    result.survivorship = Survivorship(survivors: s.universe.symbolCount, delisted: panel.symbolCount - s.universe.symbolCount,
                                                       full: result.portfolio, survivorsOnly: only.portfolio)
                }
                try command.deliver(result, options: options)
            default:
                throw ShardError("\(shards[0]): a shard of '\(manifest.kind)', which this Lunar cannot merge")
            }
        } catch { throw fail(error) }
    }
}

/// A command whose shards `lunar merge` puts together: what the merge's flags override in it.
protocol ShardedCommand: ParsableCommand {
    var out: String? { get set }
    var history: String { get set }
    var noRecord: Bool { get set }
    var workerThreads: Int? { get set }
}

extension SweepCommand: ShardedCommand {
    var workerThreads: Int? { get { sweep.threads } set { sweep.threads = newValue } }
}

extension WalkForwardCommand: ShardedCommand {
    var workerThreads: Int? { get { sweep.threads } set { sweep.threads = newValue } }
}

extension Run: ShardedCommand {
    var workerThreads: Int? { get { threads } set { threads = newValue } }
}
