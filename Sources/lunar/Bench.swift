import ArgumentParser
import Foundation
import Lunar

/// `lunar bench`: the fixed workloads of docs/benchmarks.md, median of several runs after a
/// warm-up. Meaningful only from a release build (`swift build -c release`).
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the fixed benchmark workloads (W1, W1-apart, W1-load, W1-parquet, W2, W3, W3b, W4, W5, W6, W6-web, W7, W8); use a release build.")

    @Option(help: "Symbols in the synthetic universe.") var symbols = 1000
    @Option(help: "Bars per symbol.") var bars = 2520
    @Option(help: "Measured runs per workload (after one warm-up); the median is reported.") var runs = 5
    @Option(help: "Worker threads (default: all cores).") var threads: Int?
    @Option(help: "Folder for W1-load's CSVs (written with `lunar data gen` if missing; default: a temporary folder).")
    var csvDir: String?
    @Option(help: "Comma-separated workloads to run (also W2-10k: a 10,000-combination sweep, for memory; TPE: evaluations --search tpe needs; W7: a store 4× its memory budget, minutes and --w7-store of disk).")
    var workloads = "W1,W1-apart,W1-load,W1-parquet,W2,W3,W3b,W4,W5,W6,W6-web,W8"
    @Option(help: "W7's store size (default 4GiB).") var w7Store = "4GiB"
    @Option(help: "W7's --memory-budget (default 1GiB).") var w7Budget = "1GiB"
    @Flag(help: "Print machine-readable JSON instead of the table.") var json = false

    func validate() throws {
        guard runs >= 1, symbols >= 1, bars >= 1 else { throw ValidationError("--runs, --symbols and --bars must be ≥ 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be ≥ 1") }
        let known = ["W1", "W1-apart", "W1-load", "W1-parquet", "W2", "W2-10k", "W3", "W3b", "W4", "W5", "W6", "W6-web", "W7", "W8", "TPE"]
        guard ByteSize.parse(w7Store) != nil, ByteSize.parse(w7Budget) != nil else {
            throw ValidationError("--w7-store and --w7-budget take sizes such as 4GiB")
        }
        for w in workloads.split(separator: ",") where !known.contains(String(w)) {
            throw ValidationError("unknown workload '\(w)'; expected \(known.joined(separator: ", "))")
        }
    }

    func run() throws {
        do {
            keepFreedMemory()
            let baseline = PeakMemory.current()   // runtime, Lua, code: before any panel exists
            let wanted = Set(workloads.split(separator: ",").map(String.init))
            let root = try BenchFiles.root()
            let threadCount = threads ?? defaultThreadCount
            var results: [BenchResult] = []
            try Synthetic.checkSize(symbols: symbols, bars: bars)
            let panel = Synthetic.panel(symbols: symbols, bars: bars)
            let strategyW1 = root + "/strategies/sma_cross.lua"
            if wanted.contains("W1") {
                results.append(try BenchRunner.backtest(name: "W1", strategy: strategyW1, panel: panel,
                                                        runs: runs, threads: threadCount))
            }
            // W1 with evaluation and simulation one after the other: what tile fusion saves.
            if wanted.contains("W1-apart") {
                var o = BenchRunner.options(threads: threadCount)
                o.tileFusion = false
                results.append(try BenchRunner.backtest(name: "W1-apart", strategy: strategyW1, panel: panel,
                                                        runs: runs, threads: threadCount, options: o))
            }
            if wanted.contains("W1-load") {
                let dir = csvDir ?? NSTemporaryDirectory() + "lunar-bench-\(symbols)x\(bars)"
                results.append(try BenchRunner.load(strategy: strategyW1, dir: dir, panel: panel,
                                                    runs: runs, threads: threadCount))
            }
            // W4 and W5 are read by their evaluation against its floor: timed with evaluation and
            // simulation apart, so the evaluate phase is the executor alone.
            var apart = BenchRunner.options(threads: threadCount)
            apart.tileFusion = false
            for (name, file) in [("W4", "w4_mixed"), ("W5", "w5_indicators")] where wanted.contains(name) {
                results.append(try BenchRunner.backtest(name: name, strategy: root + "/bench/workloads/\(file).lua",
                                                        panel: panel, runs: runs, threads: threadCount, options: apart))
            }
            // W8 is W1 with a weekly filter, read against W1: run as W1 is.
            if wanted.contains("W8") {
                results.append(try BenchRunner.backtest(name: "W8", strategy: root + "/bench/workloads/w8_weekly_trend.lua",
                                                        panel: panel, runs: runs, threads: threadCount))
            }
            for i in results.indices { results[i].baselineBytes = baseline }
            var extra: [ExtraBenchResult] = []
            if wanted.contains("W2") { extra.append(try ExtraWorkloads.w2(root: root, bars: bars, runs: runs, threads: threadCount)) }
            if wanted.contains("W2-10k") {
                extra.append(try ExtraWorkloads.w2(root: root, bars: bars, runs: 1, threads: threadCount,
                                                   fast: "1:100", slow: "101:200", name: "W2-10k"))
            }
            if wanted.contains("W3") { extra.append(try ExtraWorkloads.w3(root: root, panel: panel, runs: runs, threads: threadCount)) }
            if wanted.contains("W3b") { extra.append(try ExtraWorkloads.w3b(root: root, panel: panel, runs: runs, threads: threadCount)) }
            if wanted.contains("W6") { extra.append(try ExtraWorkloads.w6(root: root, bars: bars, runs: runs, threads: threadCount)) }
            if wanted.contains("W6-web") { extra.append(try ExtraWorkloads.w6web(root: root, bars: bars, runs: runs, threads: threadCount)) }
            if wanted.contains("W1-parquet") { extra.append(try DataWorkloads.w1parquet(root: root, panel: panel, runs: runs, threads: threadCount)) }
            if wanted.contains("W7") {
                extra.append(try DataWorkloads.w7(root: root, storeBytes: ByteSize.parse(w7Store)!, budget: ByteSize.parse(w7Budget)!,
                                                  threads: threadCount))
            }
            if wanted.contains("TPE") { extra.append(try ExtraWorkloads.tpe(root: root, bars: bars, threads: threadCount)) }
            if json {
                var text = BenchResult.json(results, threads: threadCount)
                if !extra.isEmpty {
                    // Splice the extra workloads into the "workloads" array (before its closing "\n  ]\n}\n").
                    let items = extra.map(\.json).joined(separator: ",\n")
                    text = String(text.dropLast(7)) + (results.isEmpty ? "" : ",\n") + items + "\n  ]\n}\n"
                }
                print(text, terminator: "")
            } else {
                print(BenchResult.table(results, threads: threadCount) + extra.map(\.table).joined(), terminator: "")
            }
        } catch {
            throw fail(error)
        }
    }
}

/// One workload's medians.
struct BenchResult {
    var name: String
    var symbols: Int, bars: Int, nodes: Int
    var compile = 0.0, evaluate = 0.0, simulate = 0.0, metrics = 0.0
    var total: Double { compile + evaluate + simulate + metrics }
    /// Time to read the evaluated fields once with a plain summing loop on the same threads.
    var floor = 0.0
    /// Evaluate and total over the floor: the median of per-run ratios, each run paired with a
    /// floor measured right after it (on a shared machine the speed drifts between a batch of
    /// runs and a batch of floors; a pair sees the same machine).
    var evaluateOverFloor = Double.nan, totalOverFloor = Double.nan
    var inputBytes = 0
    /// Symbols were simulated inside the evaluation pass (`evaluate` holds both).
    var fusedSimulation = false
    /// Bytes of the panels alive during the workload (W1-load holds the synthetic and the loaded one).
    var panelBytes = 0
    var panelCount = 1
    var peakBytes = 0
    /// Resident bytes of the process before any panel was made (runtime, libraries).
    var baselineBytes = 0
    /// Peak beyond the panel(s) alive and the baseline: what the workload itself added.
    var extraBytes: Int { peakBytes - baselineBytes - panelBytes }
    /// W1-load only: parse (first load, writes the cache) and cached load, and the CSV bytes.
    var parse: Double? = nil, firstLoad: Double? = nil, cachedLoad: Double? = nil, csvBytes: Int? = nil

    var symbolsPerSecond: Double { Double(symbols) / total }
    var barNodesPerSecond: Double { Double(symbols * bars * nodes) / evaluate }

    static func table(_ rs: [BenchResult], threads: Int) -> String {
        var out = "lunar bench: median of the measured runs, \(threads) thread(s), times in ms\n"
        for r in rs {
            out += "\n\(r.name): \(r.symbols) symbols × \(r.bars) bars, \(r.nodes) graph nodes\n"
            if let parse = r.parse, let first = r.firstLoad, let cached = r.cachedLoad, let bytes = r.csvBytes {
                let mb = Double(bytes) / 1e6
                out += "  CSV ingest      \(fmt(parse * 1000)) ms  (\(fmt(mb)) MB, \(fmt(mb / parse)) MB/s)\n"
                out += "  first load      \(fmt(first * 1000)) ms  (ingest and write the cache)\n"
                out += "  cached load     \(fmt(cached * 1000)) ms  (\(fmt(first / cached))× faster than the first load)\n"
                out += "  (the phases below are the backtest on the loaded panel; compile includes the cached load)\n"
            }
            out += "  compile         \(fmt(r.compile * 1000))\n"
            if r.fusedSimulation {
                out += "  evaluate+sim    \(fmt(r.evaluate * 1000))   (fused: each tile simulated and measured as its signals are made)\n"
                out += "  portfolio sum   \(fmt(r.simulate * 1000))\n"
            } else {
                out += "  evaluate        \(fmt(r.evaluate * 1000))   bandwidth floor \(fmt(r.floor * 1000)) (\(fmt(Double(r.inputBytes) / 1e6)) MB read once): \(fmt(r.evaluateOverFloor))× the floor\n"
                out += "  simulate        \(fmt(r.simulate * 1000))\n"
            }
            out += "  metrics         \(fmt(r.metrics * 1000))\n"
            out += "  total           \(fmt(r.total * 1000))   \(fmt(r.totalOverFloor))× the bandwidth floor \(fmt(r.floor * 1000)); \(fmt(r.symbolsPerSecond)) symbols/s, \(fmt(r.barNodesPerSecond / 1e6)) M bar-node evaluations/s\n"
            out += "  peak memory     \(fmt(Double(r.peakBytes) / 1_048_576)) MiB = process before data \(fmt(Double(r.baselineBytes) / 1_048_576)) + panels \(fmt(Double(r.panelBytes) / 1_048_576)) + workload \(fmt(Double(r.extraBytes) / 1_048_576)) MiB (\(fmt(Double(r.extraBytes) / Double(r.panelBytes / max(1, r.panelCount))))× one panel)\n"
        }
        // W8 is W1 plus a weekly trend filter: its cost is read against W1 from the same run.
        if let w1 = rs.first(where: { $0.name == "W1" }), let w8 = rs.first(where: { $0.name == "W8" }) {
            // The evaluate phases compare only when both runs were tile-fused or neither was.
            let evaluate = w1.fusedSimulation == w8.fusedSimulation
                ? "evaluate\(w8.fusedSimulation ? "+sim" : "") \(fmt(w8.evaluate / w1.evaluate))×, " : ""
            out += "\nW8 / W1: \(evaluate)total \(fmt(w8.total / w1.total))× (target ≤ 1.3×)\n"
        }
        return out
    }

    static func json(_ rs: [BenchResult], threads: Int) -> String {
        let items = rs.map { r -> String in
            var f: [(String, String)] = [
                ("name", "\"\(r.name)\""), ("symbols", "\(r.symbols)"), ("bars", "\(r.bars)"), ("nodes", "\(r.nodes)"),
                ("compile_ms", num(r.compile * 1000)), ("evaluate_ms", num(r.evaluate * 1000)),
                ("simulate_ms", num(r.simulate * 1000)), ("metrics_ms", num(r.metrics * 1000)),
                ("total_ms", num(r.total * 1000)), ("symbols_per_s", num(r.symbolsPerSecond)),
                ("bar_node_evals_per_s", num(r.barNodesPerSecond)), ("bandwidth_floor_ms", num(r.floor * 1000)),
                ("evaluate_over_floor", num(r.evaluateOverFloor)), ("total_over_floor", num(r.totalOverFloor)),
                ("fused_simulation", r.fusedSimulation ? "true" : "false"), ("input_bytes", "\(r.inputBytes)"),
                ("panel_bytes", "\(r.panelBytes)"), ("peak_bytes", "\(r.peakBytes)"),
                ("baseline_bytes", "\(r.baselineBytes)"), ("workload_bytes", "\(r.extraBytes)"),
            ]
            if let p = r.parse, let a = r.firstLoad, let b = r.cachedLoad, let c = r.csvBytes {
                f += [("csv_bytes", "\(c)"), ("ingest_ms", num(p * 1000)), ("first_load_ms", num(a * 1000)),
                      ("cached_load_ms", num(b * 1000)), ("ingest_mb_per_s", num(Double(c) / 1e6 / p)),
                      ("cache_speedup", num(a / b))]
            }
            return "    {" + f.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
        }
        return "{\n  \"threads\": \(threads),\n  \"workloads\": [\n" + items.joined(separator: ",\n") + "\n  ]\n}\n"
    }

    static func fmt(_ v: Double) -> String { v >= 100 ? String(format: "%.0f", v) : String(format: "%.2f", v) }
    static func num(_ v: Double) -> String { v.isFinite ? String(format: "%.4g", v) : "null" }
}

enum BenchRunner {
    static func options(threads: Int) -> BacktestOptions {
        var o = BacktestOptions()
        o.simulation.fees = 0.001
        o.simulation.threads = threads
        return o
    }

    /// Warm-up, then `runs` timed backtests; phase medians, floor, peak memory.
    static func backtest(name: String, strategy: String, panel: Panel, runs: Int, threads: Int,
                         otherPanels: [Panel] = [], options given: BacktestOptions? = nil) throws -> BenchResult {
        let opts = given ?? options(threads: threads)
        let plan = try Backtest.planSummary(strategyPath: strategy, panel: panel, options: opts)
        var r = BenchResult(name: name, symbols: panel.symbolCount, bars: panel.barCount, nodes: plan.nodes)
        r.panelBytes = panel.byteCount + otherPanels.reduce(0) { $0 + $1.byteCount }
        r.panelCount = 1 + otherPanels.count
        PeakMemory.reset()
        _ = try Backtest.run(strategyPath: strategy, panel: panel, options: opts)   // warm-up
        var samples: [BacktestResult.Timings] = [], floors: [Double] = []
        for _ in 0 ..< runs {
            samples.append(try Backtest.run(strategyPath: strategy, panel: panel, options: opts).timings)
            let (floor, bytes) = bandwidthFloor(panel, fields: plan.fields, runs: 1, threads: threads)
            floors.append(floor); r.inputBytes = bytes
        }
        r.peakBytes = PeakMemory.read()
        r.compile = median(samples.map(\.compile)); r.evaluate = median(samples.map(\.evaluate))
        r.simulate = median(samples.map(\.simulate)); r.metrics = median(samples.map(\.metrics))
        r.fusedSimulation = samples.contains { $0.fusedSimulation }
        r.floor = median(floors)
        r.evaluateOverFloor = median(zip(samples, floors).map { $0.evaluate / $1 })
        r.totalOverFloor = median(zip(samples, floors).map { ($0.compile + $0.evaluate + $0.simulate + $0.metrics) / $1 })
        return r
    }

    /// W1 from CSV files: first load parses and writes the cache, later loads read the cache.
    static func load(strategy: String, dir: String, panel: Panel, runs: Int, threads: Int) throws -> BenchResult {
        if !FileManager.default.fileExists(atPath: dir) { try CSVWriter.writeFolder(panel, to: dir) }
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".csv") }
        let bytes = try files.reduce(0) { $0 + ((try FileManager.default.attributesOfItem(atPath: dir + "/" + $1)[.size] as? Int) ?? 0) }
        var parse: [Double] = [], first: [Double] = [], cached: [Double] = []
        var loaded = panel
        for k in 0 ... runs {   // run 0 is the warm-up
            PanelCache.remove(for: dir)
            var clock = Stopwatch()
            _ = try CSVLoader.load(path: dir)       // CSV ingest alone
            let a = clock.lap()
            _ = try DataSource.load(dir)             // first load: ingest and write the cache
            let b = clock.lap()
            loaded = try DataSource.load(dir)        // from the cache
            let c = clock.lap()
            if k > 0 { parse.append(a); first.append(b); cached.append(c) }
        }
        var r = try backtest(name: "W1-load", strategy: strategy, panel: loaded, runs: runs, threads: threads,
                             otherPanels: [panel])
        r.parse = median(parse); r.firstLoad = median(first); r.cachedLoad = median(cached); r.csvBytes = bytes
        r.compile += r.cachedLoad!   // the total of a repeated run: cached load + backtest
        r.totalOverFloor += r.cachedLoad! / r.floor
        return r
    }

    /// Sums every value of the fields once, split over symbols like the executor.
    static func bandwidthFloor(_ panel: Panel, fields: [String], runs: Int, threads: Int) -> (Double, Int) {
        // A plan may read `member`, which only a run's view of the data has.
        let view = (try? panel.runView(prices: .raw)) ?? panel
        let arrays = fields.compactMap { panel.values($0) ?? view.values($0) }
        let N = panel.symbolCount, T = panel.barCount
        var samples: [Double] = []
        let sink = SumSink()
        for k in 0 ... runs {
            var clock = Stopwatch()
            for a in arrays {
                a.withUnsafeBufferPointer { buf in
                    let p = SharedBuffer(UnsafeMutablePointer(mutating: buf.baseAddress!), count: buf.count)
                    let chunk = max(1, N / (threads * 4))
                    parallelFor(chunks: (N + chunk - 1) / chunk, threads: threads) { c in
                        var s = 0.0
                        for i in c * chunk * T ..< min(N, (c + 1) * chunk) * T { s += p.base[i] }
                        sink.add(s)
                    }
                }
            }
            if k > 0 { samples.append(clock.lap()) }
        }
        return (median(samples), arrays.count * N * T * 8)
    }

    static func median(_ v: [Double]) -> Double {
        let s = v.sorted()
        return s.isEmpty ? .nan : (s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2)
    }
}

/// Keeps the floor's sums alive so the loop is not optimized away.
final class SumSink: @unchecked Sendable {
    private let lock = NSLock()
    private var total = 0.0
    func add(_ v: Double) { lock.lock(); total += v; lock.unlock() }
}

/// The process's peak resident memory (VmHWM), resettable through /proc/self/clear_refs.
enum PeakMemory {
    /// Returns free heap pages to the kernel first (`malloc_trim`), so memory a previous
    /// workload freed does not count as this one's peak.
    static func reset() {
        #if canImport(Glibc)
        typealias Trim = @convention(c) (Int) -> Int32
        if let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") { _ = unsafeBitCast(sym, to: Trim.self)(0) }
        #endif
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }
    static func read() -> Int { status("VmHWM:") }
    static func current() -> Int { status("VmRSS:") }
    static func status(_ key: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(key) {
            let kb = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
            return kb * 1024
        }
        return 0
    }
}

/// Large arrays (outputs, equity curves) are freed and allocated again on every run. By
/// default glibc returns them to the kernel (munmap) and the next run page-faults every 4 KiB
/// back in, which cost ~15 % of W1; keeping freed memory in the heap lets runs reuse it.
func keepFreedMemory() {
    #if canImport(Glibc)
    // mallopt is not in Swift's Glibc module; look it up. M_TRIM_THRESHOLD = -1, M_MMAP_THRESHOLD = -3.
    typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
    guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
    let mallopt = unsafeBitCast(sym, to: Mallopt.self)
    _ = mallopt(-3, 1 << 30)
    _ = mallopt(-1, 1 << 30)
    #endif
}

/// Finds the repository root (the folder holding strategies/ and bench/).
enum BenchFiles {
    static func root() throws -> String {
        let stdlib = try Stdlib.locate()
        return URL(fileURLWithPath: stdlib).deletingLastPathComponent().path
    }
}
