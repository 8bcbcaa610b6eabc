#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Reads price data from CSV: a folder of `SYMBOL.csv` files, or one long file with a `symbol`
/// column. See docs/semantics.md, "Data".
public enum CSVLoader {
    public struct Options: Sendable {
        /// Rescale open/high/low/close by `adj_close / close` (Yahoo-style adjusted data).
        public var adjust = false
        public init(adjust: Bool = false) { self.adjust = adjust }
    }

    /// Loads a folder of per-symbol CSVs or one long CSV.
    /// - Parameter progress: called with (files read, files in all) while a folder loads.
    public static func load(path: String, options: Options = Options(),
                            progress: ((Int, Int) -> Void)? = nil) throws -> Panel {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw DataError.fileNotFound(path)
        }
        let tables: [(String, SymbolTable)]
        if isDir.boolValue {
            let names = try folderFiles(path)
            let url = URL(fileURLWithPath: path)
            // Files parse in parallel, in batches so progress can be reported between them.
            let parsed = ParsedFiles(count: names.count)
            let batch = 64
            for start in stride(from: 0, to: names.count, by: batch) {
                let end = min(names.count, start + batch)
                parallelFor(chunks: end - start, threads: defaultThreadCount) { k in
                    let i = start + k
                    parsed.set(i, Result { try parse(file: url.appendingPathComponent(names[i]).path, symbolColumn: false)[0].1 })
                }
                progress?(end, names.count)
            }
            tables = try names.indices.map { (String(names[$0].dropLast(4)), try parsed.get($0)) }
        } else {
            tables = try parse(file: path, symbolColumn: true)
        }
        return try assemble(tables, options: options)
    }

    typealias SymbolTable = SymbolRows

    /// The CSV files of a data folder, sorted (their names without `.csv` are the symbols).
    public static func folderFiles(_ path: String) throws -> [String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: path)
            .filter { $0.lowercased().hasSuffix(".csv") && $0 != Universe.delistingsFileName }.sorted()
        guard !names.isEmpty else { throw DataError.invalid("\(path): no .csv files in this folder") }
        return names
    }

    /// One file of a data folder as the folder loader reads it.
    public static func rows(file: String) throws -> SymbolRows { try parse(file: file, symbolColumn: false)[0].1 }

    /// Canonical field names for recognised headers (lower case, spaces as `_`). Stooq's
    /// `<DATE>`-style brackets are dropped. The date-ish names (`date`, `datetime`, `timestamp`,
    /// `time`) are kept apart here; `Layout` decides which one is the date column.
    public static func canonical(_ header: String) -> String {
        var h = header.trimmingCharacters(in: .whitespaces).lowercased()
        if h.count >= 2, h.hasPrefix("<"), h.hasSuffix(">") { h = String(h.dropFirst().dropLast()) }
        switch h {
        case "adj close", "adj_close", "adjclose", "adjusted close", "adjusted_close": return "adj_close"
        case "ticker": return "symbol"
        case "vol": return "volume"
        case "split", "splits", "stock splits", "stock_splits", "split_ratio", "split ratio",
             "split_coefficient", "split coefficient", "split_factor": return "split"
        case "dividend", "dividends", "div", "dividend_amount", "dividend amount": return "dividend"
        default: return h.replacingOccurrences(of: " ", with: "_")
        }
    }

    public static let dateNames: Set<String> = ["date", "datetime", "timestamp", "time", "date_time"]

    /// How one file's columns are read, decided from its header.
    struct Layout {
        var delimiter: UInt8
        var fieldCount: Int
        var dateCol: Int
        /// A separate time-of-day column (`Date,Time,…`), added to the date.
        var timeCol: Int?
        var symCol: Int?
        /// A folder's file with a symbol column: checked to hold one symbol, otherwise ignored.
        var oneSymbolCol: Int? = nil
        var valueCols: [Int]
        var valueNames: [String]
    }

    /// The delimiter: whichever of `,` `;` tab the header has most of, outside quotes (a comma
    /// on a tie or when there is none).
    static func delimiter(_ buf: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> UInt8 {
        var comma = 0, semicolon = 0, tab = 0, quoted = false
        for i in range {
            switch buf[i] {
            case 34: quoted.toggle()
            case 44 where !quoted: comma += 1
            case 59 where !quoted: semicolon += 1
            case 9 where !quoted: tab += 1
            default: break
            }
        }
        if semicolon > comma, semicolon >= tab { return 59 }
        if tab > comma, tab > semicolon { return 9 }
        return 44
    }

    static func cells(_ buf: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ delimiter: UInt8) -> [String] {
        fieldsOf(buf, range, delimiter).map { String(decoding: UnsafeBufferPointer(rebasing: buf[$0]), as: UTF8.self) }
    }

    /// Reads the header (one line, or yfinance's three: `Price,…` / `Ticker,…` / `Date,,,…`) and
    /// decides the layout. Leaves `reader` on the first data row.
    static func layout(_ buf: UnsafeBufferPointer<UInt8>, _ reader: inout LineReader, file: String,
                       symbolColumn: Bool) throws -> Layout {
        guard let headerRange = reader.next() else { throw DataError.invalid("\(file): the file is empty") }
        let delim = delimiter(buf, headerRange)
        var header = cells(buf, headerRange, delim).map(canonical)
        if header.first == "price" {
            // yfinance ≥ 0.2.51 writes a column index of two levels, then the index's name.
            var peek = reader
            if let r = peek.next(), cells(buf, r, delim).first.map(canonical) == "symbol" { reader = peek }
            peek = reader
            if let r = peek.next() {
                let row = cells(buf, r, delim)
                if let first = row.first.map(canonical), dateNames.contains(first),
                   row.dropFirst().allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
                    reader = peek
                    header[0] = first
                }
            }
        }
        var ignored = Set<Int>()
        // The date column: a named one, else `time` alone, else pandas' unnamed index.
        let named = header.firstIndex { $0 == "date" || $0 == "datetime" || $0 == "timestamp" || $0 == "date_time" }
        var timeCol: Int? = nil
        let dateCol: Int
        if let named {
            dateCol = named
            if header[named] == "date", let t = header.indices.first(where: { header[$0] == "time" }) { timeCol = t }
            if header.first == "" { ignored.insert(0) }   // an unnamed index beside a named date
        } else if let t = header.firstIndex(of: "time") {
            dateCol = t
            if header.first == "" { ignored.insert(0) }
        } else if header.first == "" {
            dateCol = 0   // pandas `to_csv()`: the index has no name
        } else {
            throw DataError.missingColumn(file: file, column: "date")
        }
        if header.count > 1, header.last == "" { ignored.insert(header.count - 1) }   // a trailing delimiter
        if let c = header.firstIndex(of: "per") { ignored.insert(c) }   // Stooq's period letter
        var symCol: Int? = nil, oneSymbolCol: Int? = nil
        if let c = header.firstIndex(of: "symbol") {
            if symbolColumn { symCol = c } else { ignored.insert(c); oneSymbolCol = c }   // a folder: the file name is the symbol
        }
        let used = header.indices.filter { $0 != dateCol && $0 != timeCol && !ignored.contains($0) }
        for f in Panel.standardFields where !used.contains(where: { header[$0] == f }) {
            throw DataError.missingColumn(file: file, column: f)
        }
        var seen = Set<String>()
        for c in used where !seen.insert(header[c]).inserted {
            throw DataError.malformed(file: file, line: reader.lineNumber, message: "column '\(DataError.clip(header[c]))' appears twice")
        }
        let valueCols = used.filter { $0 != symCol }
        return Layout(delimiter: delim, fieldCount: header.count, dateCol: dateCol, timeCol: timeCol, symCol: symCol,
                      oneSymbolCol: oneSymbolCol, valueCols: valueCols, valueNames: valueCols.map { header[$0] })
    }

    /// Parses one CSV file. With `symbolColumn`, groups the rows by their `symbol` value (a
    /// file without one is one symbol, named after the file).
    static func parse(file: String, symbolColumn: Bool) throws -> [(String, SymbolTable)] {
        guard let data = FileManager.default.contents(atPath: file) else { throw DataError.fileNotFound(file) }
        var bytes = [UInt8](data)
        bytes.append(0)   // strtod stops at the terminator
        return try bytes.withUnsafeBufferPointer { buf -> [(String, SymbolTable)] in
            var reader = LineReader(buf: buf, count: buf.count - 1)
            let layout = try layout(buf, &reader, file: file, symbolColumn: symbolColumn)
            let delim = layout.delimiter, dateCol = layout.dateCol, timeCol = layout.timeCol
            let symCol = layout.symCol, valueCols = layout.valueCols, valueNames = layout.valueNames
            let grouped = symCol != nil
            var order: [String] = []
            var tables: [String: SymbolTable] = [:]
            var current = grouped ? "" : "_"
            var table = SymbolTable(columns: Array(repeating: [], count: valueCols.count), names: valueNames,
                                    file: file, csvColumns: valueCols.map { $0 + 1 })
            if !grouped {
                // One table per file: reserve every row up front so appends never reallocate.
                var rows = 0
                for i in 0 ..< buf.count - 1 where buf[i] == 10 { rows += 1 }
                table.timestamps.reserveCapacity(rows + 1); table.lines.reserveCapacity(rows + 1)
                for k in table.columns.indices { table.columns[k].reserveCapacity(rows + 1) }
            }
            var fieldRanges: [Range<Int>] = []
            var lineNo = 1
            var firstSymbol: (String, Int)? = nil
            while let range = reader.next() {
                lineNo = reader.lineNumber
                if range.isEmpty { continue }
                fieldRanges.removeAll(keepingCapacity: true)
                splitFields(buf, range, delim, into: &fieldRanges)
                guard fieldRanges.count == layout.fieldCount else {
                    throw DataError.malformed(file: file, line: lineNo,
                        message: "expected \(layout.fieldCount) fields, found \(fieldRanges.count)")
                }
                if let symCol {
                    let sym = text(buf, fieldRanges[symCol])
                    guard !sym.isEmpty else { throw DataError.malformed(file: file, line: lineNo, message: "empty symbol") }
                    if sym != current {
                        if !current.isEmpty { tables[current] = table }
                        current = sym
                        if let existing = tables[sym] { table = existing } else {
                            order.append(sym)
                            table = SymbolTable(columns: Array(repeating: [], count: valueCols.count), names: valueNames,
                                    file: file, csvColumns: valueCols.map { $0 + 1 })
                        }
                    }
                }
                if let c = layout.oneSymbolCol {
                    let sym = text(buf, fieldRanges[c])
                    if firstSymbol == nil { firstSymbol = (sym, lineNo) } else if let (first, line) = firstSymbol, sym != first {
                        throw DataError.malformed(file: file, line: lineNo, column: c + 1,
                            message: "symbol '\(DataError.clip(sym))' in a file of symbol '\(DataError.clip(first))' (line \(line)): a file in a data folder holds one symbol; pass a file of many symbols as --data FILE.csv")
                    }
                }
                let dateRange = unquoted(buf, fieldRanges[dateCol])
                var dateText: Substring { Substring(decoding: UnsafeBufferPointer(rebasing: buf[dateRange]), as: UTF8.self) }
                var t: Int64
                if let day = plainDate(buf, dateRange) {
                    t = day
                    if table.hasOffsets { table.offsets.append(0) }
                } else {
                    guard let (utc, offset) = Calendar.parseWithOffset(Substring(dateText.trimmingCharacters(in: .whitespaces))) else {
                        throw DataError.malformed(file: file, line: lineNo, column: dateCol + 1,
                            message: "cannot read date '\(DataError.clip(dateText))' (expected YYYY-MM-DD, YYYYMMDD, an ISO 8601 date-time, epoch seconds or epoch milliseconds)")
                    }
                    t = utc
                    if offset != 0 && !table.hasOffsets {
                        table.offsets = [Int64](repeating: 0, count: table.timestamps.count)
                        table.hasOffsets = true
                    }
                    if table.hasOffsets { table.offsets.append(offset) }
                    if Calendar.floorDiv(utc + offset, 86_400) * 86_400 != utc + offset { table.allLocalMidnight = false }
                }
                if let timeCol {
                    let r = unquoted(buf, fieldRanges[timeCol])
                    let timeText = Substring(decoding: UnsafeBufferPointer(rebasing: buf[r]), as: UTF8.self)
                    guard let tod = Calendar.parseTimeOfDay(timeText) else {
                        throw DataError.malformed(file: file, line: lineNo, column: timeCol + 1,
                            message: "cannot read time '\(DataError.clip(timeText))' (expected HH:MM, HH:MM:SS or HHMMSS)")
                    }
                    t += tod
                    if tod != 0 { table.allLocalMidnight = false }
                }
                if let last = table.timestamps.last, t <= last || table.descending {
                    // Dates must go one way: up, or (newest first, decided by the first two
                    // rows) down throughout.
                    let prev = table.lines.last ?? 0
                    var shown: String { timeCol == nil ? DataError.clip(dateText) : Calendar.format(t, daily: false) }
                    if t == last {
                        throw DataError.malformed(file: file, line: lineNo, message: "duplicate date \(shown) (also on line \(prev))")
                    }
                    if table.descending ? t > last : table.timestamps.count > 1 {
                        throw DataError.malformed(file: file, line: lineNo, message: table.descending
                            ? "dates are not in order (\(shown) comes after line \(prev); the file starts newest first, so every date must be earlier than the one above it)"
                            : "dates are not in increasing order (\(shown) comes after line \(prev))")
                    }
                    table.descending = true
                }
                table.timestamps.append(t)
                table.lines.append(lineNo)
                for k in 0 ..< valueCols.count {
                    let c = valueCols[k]
                    let r = fieldRanges[c]
                    let v = parseNumber(buf, r)
                    guard let v else {
                        let text = String(decoding: UnsafeBufferPointer(rebasing: buf[r]), as: UTF8.self)
                        throw DataError.malformed(file: file, line: lineNo, column: c + 1,
                            message: "column '\(DataError.clip(valueNames[k]))': " + notANumber(text, delimiter: delim))
                    }
                    table.columns[k].append(v)
                }
            }
            // A header alone would become a symbol (or a universe) without a single bar.
            if grouped ? order.isEmpty : table.timestamps.isEmpty {
                throw DataError.invalid("\(file): a header but no data rows")
            }
            if grouped {
                if !current.isEmpty { tables[current] = table }
                return try order.map { sym in
                    var t = tables[sym]!
                    try t.finish()
                    return (sym, t)
                }
            }
            try table.finish()
            let name = symbolColumn ? String(URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent) : "_"
            return [(name, table)]
        }
    }

    /// Why a cell is not a number: commas get their own words (`"1,234.50"` is a thousands
    /// separator, `1,5` in a semicolon file a decimal comma; Lunar reads neither).
    static func notANumber(_ text: String, delimiter: UInt8) -> String {
        let cell = text.trimmingCharacters(in: CharacterSet(charactersIn: " \""))
        let digitsAndCommas = !cell.isEmpty && cell.contains(",") &&
            cell.allSatisfy { $0.isASCII && ($0.isNumber || $0 == "," || $0 == "." || $0 == "-" || $0 == "+") }
        if digitsAndCommas {
            if delimiter == 44 || cell.contains(".") {
                return "'\(DataError.clip(text))' has a thousands separator; thousands separators are not read (write \(DataError.clip(cell.replacingOccurrences(of: ",", with: ""))))"
            }
            return "'\(DataError.clip(text))' has a comma; thousands separators and decimal commas are not read (write numbers with a decimal point and nothing else)"
        }
        return "'\(DataError.clip(text))' is not a number"
    }

    static func assemble(_ tables: [(String, SymbolTable)], options: Options) throws -> Panel {
        try PanelAssembly.assemble(tables, adjust: options.adjust)
    }

    /// A date cell as the CSV reader reads it (YYYY-MM-DD, YYYYMMDD, ISO 8601 with or without
    /// an offset, epoch seconds or milliseconds): UTC and the offset written, for other readers
    /// of text dates (Parquet's string columns).
    public static func readDate(_ text: String) -> (utc: Int64, offset: Int64)? {
        var bytes = Array(text.utf8)
        bytes.append(0)
        if let day = bytes.withUnsafeBufferPointer({ plainDate($0, 0 ..< $0.count - 1) }) { return (day, 0) }
        return Calendar.parseWithOffset(Substring(text.trimmingCharacters(in: .whitespaces)))
    }

    // MARK: - byte-level scanning

    struct LineReader {
        let buf: UnsafeBufferPointer<UInt8>
        let count: Int
        var pos = 0
        var lineNumber = 0
        init(buf: UnsafeBufferPointer<UInt8>, count: Int) {
            self.buf = buf; self.count = count
            if count >= 3, buf[0] == 0xEF, buf[1] == 0xBB, buf[2] == 0xBF { pos = 3 }   // UTF-8 BOM
        }
        /// The next line's byte range, without its CR/LF.
        mutating func next() -> Range<Int>? {
            guard pos < count else { return nil }
            lineNumber += 1
            let start = pos
            var end = start
            while end < count, buf[end] != 10 { end += 1 }
            pos = end + 1
            var stop = end
            if stop > start, buf[stop - 1] == 13 { stop -= 1 }
            return start ..< stop
        }
    }

    static func fieldsOf(_ buf: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ delimiter: UInt8 = 44) -> [Range<Int>] {
        var out: [Range<Int>] = []
        splitFields(buf, range, delimiter, into: &out)
        return out.map { unquoted(buf, $0) }
    }

    /// A cell without surrounding spaces and without the double quotes around it, if any.
    @inline(__always)
    static func unquoted(_ buf: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Range<Int> {
        var lo = r.lowerBound, hi = r.upperBound
        while lo < hi, buf[lo] == 32 { lo += 1 }
        while hi > lo, buf[hi - 1] == 32 { hi -= 1 }
        if hi - lo >= 2, buf[lo] == 34, buf[hi - 1] == 34 { return lo + 1 ..< hi - 1 }
        return lo ..< hi
    }

    /// A text cell: unquoted, with a doubled quote inside quotes read as one (RFC 4180).
    static func text(_ buf: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> String {
        let inner = unquoted(buf, r)
        let s = String(decoding: UnsafeBufferPointer(rebasing: buf[inner]), as: UTF8.self)
        let quoted = inner.lowerBound > r.lowerBound && buf[inner.lowerBound - 1] == 34
        return quoted ? s.replacingOccurrences(of: "\"\"", with: "\"") : s
    }

    /// Splits on the delimiter (a comma, semicolon or tab); a field in double quotes may hold it.
    @inline(__always)
    static func splitFields(_ buf: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ delimiter: UInt8,
                            into out: inout [Range<Int>]) {
        var i = range.lowerBound
        var start = i
        var quoted = false
        while i < range.upperBound {
            let c = buf[i]
            if c == 34 { quoted.toggle() } else if c == delimiter, !quoted {
                out.append(start ..< i); start = i + 1
            }
            i += 1
        }
        out.append(start ..< range.upperBound)
    }

    /// A number, or NaN for an empty cell or `NaN`/`null`/`NA`; nil when the text is not a number.
    @inline(__always)
    static func parseNumber(_ buf: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Double? {
        var lo = r.lowerBound, hi = r.upperBound
        while lo < hi, buf[lo] == 32 || buf[lo] == 34 { lo += 1 }
        while hi > lo, buf[hi - 1] == 32 || buf[hi - 1] == 34 { hi -= 1 }
        if lo == hi { return .nan }
        let first = buf[lo] | 0x20
        if first == UInt8(ascii: "n") {   // nan, null, na
            let word = String(decoding: UnsafeBufferPointer(rebasing: buf[lo ..< hi]), as: UTF8.self).lowercased()
            return ["nan", "null", "na", "n/a"].contains(word) ? .nan : nil
        }
        if let v = plainDecimal(buf, lo, hi) { return v }
        let base = buf.baseAddress! + lo
        var end: UnsafeMutablePointer<CChar>? = nil
        let v = base.withMemoryRebound(to: CChar.self, capacity: hi - lo) { p -> Double in
            strtod(p, &end)
        }
        guard let end, UnsafeRawPointer(end) - UnsafeRawPointer(buf.baseAddress!) == hi else { return nil }
        return v
    }

    // MARK: - fast paths (each falls back to the general parser when it does not apply)

    /// Exact powers of ten: every one up to 1e22 is a Double without rounding.
    @inline(__always)
    static func powerOfTen(_ k: Int) -> Double {
        // A literal table on the stack: a global array would cost a lazy-initialization check
        // per number.
        let table: (Double, Double, Double, Double, Double, Double, Double, Double, Double, Double, Double, Double,
                     Double, Double, Double, Double, Double, Double, Double, Double, Double, Double, Double) =
            (1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
             1e17, 1e18, 1e19, 1e20, 1e21, 1e22)
        return withUnsafeBytes(of: table) { $0.load(fromByteOffset: k * 8, as: Double.self) }
    }

    /// `[-]digits[.digits]` with at most 19 significant digits → a double, correctly rounded
    /// (Clinger's fast path: the integer and the power of ten are both exact, and one IEEE
    /// division rounds correctly). Anything else (exponents, 20+ digits) → nil, for strtod.
    @inline(__always)
    static func plainDecimal(_ buf: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) -> Double? {
        var i = lo
        let negative = buf[i] == 45
        if negative || buf[i] == 43 { i += 1 }
        var mantissa: UInt64 = 0
        var digits = 0, fraction = 0
        var seenDot = false, any = false
        let base = UnsafeRawPointer(buf.baseAddress!)
        while i < hi {
            // Eight digits at once once past the leading zeros (SWAR: test and convert the
            // eight bytes of one little-endian word).
            if mantissa != 0 && hi - i >= 8 {
                let w = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                if w & 0xF0F0_F0F0_F0F0_F0F0 == 0x3030_3030_3030_3030,
                   (w &+ 0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0 == 0x3030_3030_3030_3030 {
                    var v = w &- 0x3030_3030_3030_3030
                    v = (v &* 10) &+ (v >> 8)
                    v = (((v & 0x0000_00FF_0000_00FF) &* (100 &+ (1_000_000 << 32))) &+
                         (((v >> 16) & 0x0000_00FF_0000_00FF) &* (1 &+ (10_000 << 32)))) >> 32
                    mantissa = mantissa &* 100_000_000 &+ v
                    digits += 8
                    if seenDot { fraction += 8 }
                    i += 8
                    continue
                }
            }
            let c = buf[i]
            if c &- 48 < 10 {
                if mantissa != 0 || c != 48 { digits += 1 }
                mantissa = mantissa &* 10 &+ UInt64(c &- 48)
                if seenDot { fraction += 1 }
                any = true
            } else if c == 46 && !seenDot {
                seenDot = true
            } else {
                return nil
            }
            i += 1
        }
        // At most 19 digits cannot overflow; a mantissa up to 2^53 converts exactly.
        guard any, digits <= 19, fraction <= 22 else { return nil }
        if mantissa <= 1 << 53 {
            let v = Double(mantissa) / powerOfTen(fraction)
            return negative ? -v : v
        }
        #if arch(x86_64)
        // 17–19 digits (the shortest form of most doubles): divide exactly-represented
        // operands in 64-bit precision, then round to 53 bits. That double rounding is exact
        // unless the 64-bit quotient sits exactly halfway between two doubles; leave that
        // case to strtod.
        let q = Float80(mantissa) / Float80(powerOfTen(fraction))
        guard q.significandBitPattern & 0x7FF != 0x400 else { return nil }
        let v = Double(q)
        return negative ? -v : v
        #else
        return nil
        #endif
    }

    /// A bare `YYYY-MM-DD` field → epoch seconds, without building a string; nil otherwise.
    @inline(__always)
    static func plainDate(_ buf: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Int64? {
        guard r.count == 10, buf[r.lowerBound + 4] == 45, buf[r.lowerBound + 7] == 45 else { return nil }
        func num(_ at: Int, _ n: Int) -> Int? {
            var v = 0
            for k in 0 ..< n {
                let c = buf[r.lowerBound + at + k] &- 48
                guard c < 10 else { return nil }
                v = v * 10 + Int(c)
            }
            return v
        }
        guard let y = num(0, 4), let m = num(5, 2), let d = num(8, 2), (1 ... 12).contains(m), d >= 1, d <= 28 else {
            return nil   // days 29–31 take the general path, which knows month lengths
        }
        return Calendar.daysFromCivil(y, m, d) * 86_400
    }
}

/// Per-file parse results written by worker threads, each to its own index.
final class ParsedFiles: @unchecked Sendable {
    private var results: [Result<CSVLoader.SymbolTable, Error>?]
    private let lock = NSLock()
    init(count: Int) { results = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: Result<CSVLoader.SymbolTable, Error>) { lock.lock(); results[i] = r; lock.unlock() }
    func get(_ i: Int) throws -> CSVLoader.SymbolTable { try results[i]!.get() }
}
