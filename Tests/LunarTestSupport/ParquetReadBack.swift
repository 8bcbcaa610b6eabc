import Foundation
import LunarParquet

/// Parquet files read back with pyarrow, polars and DuckDB (tools/parquet/read_back.py, which
/// checks that the three agree), for tests of what Lunar writes; skipped where the venv
/// (tools/parquet/install.sh) is missing.
public enum ParquetReadBack {
    public static let python = Fixtures.path(".build-venv-parquet/bin/python")
    public static let script = Fixtures.path("tools/parquet/read_back.py")
    public static let available = FileManager.default.isExecutableFile(atPath: python) && FileManager.default.fileExists(atPath: script)

    public static func run(_ files: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [script] + files
        let errors = Fixtures.tempDir("read-back") + "/stderr"
        _ = FileManager.default.createFile(atPath: errors, contents: nil)
        let out = Pipe()
        p.standardOutput = out
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errors))
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self), (try? String(contentsOfFile: errors, encoding: .utf8)) ?? "")
    }

    /// The records of Python's csv.writer output: quoted fields, doubled quotes, newlines in quotes.
    public static func csv(_ text: String) -> [[String]] {
        var records: [[String]] = [], row: [String] = [], field = "", inQuotes = false, quoted = false
        let chars = Array(text)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            i += 1
            if inQuotes {
                if c == "\"" {
                    if i < chars.count && chars[i] == "\"" { field.append("\""); i += 1 } else { inQuotes = false }
                } else { field.append(c) }
            } else if c == "\"" && field.isEmpty && !quoted {
                inQuotes = true; quoted = true
            } else if c == "," {
                row.append(field); field = ""; quoted = false
            } else if c == "\n" {
                row.append(field); records.append(row); row = []; field = ""; quoted = false
            } else {
                field.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty || quoted { row.append(field); records.append(row) }
        return records
    }

    /// The first row whose cell is not the written value: floats as Python's repr (NaN any NaN),
    /// timestamps as epoch seconds, booleans true/false.
    public static func firstMismatch(_ cells: [String], _ column: ParquetTable.Column) -> Int? {
        func first<T>(_ values: [T], _ same: (String, T) -> Bool) -> Int? {
            if values.count != cells.count { return min(values.count, cells.count) }
            return cells.indices.first { !same(cells[$0], values[$0]) }
        }
        switch column {
        case .doubles(let v):
            return first(v) { c, x in Double(c).map { x.isNaN ? $0.isNaN : $0.bitPattern == x.bitPattern } ?? false }
        case .int64s(let v): return first(v) { Int64($0) == $1 }
        case .timestamps(let v): return first(v) { Int64($0) == $1 }
        case .strings(let v): return first(v) { $0.utf8.elementsEqual($1.utf8) }
        case .bools(let v): return first(v) { $0 == ($1 ? "true" : "false") }
        }
    }
}
