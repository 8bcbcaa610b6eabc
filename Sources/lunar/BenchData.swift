import Foundation
import Lunar

/// The data workloads of `lunar bench` (issue 17): W1-parquet, the W1 universe read from a
/// snappy Parquet file against pyarrow's `read_table` in the same run, and W7, a run over a
/// store four times its memory budget, streamed in tiles, against the in-memory rate.
enum DataWorkloads {
    static let python = "/.build-venv-parquet/bin/python"

    /// W1-parquet: the file is written by pyarrow (tools/parquet/csv_to_parquet.py) when its
    /// venv is installed, else by Lunar's writer; both snappy.
    static func w1parquet(root: String, panel: Panel, runs: Int, threads: Int) throws -> ExtraBenchResult {
        let dir = NSTemporaryDirectory() + "lunar-bench-parquet-\(panel.symbolCount)x\(panel.barCount)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let file = dir + "/w1.parquet"
        let py = root + python
        let havePyarrow = FileManager.default.isExecutableFile(atPath: py)
        if !FileManager.default.fileExists(atPath: file) {
            if havePyarrow {
                let csv = dir + "/w1.csv"
                try longCSV(panel).write(toFile: csv, atomically: true, encoding: .utf8)
                _ = try python(py, [root + "/tools/parquet/csv_to_parquet.py", csv, file, "--compression", "snappy"])
                try? FileManager.default.removeItem(atPath: csv)
            } else {
                try ParquetWriter.write(longTable(panel), to: file, codec: .snappy)
            }
        }
        let bytes = (try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
        var decode: [Double] = [], load: [Double] = []
        var loaded = panel
        for k in 0 ... runs {
            var clock = Stopwatch()
            let f = try ParquetFile(path: file)
            _ = try f.read(columns: Array(f.columns.indices), threads: threads)
            let a = clock.lap()
            loaded = try ParquetLoader.load(path: file)
            let b = clock.lap()
            if k > 0 { decode.append(a); load.append(b) }
        }
        // The file holds the W1 universe: checked, so a fast wrong reader cannot pass.
        let same = loaded.symbols == panel.symbols && loaded.timestamps == panel.timestamps &&
            Panel.standardFields.allSatisfy { loaded.fields[$0]! == panel.fields[$0]! }
        guard same else { throw DataError.invalid("\(file) does not read back as the W1 universe") }
        // Best of the runs, as bench_read.py times pyarrow: like with like.
        let ours = decode.min() ?? 0, full = load.min() ?? 0
        var lines = ["file            \(BenchResult.fmt(Double(bytes) / 1e6)) MB snappy, written by \(havePyarrow ? "pyarrow" : "lunar (the Parquet venv is not installed)")",
                     "decode          \(BenchResult.fmt(ours * 1000)) ms   (every column, \(threads) thread(s); best of \(runs))",
                     "load to panel   \(BenchResult.fmt(full * 1000)) ms   (decode + the CSV reader's checks and the calendar)"]
        var fields: [(String, String)] = [("file_bytes", "\(bytes)"), ("decode_ms", BenchResult.num(ours * 1000)), ("load_ms", BenchResult.num(full * 1000))]
        if havePyarrow {
            let out = try python(py, [root + "/tools/parquet/bench_read.py", file, "--repeat", "\(max(3, runs))"])
            if let data = out.data(using: .utf8), let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
               let seconds = obj["seconds"] as? Double {
                lines.append("pyarrow         \(BenchResult.fmt(seconds * 1000)) ms   read_table (pyarrow \(obj["pyarrow"] as? String ?? "?"), best of \(max(3, runs)))")
                lines.append("decode / pyarrow \(BenchResult.fmt(ours / seconds))×   load / pyarrow \(BenchResult.fmt(full / seconds))×   (target ≤ 2×)")
                fields += [("pyarrow_ms", BenchResult.num(seconds * 1000)), ("decode_vs_pyarrow", BenchResult.num(ours / seconds)),
                           ("load_vs_pyarrow", BenchResult.num(full / seconds))]
            }
        }
        return ExtraBenchResult(name: "W1-parquet: \(panel.symbolCount) symbols × \(panel.barCount) bars from Parquet", lines: lines, fields: fields)
    }

    /// W7: `lunar run` over a store of `storeBytes` with `--memory-budget budget`, in a child
    /// process (its peak resident memory is the kernel's count), against the same store run in
    /// memory. The store is written once, tile by tile, and kept in the temporary folder.
    static func w7(root: String, storeBytes: Int, budget: Int, threads: Int) throws -> ExtraBenchResult {
        let bars = 2520, perSymbol = 5 * bars * 8
        let symbols = max(1, storeBytes / perSymbol)
        let store = NSTemporaryDirectory() + "lunar-bench-w7-\(symbols)x\(bars)"
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
        if !ColumnStore.isStore(store) {
            _ = try run(exe, ["data", "import", "synthetic:\(symbols):\(bars)", store])
        }
        var open = Stopwatch()
        let opened = try ColumnStore(path: store)
        let openTime = open.lap()
        let strategy = root + "/strategies/sma_cross.lua"
        func timed(_ budgetArg: String) throws -> (seconds: Double, peak: Int) {
            var clock = Stopwatch()
            let (_, peak) = try runMeasured(exe, ["run", strategy, "--data", store, "--memory-budget", budgetArg, "--no-record", "--json",
                                                  "--threads", "\(threads)"])
            return (clock.lap(), peak)
        }
        let tiled = try timed("\(budget)")
        let whole = try timed("\(ByteSize.physicalMemory)")
        let cells = Double(opened.symbolCount * opened.barCount)
        let storeSize = opened.bytesPerSymbol * opened.symbolCount
        let mib = { (b: Int) in BenchResult.fmt(Double(b) / 1_048_576) }
        return ExtraBenchResult(name: "W7: \(opened.symbolCount) symbols × \(bars) bars from a \(mib(storeSize)) MiB store, --memory-budget \(mib(budget)) MiB", lines: [
            "store opens in  \(BenchResult.fmt(openTime * 1000)) ms",
            "tiled           \(BenchResult.fmt(tiled.seconds)) s   \(BenchResult.fmt(cells / tiled.seconds / 1e6)) M bars/s   peak \(mib(tiled.peak)) MiB (budget \(mib(budget)) MiB: \(tiled.peak <= budget ? "within" : "OVER"))",
            "in memory       \(BenchResult.fmt(whole.seconds)) s   \(BenchResult.fmt(cells / whole.seconds / 1e6)) M bars/s   peak \(mib(whole.peak)) MiB",
            "tiled / in memory: \(BenchResult.fmt(tiled.seconds / whole.seconds))× the time, \(BenchResult.fmt(Double(tiled.peak) / Double(whole.peak)))× the memory (both whole processes: load, run, report)",
        ], fields: [("store_bytes", "\(storeSize)"), ("budget_bytes", "\(budget)"), ("open_ms", BenchResult.num(openTime * 1000)),
                    ("tiled_s", BenchResult.num(tiled.seconds)), ("tiled_peak_bytes", "\(tiled.peak)"),
                    ("memory_s", BenchResult.num(whole.seconds)), ("memory_peak_bytes", "\(whole.peak)")])
    }

    static func longCSV(_ panel: Panel) -> String {
        let T = panel.barCount
        var out = "date,symbol,open,high,low,close,volume\n"
        out.reserveCapacity(panel.symbolCount * T * 80)
        let dates = panel.timestamps.map { Calendar.format($0, daily: true) }
        let f = Panel.standardFields.map { panel.fields[$0]! }
        for s in 0 ..< panel.symbolCount {
            for t in 0 ..< T {
                out += dates[t] + "," + panel.symbols[s]
                for k in 0 ..< 5 { out += "," + CSVWriter.formatNumber(f[k][s * T + t]) }
                out += "\n"
            }
        }
        return out
    }

    static func longTable(_ panel: Panel) -> ParquetTable {
        let T = panel.barCount
        var t = ParquetTable()
        t.append("date", .timestamps(seconds: (0 ..< panel.symbolCount).flatMap { _ in panel.timestamps }))
        t.append("symbol", .strings(panel.symbols.flatMap { Array(repeating: $0, count: T) }))
        for f in Panel.standardFields { t.append(f, .doubles(panel.fields[f]!)) }
        return t
    }

    static func python(_ py: String, _ args: [String]) throws -> String { try run(py, args).output }

    @discardableResult
    static func run(_ exe: String, _ args: [String]) throws -> (output: String, status: Int32) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw DataError.invalid("\(exe) \(args.joined(separator: " ")) failed (\(p.terminationStatus))") }
        return (String(decoding: data, as: UTF8.self), p.terminationStatus)
    }

    /// Runs a child and returns its output and peak resident bytes (wait4's rusage).
    static func runMeasured(_ exe: String, _ args: [String]) throws -> (output: String, peak: Int) {
        var pid: pid_t = 0
        let argv = ([exe] + args).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        let devnull = open("/dev/null", O_WRONLY)
        defer { close(devnull) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_adddup2(&actions, devnull, 1)
        defer { posix_spawn_file_actions_destroy(&actions) }
        guard posix_spawn(&pid, exe, &actions, nil, argv, environ) == 0 else { throw DataError.invalid("cannot start \(exe)") }
        var status: Int32 = 0
        var usage = rusage()
        wait4(pid, &status, 0, &usage)
        guard status == 0 else { throw DataError.invalid("\(exe) \(args.joined(separator: " ")) failed (status \(status))") }
        return ("", Int(usage.ru_maxrss) * 1024)
    }
}
