import Foundation
import LunarData

/// Reads price data from Parquet with the CSV reader's column rules (docs/data-formats.md):
/// one long file with a symbol column, a folder of `SYMBOL.parquet`, or a folder of long files
/// (a partitioned dataset such as `year=2024/part-0.parquet`, read recursively; a
/// `symbol=AAA/` folder names the symbol of files without a symbol column).
public enum ParquetLoader {
    public static func load(path: String, adjust: Bool = false, progress: ((Int, Int) -> Void)? = nil) throws -> Panel {
        try PanelAssembly.assemble(try tables(path: path, progress: progress), adjust: adjust)
    }

    /// Every symbol's rows, in symbol order of first appearance (files sorted by path).
    static func tables(path: String, progress: ((Int, Int) -> Void)?) throws -> [(String, SymbolRows)] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw DataError.fileNotFound(path) }
        guard isDir.boolValue else { return try group([try read(file: path, symbol: nil)]) }
        let files = parquetFiles(under: path)
        guard !files.isEmpty else { throw DataError.invalid("\(path): no .parquet files in this folder or below it") }
        // Files are read one after another; each file's row groups and columns decode in parallel.
        var parts: [FileRows] = []
        for (k, f) in files.enumerated() {
            parts.append(try read(file: f.path, symbol: f.partitionSymbol))
            progress?(k + 1, files.count)
        }
        let withSymbols = parts.filter { $0.symbols != nil }
        if !withSymbols.isEmpty && withSymbols.count != parts.count {
            let without = parts.first { $0.symbols == nil }!
            throw DataError.invalid("\(without.file): no symbol column, while \(withSymbols[0].file) has one: a folder holds either one file per symbol (SYMBOL.parquet) or long files with a symbol column")
        }
        return try group(parts)
    }

    /// A folder of one file per symbol (no file has a symbol column, and no two files name the
    /// same symbol): each file's path and symbol, in the loader's order; nil for a dataset of
    /// long files, whose symbols' rows may be spread over several files.
    public static func symbolFiles(under folder: String) throws -> [(path: String, symbol: String)]? {
        let files = parquetFiles(under: folder)
        guard !files.isEmpty else { return nil }
        var out: [(String, String)] = [], seen = Set<String>()
        for f in files {
            let pq: ParquetFile
            do { pq = try ParquetFile(path: f.path) } catch let e as ParquetError { throw DataError.invalid(e.description) }
            if pq.columns.contains(where: { CSVLoader.canonical($0.name) == "symbol" }) { return nil }
            let symbol = f.partitionSymbol ?? ((f.path as NSString).lastPathComponent as NSString).deletingPathExtension
            guard seen.insert(symbol).inserted else { return nil }
            out.append((f.path, symbol))
        }
        return out
    }

    /// One file of a dataset, its rows grouped by symbol as the loader groups them (each
    /// symbol's rows in date order), and whether it has a symbol column.
    public static func tables(file: String, symbol: String?) throws -> (tables: [(String, SymbolRows)], symbolColumn: Bool) {
        let rows = try read(file: file, symbol: symbol)
        return (try group([rows]), rows.symbols != nil)
    }

    /// One file of a folder of one file per symbol, as the folder loader reads it.
    public static func rows(file: String, symbol: String) throws -> SymbolRows {
        try group([try read(file: file, symbol: symbol)])[0].1
    }

    /// `.parquet` files under `folder`, sorted; hidden and `_`-prefixed entries (`_SUCCESS`,
    /// `.lunar`) are skipped, as Spark and pyarrow's dataset readers skip them.
    public static func parquetFiles(under folder: String) -> [(path: String, partitionSymbol: String?)] {
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return [] }
        var out: [(String, String?)] = []
        while let rel = walker.nextObject() as? String {
            let parts = rel.split(separator: "/")
            if parts.contains(where: { $0.hasPrefix(".") || $0.hasPrefix("_") }) { continue }
            guard rel.lowercased().hasSuffix(".parquet") else { continue }
            // Hive-style `symbol=AAA` (or `ticker=AAA`) folders name the symbol.
            let symbol = parts.dropLast().compactMap { p -> String? in
                let kv = p.split(separator: "=", maxSplits: 1)
                guard kv.count == 2, CSVLoader.canonical(String(kv[0])) == "symbol" else { return nil }
                return String(kv[1]).removingPercentEncoding ?? String(kv[1])
            }.last
            out.append(((folder as NSString).appendingPathComponent(rel), symbol))
        }
        return out.sorted { $0.0 < $1.0 }
    }

    /// One file's rows: dates, values and, in a long file, each row's symbol.
    struct FileRows {
        var file: String
        var timestamps: [Int64]
        var offsets: [Int64]?
        var names: [String]
        var columns: [[Double]]
        /// Each row's symbol (codes into `symbolNames`); nil: the file is one symbol.
        var symbols: [Int32]?
        var symbolNames: [String]
        var fileSymbol: String
    }

    static func read(file: String, symbol partitionSymbol: String?) throws -> FileRows {
        let pq: ParquetFile
        do { pq = try ParquetFile(path: file) } catch let e as ParquetError { throw DataError.invalid(e.description) }
        let header = pq.columns.map { CSVLoader.canonical($0.name) }
        func fail(_ k: Int, _ m: String) -> DataError { .invalid(ParquetError(file: file, column: pq.columns[k].name, m).description) }
        // The date column: a named one, else `time`, else pandas' index column.
        let dateCol = header.firstIndex { ["date", "datetime", "timestamp", "date_time"].contains($0) }
            ?? header.firstIndex(of: "time") ?? header.firstIndex(of: "__index_level_0__")
        guard let dateCol else { throw DataError.missingColumn(file: file, column: "date") }
        var seen = Set<String>()
        for (k, h) in header.enumerated() where !seen.insert(h).inserted { throw fail(k, "appears twice (as '\(h)')") }
        let symCol = header.firstIndex(of: "symbol")
        // pandas writes its index as `__index_level_0__`; beside a date column it is dropped.
        let ignored: Set<Int> = Set(header.indices.filter { header[$0].hasPrefix("__index_level_") && $0 != dateCol })
        let valueCols = header.indices.filter { $0 != dateCol && $0 != symCol && !ignored.contains($0) }
        for f in Panel.standardFields where !valueCols.contains(where: { header[$0] == f }) {
            throw DataError.missingColumn(file: file, column: f)
        }
        let wanted = [dateCol] + (symCol.map { [$0] } ?? []) + valueCols
        let decoded: [ColumnValues]
        do { decoded = try pq.read(columns: wanted) } catch let e as ParquetError { throw DataError.invalid(e.description) }
        guard pq.rowCount > 0 else { throw DataError.invalid("\(file): a schema but no rows") }
        var (timestamps, offsets) = try dates(decoded[0], pq.columns[dateCol], fail: { fail(dateCol, $0) })
        if offsets == nil, case .timestamp = pq.columns[dateCol].kind, let name = pq.timeZone(of: pq.columns[dateCol].name) {
            guard let zone = TimeZone(identifier: name) else { throw fail(dateCol, "time zone '\(DataError.clip(name))' (the file's schema) is not an IANA time zone this system knows") }
            // The zone's offset at each instant: days at the zone's midnight become those days,
            // as a CSV date written with its offset does (`SymbolRows.finish`).
            offsets = timestamps.map { Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval($0)))) }
        }
        var symbols: [Int32]? = nil, symbolNames: [String] = []
        if let symCol {
            guard case .text(let dictionary, let codes) = decoded[1].storage else { throw fail(symCol, "holds numbers; a symbol column holds text") }
            if let bad = codes.firstIndex(where: { $0 < 0 || dictionary[Int($0)].isEmpty }) { throw fail(symCol, "row \(bad + 1): empty symbol") }
            symbols = codes; symbolNames = dictionary
        }
        let values = try valueCols.enumerated().map { (i, k) in try numbers(decoded[wanted.count - valueCols.count + i], pq.columns[k], fail: { fail(k, $0) }) }
        let stem = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        return FileRows(file: file, timestamps: timestamps, offsets: offsets, names: valueCols.map { header[$0] }, columns: values,
                        symbols: symbols, symbolNames: symbolNames, fileSymbol: partitionSymbol ?? stem)
    }

    /// Dates as epoch seconds (UTC): TIMESTAMP in any unit (a local one read as UTC wall time,
    /// as CSV dates without an offset are), DATE, INT96, text as the CSV reader reads it, or
    /// plain integers as the CSV reader reads a number (YYYYMMDD, epoch seconds or
    /// milliseconds). Text dates keep their UTC offsets for the local-midnight rule
    /// (`SymbolRows.finish`).
    static func dates(_ v: ColumnValues, _ c: LeafColumn, fail: (String) -> DataError) throws -> ([Int64], [Int64]?) {
        if let valid = v.valid, let bad = valid.firstIndex(of: false) { throw fail("row \(bad + 1): no date") }
        switch v.storage {
        case .integers(let raw):
            switch (c.kind, c.physical) {
            case (.timestamp(let unit, _), _): return (raw.map { Calendar.floorDiv($0, unit.perSecond) }, nil)
            case (_, .int96): return (raw.map { Calendar.floorDiv($0, 1_000_000_000) }, nil)
            case (.date, _):
                // DATE is days in an INT32; on a damaged 64-bit column, days × 86,400 wrapped to
                // any date at all, far enough out to overflow the calendar arithmetic downstream.
                if let bad = raw.firstIndex(where: { Int32(exactly: $0) == nil }) { throw fail("row \(bad + 1): \(raw[bad]) days is not a date") }
                return (raw.map { $0 * 86_400 }, nil)
            case (.none, _), (.integer, _):
                // As the CSV reader reads a number in a date cell: YYYYMMDD, else epoch seconds or
                // milliseconds (a column of integer days like 20240102 is common in vendor files).
                var memo: [Int64: Int64] = [:]
                return (try raw.enumerated().map { (i, x) in
                    if let t = memo[x] { return t }
                    guard let t = CSVLoader.readDate(String(x))?.utc else {
                        throw fail("row \(i + 1): cannot read \(x) as a date (YYYYMMDD, epoch seconds or epoch milliseconds)")
                    }
                    memo[x] = t
                    return t
                }, nil)
            default: throw fail("holds \(kindName(c)); a date column holds TIMESTAMP, DATE or text")
            }
        case .text(let dictionary, let codes):
            let parsed = try dictionary.map { s -> (utc: Int64, offset: Int64) in
                guard let d = CSVLoader.readDate(s) else {
                    throw fail("cannot read date '\(DataError.clip(s))' (expected YYYY-MM-DD, YYYYMMDD, an ISO 8601 date-time, epoch seconds or epoch milliseconds)")
                }
                return d
            }
            let hasOffsets = parsed.contains { $0.offset != 0 }
            return (codes.map { parsed[Int($0)].utc }, hasOffsets ? codes.map { parsed[Int($0)].offset } : nil)
        case .floats:
            throw fail("holds floating-point numbers; a date column holds TIMESTAMP, DATE or text")
        }
    }

    /// A value column as doubles: nulls NaN, integers and decimals converted, text read as numbers.
    static func numbers(_ v: ColumnValues, _ c: LeafColumn, fail: (String) -> DataError) throws -> [Double] {
        var out: [Double]
        switch (v.storage, c.kind) {
        case (.floats(let x), _): out = x
        case (.integers(let x), .decimal(let scale)):
            let unit = pow(10.0, Double(-scale))
            out = x.map { Double($0) * unit }
        case (.integers(let x), .none), (.integers(let x), .integer): out = x.map { Double($0) }
        case (.integers, _): throw fail("holds \(kindName(c)), not numbers")
        case (.text(let dictionary, let codes), _):
            let parsed = try dictionary.map { s -> Double in
                if s.trimmingCharacters(in: .whitespaces).isEmpty { return .nan }
                guard let d = Double(s.trimmingCharacters(in: .whitespaces)) else { throw fail("'\(DataError.clip(s))' is not a number") }
                return d
            }
            out = codes.map { $0 < 0 ? .nan : parsed[Int($0)] }
        }
        if let valid = v.valid { for i in out.indices where !valid[i] { out[i] = .nan } }
        return out
    }

    static func kindName(_ c: LeafColumn) -> String {
        switch c.kind {
        case .other(let n): return n
        case .timestamp: return "timestamps"
        case .date: return "dates"
        case .string: return "text"
        default: return "\(c.physical)"
        }
    }

    /// Rows grouped by symbol (first appearance across the files), each symbol's rows ordered
    /// by date: a dataset's files and a writer's row groups need not be in date order. Two rows
    /// of one symbol on one date are an error naming both.
    static func group(_ files: [FileRows]) throws -> [(String, SymbolRows)] {
        var order: [String] = []
        var index: [String: Int] = [:]
        var rowsOf: [[Row]] = []
        func slot(_ s: String) -> Int {
            if let k = index[s] { return k }
            index[s] = order.count; order.append(s); rowsOf.append([])
            return order.count - 1
        }
        for (f, part) in files.enumerated() {
            if let symbols = part.symbols {
                let slots = part.symbolNames.map(slot)
                for (i, code) in symbols.enumerated() { rowsOf[slots[Int(code)]].append(Row(file: Int32(f), row: Int32(i))) }
            } else {
                let k = slot(part.fileSymbol)
                rowsOf[k] += part.timestamps.indices.map { Row(file: Int32(f), row: Int32($0)) }
            }
        }
        var names: [String] = []
        for part in files { for n in part.names where !names.contains(n) { names.append(n) } }
        // Where each file holds each field (−1: it has none, NaN).
        let columnOf = files.map { part in names.map { part.names.firstIndex(of: $0) ?? -1 } }
        return try order.indices.map { k in
            var rows = rowsOf[k]
            func time(_ r: Row) -> Int64 { files[Int(r.file)].timestamps[Int(r.row)] }
            // Usually already in date order: checked before sorting.
            if !zip(rows, rows.dropFirst()).allSatisfy({ time($0) <= time($1) }) {
                rows.sort { a, b in time(a) != time(b) ? time(a) < time(b) : (a.file, a.row) < (b.file, b.row) }
            }
            let symbol = order[k]
            var table = SymbolRows(columns: [], names: names, file: files[Int(rows[0].file)].file)
            table.rowNumbered = true
            // A long file sorted by symbol holds each symbol's rows in one run: copied as slices.
            let first = rows[0], last = rows[rows.count - 1]
            let run: Range<Int>? = first.file == last.file && Int(last.row - first.row) + 1 == rows.count
                && rows.allSatisfy({ $0.file == first.file }) ? Int(first.row) ..< Int(last.row) + 1 : nil
            if let run {
                table.timestamps = Array(files[Int(first.file)].timestamps[run])
                table.lines = Array(run.lowerBound + 1 ..< run.upperBound + 1)
            } else {
                table.timestamps = rows.map(time)
                table.lines = rows.map { Int($0.row) + 1 }
            }
            for i in rows.indices.dropFirst() where table.timestamps[i] == table.timestamps[i - 1] {
                let (p, r) = (rows[i - 1], rows[i])
                let other = p.file == r.file ? "row \(p.row + 1)" : "row \(p.row + 1) of \(files[Int(p.file)].file)"
                let t = table.timestamps[i]
                throw DataError.row(file: files[Int(r.file)].file, row: Int(r.row) + 1, column: nil,
                                    message: "symbol '\(DataError.clip(symbol))': duplicate date \(Calendar.format(t, daily: t % 86_400 == 0)) (also on \(other))")
            }
            table.columns = names.indices.map { c in
                if let run {
                    let at = columnOf[Int(first.file)][c]
                    return at < 0 ? [Double](repeating: .nan, count: rows.count) : Array(files[Int(first.file)].columns[at][run])
                }
                let byFile = files.indices.map { f in columnOf[f][c] < 0 ? [] : files[f].columns[columnOf[f][c]] }
                return rows.map { r in byFile[Int(r.file)].isEmpty ? .nan : byFile[Int(r.file)][Int(r.row)] }
            }
            if files.contains(where: { $0.offsets != nil }) {
                table.offsets = rows.map { files[Int($0.file)].offsets?[Int($0.row)] ?? 0 }
                table.hasOffsets = true
                table.allLocalMidnight = zip(table.timestamps, table.offsets).allSatisfy { Calendar.floorDiv($0 + $1, 86_400) * 86_400 == $0 + $1 }
            } else {
                table.allLocalMidnight = table.timestamps.allSatisfy { $0 % 86_400 == 0 }
            }
            try table.finish()
            return (symbol, table)
        }
    }

    /// A row of one of the files being grouped.
    struct Row { var file: Int32, row: Int32 }
}
