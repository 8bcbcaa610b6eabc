import Foundation
import LunarData
import LunarSim

/// What a report needs to know about a run, independent of how it was produced.
public struct RunReport: Sendable {
    public var strategyName: String
    public var strategyPath: String
    public var params: [(String, String)]
    public var panel: Panel
    public var equity: [Double]
    public var portfolio: Metrics
    public var symbolMetrics: [Metrics]
    public var trades: [Trade]
    public var symbolEquity: [[Double]]
    /// The benchmark's value at each bar on the same scale as `equity` (empty when none).
    public var benchmark: [Double]
    public var benchmarkName: String
    /// The simulation settings in words (one line).
    public var settings: String
    /// The same run on the survivors only, when the universe had delistings and it was run.
    public var survivorship: Survivorship? = nil
    /// Each library the strategy loaded: `name version (source, commit)`.
    public var libraries: [String] = []

    public init(strategyName: String, strategyPath: String, params: [(String, String)], panel: Panel,
                equity: [Double], portfolio: Metrics, symbolMetrics: [Metrics], trades: [Trade], symbolEquity: [[Double]],
                benchmark: [Double] = [], benchmarkName: String = "", settings: String = "",
                survivorship: Survivorship? = nil) {
        self.strategyName = strategyName; self.strategyPath = strategyPath; self.params = params
        self.panel = panel; self.equity = equity; self.portfolio = portfolio
        self.symbolMetrics = symbolMetrics; self.trades = trades; self.symbolEquity = symbolEquity
        self.benchmark = benchmark; self.benchmarkName = benchmarkName; self.settings = settings
        self.survivorship = survivorship
    }
}

/// Writes a result folder: summary.json, symbols.csv, trades.csv, equity.csv and report.html.
public enum ResultWriter {
    /// The files of a result folder, in the order they are written.
    public static let fileNames = fileNames(.csv)

    /// The files of a result folder whose tables are in `format`.
    public static func fileNames(_ format: ResultFormat) -> [String] {
        ["summary.json"] + ["symbols", "trades", "equity"].map { "\($0).\(format.fileExtension)" } + ["report.html"]
    }

    /// Writes the result folder `dir` as a whole: a reader (or a run killed at any moment) finds
    /// `dir` complete — every file of one run — or absent, never some files of one run and some
    /// of another or a file cut short. See `ResultFolder.replace` for the rule.
    public static func write(_ report: RunReport, to dir: String, format: ResultFormat = .csv) throws {
        // Everything is rendered before the folder is touched.
        let tables: [Data]
        switch format {
        case .csv: tables = [symbolsCSV(report), tradesCSV(report), equityCSV(report)].map { Data($0.utf8) }
        case .parquet: tables = try [ResultTables.symbols(report), ResultTables.trades(report), ResultTables.equity(report)].map(ResultTables.bytes)
        }
        let contents = [Data(summaryJSON(report).utf8)] + tables + [Data(HTMLReport.render(report).utf8)]
        try ResultFolder.replace(dir, with: Array(zip(fileNames(format), contents)))
    }

    /// Portfolio metrics as a JSON object (snake_case keys; counts and bars as integers; NaN as
    /// null), plus the run's identity.
    public static func summaryJSON(_ r: RunReport) -> String {
        var lines = ["  \"strategy\": \(jsonString(r.strategyName))",
                     "  \"strategy_path\": \(jsonString(r.strategyPath))",
                     "  \"params\": {" + r.params.map { "\(jsonString($0.0)): \(jsonString($0.1))" }.joined(separator: ", ") + "}",
                     "  \"symbols\": \(r.panel.symbolCount)",
                     "  \"bars\": \(r.panel.barCount)",
                     "  \"settings\": \(jsonString(r.settings))",
                     "  \"benchmark\": \(jsonString(r.benchmarkName))"] + UniverseReport.json(r)
        for (k, v) in r.portfolio.fields {
            lines.append("  \(jsonString(k)): \(MetricFormat.json(k, v))")
        }
        return "{\n" + lines.joined(separator: ",\n") + "\n}\n"
    }

    public static func symbolsCSV(_ r: RunReport) -> String {
        var out = "symbol,status," + r.portfolio.fields.map(\.0).joined(separator: ",") + "\n"
        let status = UniverseReport.statuses(r)
        for (s, m) in r.symbolMetrics.enumerated() {
            out += csvField(r.panel.symbols[s]) + "," + csvField(status[s])
            for (_, v) in m.fields { out += "," + CSVWriter.formatNumber(v) }
            out += "\n"
        }
        return out
    }

    public static func tradesCSV(_ r: RunReport) -> String {
        var out = "symbol,status,direction,entry_date,exit_date,entry_bar,exit_bar,entry_price,exit_price,size,entry_fees,exit_fees,pnl,return,exit_reason\n"
        let dates = r.panel.timestamps.map { Calendar.format($0, daily: r.panel.isDaily) }
        for t in r.trades {
            let cells = [csvField(r.panel.symbols[t.symbol]), t.isOpen ? "open" : "closed", t.isShort ? "short" : "long",
                         dates[t.entryBar], dates[t.exitBar], String(t.entryBar), String(t.exitBar)] +
                [t.entryPrice, t.exitPrice, t.size, t.entryFees, t.exitFees, t.pnl, t.returnFraction].map(CSVWriter.formatNumber) +
                [t.exitReason.rawValue]
            out += cells.joined(separator: ",") + "\n"
        }
        return out
    }

    /// One row per bar: the date, the portfolio's value, then each symbol's sub-account.
    public static func equityCSV(_ r: RunReport) -> String {
        var out = "date,portfolio," + r.panel.symbols.map(csvField).joined(separator: ",") + "\n"
        out.reserveCapacity(r.equity.count * (r.symbolEquity.count + 1) * 18)
        for t in r.equity.indices {
            out += Calendar.format(r.panel.timestamps[t], daily: r.panel.isDaily)
            out += "," + CSVWriter.formatNumber(r.equity[t])
            for e in r.symbolEquity { out += "," + CSVWriter.formatNumber(e[t]) }
            out += "\n"
        }
        return out
    }

    static func csvField(_ s: String) -> String {
        s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    public static func jsonNumber(_ v: Double) -> String { v.isFinite ? "\(v)" : "null" }

    public static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}

/// A result folder that cannot be written, in words.
public struct ResultFolderError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "cannot write results to \(path): \(reason)" }
}

/// Writes a folder as a whole. The rule (docs/semantics.md, "Reports"):
///
/// - The files are written into a new hidden sibling, `.NAME.lunar-new-PID-XXXXXXXX` in the same
///   parent folder (so the same file system), each flushed to disk, and the sibling is then
///   renamed into place in one step. A reader never sees a folder being filled.
/// - If DIR does not exist it is that rename. If DIR exists and is empty or holds only the files
///   Lunar writes (`ResultWriter.fileNames`, and the hidden leftovers of Lunar's older per-file
///   writes), the new folder and DIR are **exchanged** in one step (`renameat2(RENAME_EXCHANGE)`
///   on Linux, `renamex_np(RENAME_SWAP)` on macOS), so DIR always holds one run's complete
///   results, the old or the new; the old files are then deleted. Where the file system cannot
///   exchange, DIR is renamed aside and the new folder renamed in: for that instant DIR is
///   absent, still never half-written.
/// - If DIR holds anything else (the user's files, a run history, a strategy), nothing is written
///   and the error names what is there: replacing the folder would delete them.
/// - A run killed while writing leaves at most a hidden `.NAME.lunar-new-…` (or `-old-…`)
///   sibling; the next write to DIR removes those whose process is gone. Only Lunar's own file
///   names are ever deleted, so a folder that someone else filled is never removed.
public enum ResultFolder {
    /// A shard's folder (`--shard K/N --out DIR`): its manifest and its partial result.
    public static let shardFileNames = ["shard.json", "shard.bin"]

    public static func replace(_ dir: String, with files: [(name: String, data: Data)]) throws {
        let fm = FileManager.default
        let target = resolve(dir)
        let path = target.path, name = target.lastPathComponent, parent = target.deletingLastPathComponent().path
        func failure(_ reason: String) -> ResultFolderError { ResultFolderError(path: dir, reason: reason) }
        try checkReplaceable(dir)
        do { try fm.createDirectory(atPath: parent, withIntermediateDirectories: true) } catch {
            throw failure("cannot create \(parent) (\(error.localizedDescription))")
        }
        removeStale(name: name, in: parent)

        let pid = ProcessInfo.processInfo.processIdentifier
        let tag = String(UInt32.random(in: 0 ... .max), radix: 16)
        let fresh = parent + "/.\(name).lunar-new-\(pid)-\(tag)"
        guard mkdir(fresh, 0o777) == 0 else { throw failure("cannot create \(fresh) (\(String(cString: strerror(errno))))") }
        do {
            for f in files { try writeDurably(f.data, to: fresh + "/" + f.name, failure) }
            sync(fresh)
            if rename(fresh, path) == 0 {
                sync(parent)
                return
            }
            guard errno == EEXIST || errno == ENOTEMPTY || errno == EISDIR else {
                throw failure(String(cString: strerror(errno)))
            }
            // DIR exists (now, or since `check`): exchange it with the complete new folder.
            try check(path, failure)
            if exchange(fresh, path) {
                sync(parent)
                removeResultFolder(fresh)   // now the old results
                return
            }
            // No atomic exchange here: DIR is absent for an instant, never half-written.
            let aside = parent + "/.\(name).lunar-old-\(pid)-\(tag)"
            guard rename(path, aside) == 0 else { throw failure("cannot move the old results aside (\(String(cString: strerror(errno))))") }
            guard rename(fresh, path) == 0 else {
                let reason = String(cString: strerror(errno))
                _ = rename(aside, path)
                throw failure(reason)
            }
            sync(parent)
            removeResultFolder(aside)
        } catch {
            removeResultFolder(fresh)
            throw error
        }
    }

    /// Throws the error `replace` would throw for what `dir` holds now (a folder of someone
    /// else's files, a file), so a command can refuse before it does any work.
    public static func checkReplaceable(_ dir: String) throws {
        let target = resolve(dir)
        func failure(_ reason: String) -> ResultFolderError { ResultFolderError(path: dir, reason: reason) }
        guard !target.lastPathComponent.isEmpty, target.path != "/" else { throw failure("not a folder Lunar can replace") }
        try check(target.path, failure)
    }

    /// The absolute path `dir` names; for a link to a folder, the folder it points to (the
    /// folder is replaced, the link kept).
    static func resolve(_ dir: String) -> URL {
        let target = URL(fileURLWithPath: dir).standardizedFileURL
        if let dest = try? FileManager.default.destinationOfSymbolicLink(atPath: target.path) {
            return URL(fileURLWithPath: dest, relativeTo: target.deletingLastPathComponent()).standardizedFileURL
        }
        return target
    }

    /// Throws unless `path` is absent, or a folder holding only what Lunar writes there.
    static func check(_ path: String, _ failure: (String) -> ResultFolderError) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { return }
        guard isDir.boolValue else { throw failure("it exists and is not a folder") }
        let entries: [String]
        do { entries = try FileManager.default.contentsOfDirectory(atPath: path) } catch {
            throw failure("cannot list it (\(error.localizedDescription))")
        }
        let foreign = entries.filter { !isOwn($0) }.sorted()
        if !foreign.isEmpty {
            throw failure("it holds files Lunar did not write (\(foreign.prefix(3).joined(separator: ", "))\(foreign.count > 3 ? ", …" : "")); " +
                          "a result folder is replaced as a whole, so give a new or empty folder, or one with only an earlier run's results")
        }
    }

    /// A name Lunar writes in a result folder: a result file, or a leftover of the per-file
    /// atomic writes of earlier versions (`.summary.json.tmp-PID`).
    static func isOwn(_ entry: String) -> Bool {
        if ResultWriter.fileNames.contains(entry) || shardFileNames.contains(entry) { return true }
        return ResultWriter.fileNames.contains { entry.hasPrefix(".\($0).tmp-") }
    }

    /// Deletes Lunar's files in `folder`, then the folder if that left it empty.
    static func removeResultFolder(_ folder: String) {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for e in entries where isOwn(e) { unlink(folder + "/" + e) }
        rmdir(folder)
    }

    /// Removes `.NAME.lunar-new-PID-…` and `.NAME.lunar-old-PID-…` siblings left by processes
    /// that are gone (killed while writing).
    static func removeStale(name: String, in parent: String) {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: parent) else { return }
        for e in entries {
            guard let rest = [".\(name).lunar-new-", ".\(name).lunar-old-"].lazy.compactMap({ e.hasPrefix($0) ? e.dropFirst($0.count) : nil }).first,
                  let pid = Int32(rest.split(separator: "-").first ?? "") else { continue }
            if kill(pid, 0) == 0 || errno == EPERM { continue }   // still running: its write is in progress
            removeResultFolder(parent + "/" + e)
        }
    }

    /// Writes `data` to a new file and flushes it to disk before returning.
    static func writeDurably(_ data: Data, to path: String, _ failure: (String) -> ResultFolderError) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw failure("cannot create \(path) (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        try data.withUnsafeBytes { (buf: UnsafeRawBufferPointer) in
            var done = 0
            while done < buf.count {
                let n = write(fd, buf.baseAddress! + done, buf.count - done)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw failure("cannot write \(path) (\(String(cString: strerror(errno))))") }
                done += n
            }
        }
        guard fsync(fd) == 0 else { throw failure("cannot flush \(path) (\(String(cString: strerror(errno))))") }
    }

    /// Flushes a folder's entries (best effort: not every file system allows it).
    static func sync(_ folder: String) {
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    /// Swaps two paths in one step; false where the system or file system cannot.
    static func exchange(_ a: String, _ b: String) -> Bool {
        #if os(Linux)
        // glibc ≥ 2.28 has renameat2, but Swift's Glibc module does not declare it (it needs _GNU_SOURCE).
        typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
        guard let sym = dlsym(dlopen(nil, RTLD_NOW), "renameat2") else { return false }
        let renameat2 = unsafeBitCast(sym, to: RenameAt2.self)
        let RENAME_EXCHANGE: UInt32 = 1 << 1
        return renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) == 0
        #elseif canImport(Darwin)
        return renamex_np(a, b, UInt32(RENAME_SWAP)) == 0
        #else
        return false
        #endif
    }
}
