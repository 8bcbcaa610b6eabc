import Foundation
import LunarData
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A flat table to write as Parquet: named columns of equal length, in order.
///
/// Every column is written REQUIRED: no definition levels, no nulls. A Double NaN is written as
/// the NaN value it is, bits and all (pyarrow, polars and DuckDB read it back as NaN, not null).
public struct ParquetTable: Sendable {
    public enum Column: Sendable, Equatable {
        /// DOUBLE.
        case doubles([Double])
        /// INT64.
        case int64s([Int64])
        /// Epoch seconds, written as INT64 TIMESTAMP(isAdjustedToUTC=true, MILLIS): seconds × 1000.
        case timestamps(seconds: [Int64])
        /// BYTE_ARRAY with the STRING logical type (converted type UTF8).
        case strings([String])
        /// BOOLEAN.
        case bools([Bool])

        public var count: Int {
            switch self {
            case .doubles(let v): v.count
            case .int64s(let v): v.count
            case .timestamps(let v): v.count
            case .strings(let v): v.count
            case .bools(let v): v.count
            }
        }
    }

    public var columns: [(name: String, values: Column)]

    public init(_ columns: [(name: String, values: Column)] = []) { self.columns = columns }
    public init(_ columns: KeyValuePairs<String, Column>) { self.columns = columns.map { (name: $0.key, values: $0.value) } }

    public mutating func append(_ name: String, _ values: Column) { columns.append((name: name, values: values)) }

    /// The first column's length (0 without columns); `ParquetWriter` checks that all agree.
    public var rowCount: Int { columns.first?.values.count ?? 0 }
}

/// Why a table cannot be written: names the file (when writing one) and the column at fault.
public struct ParquetWriteError: Error, CustomStringConvertible, Equatable {
    public var file: String?
    public let column: String?
    public let message: String
    public init(file: String? = nil, column: String? = nil, _ message: String) {
        self.file = file; self.column = column; self.message = message
    }
    public var description: String {
        (file.map { "\($0): " } ?? "") + (column.map { "column '\(DataError.clip($0))': " } ?? "") + message
    }
}

/// Writes `ParquetTable`s as Parquet files that pyarrow (pandas), polars and DuckDB read:
/// format 2 metadata (FileMetaData version 2, created_by "lunar"), data pages v1, one row group
/// per `rowGroupSize` rows (one row group with no rows for an empty table), pages of about
/// 1 MiB of values.
///
/// - Numbers and booleans are PLAIN (booleans bit-packed); timestamps are INT64 milliseconds.
/// - Strings are dictionary-encoded (a PLAIN dictionary page, RLE_DICTIONARY data pages) while a
///   column chunk's distinct strings take at most 1 MiB, else PLAIN.
/// - Every column is REQUIRED (no definition levels): there are no nulls, and a NaN is a value.
/// - Column chunks carry min/max statistics (signed for integers, byte-wise for strings); a
///   DOUBLE chunk holding a NaN carries none (readers order NaN differently).
public enum ParquetWriter {
    /// Writes `table` to `path` atomically: to a temporary file beside it (hidden, so folder
    /// readers skip it), renamed into place when complete (no fsync), so a reader never sees
    /// half a file. On failure the temporary file is removed and `path` is left as it was.
    public static func write(_ table: ParquetTable, to path: String, codec: Codec = .snappy, rowGroupSize: Int = 1 << 20) throws {
        // Errors about the table name the file too.
        func named(_ error: Error) -> Error {
            guard var e = error as? ParquetWriteError, e.file == nil else { return error }
            e.file = path
            return e
        }
        let plan: Plan
        do { plan = try Plan(table, codec: codec, rowGroupSize: rowGroupSize) } catch { throw named(error) }
        let url = URL(fileURLWithPath: path)
        let tmp = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(UUID().uuidString.prefix(12))").path
        let fd = openNew(tmp)
        guard fd >= 0 else { throw ParquetWriteError(file: path, "cannot create \(tmp) (\(errnoText()))") }
        do {
            try plan.encode { bytes in
                if let failure = writeAll(fd, bytes) { throw ParquetWriteError(file: path, "cannot write \(tmp) (\(failure))") }
            }
        } catch {
            _ = closeFile(fd)
            removeFile(tmp)
            throw named(error)
        }
        if let failure = closeFile(fd) {
            removeFile(tmp)
            throw ParquetWriteError(file: path, "cannot write \(tmp) (\(failure))")
        }
        if let failure = renameFile(tmp, path) {
            removeFile(tmp)
            throw ParquetWriteError(file: path, "cannot move \(tmp) into place (\(failure))")
        }
    }

    /// The bytes of the Parquet file `write` would write.
    public static func data(_ table: ParquetTable, codec: Codec = .snappy, rowGroupSize: Int = 1 << 20) throws -> [UInt8] {
        let plan = try Plan(table, codec: codec, rowGroupSize: rowGroupSize)
        var out: [UInt8] = []
        try plan.encode { out += $0 }
        return out
    }

    /// Codecs the writer compresses with.
    public static let codecs: [Codec] = [.uncompressed, .snappy, .zstd, .gzip]

    /// Target uncompressed size of a data page's values.
    static let pageBytes = 1 << 20
    /// Longest string kept in min/max statistics (longer ones leave the chunk without them).
    static let maxStatisticsBytes = 1024
}

// MARK: - the plan: a checked table in physical values

extension ParquetWriter {
    /// A column's physical values; timestamps already in milliseconds.
    enum Values: Sendable {
        case doubles([Double]), int64s([Int64]), strings([String]), bools([Bool])
    }

    struct LeafSchema: Sendable {
        let name: String
        let physical: PhysicalType
        /// 0 UTF8, 9 TIMESTAMP_MILLIS.
        let convertedType: Int32?
        let isString: Bool
        let isTimestamp: Bool
    }

    struct Plan: Sendable {
        let schema: [LeafSchema]
        let values: [Values]
        let rows: Int
        let codec: Codec
        let rowGroupSize: Int

        init(_ table: ParquetTable, codec: Codec, rowGroupSize: Int) throws {
            guard ParquetWriter.codecs.contains(codec) else {
                throw ParquetWriteError("compression \(codec.name) is not written (UNCOMPRESSED, SNAPPY, ZSTD and GZIP are)")
            }
            guard rowGroupSize >= 1 else { throw ParquetWriteError("a row group size of \(rowGroupSize) rows (at least 1)") }
            guard !table.columns.isEmpty else { throw ParquetWriteError("a table without columns (a Parquet file needs at least one)") }
            let rows = table.rowCount
            var seen = Set<String>()
            var schema: [LeafSchema] = [], values: [Values] = []
            for (k, column) in table.columns.enumerated() {
                let name = column.name
                guard !name.isEmpty else { throw ParquetWriteError("column \(k + 1) has an empty name") }
                guard seen.insert(name).inserted else { throw ParquetWriteError(column: name, "is named twice") }
                guard column.values.count == rows else {
                    throw ParquetWriteError(column: name, "has \(column.values.count) values, column '\(DataError.clip(table.columns[0].name))' \(rows): all columns need the same length")
                }
                switch column.values {
                case .doubles(let v):
                    schema.append(LeafSchema(name: name, physical: .double, convertedType: nil, isString: false, isTimestamp: false))
                    values.append(.doubles(v))
                case .int64s(let v):
                    schema.append(LeafSchema(name: name, physical: .int64, convertedType: nil, isString: false, isTimestamp: false))
                    values.append(.int64s(v))
                case .timestamps(let seconds):
                    var millis = [Int64](repeating: 0, count: seconds.count)
                    for (i, s) in seconds.enumerated() {
                        let (m, overflow) = s.multipliedReportingOverflow(by: 1000)
                        guard !overflow else { throw ParquetWriteError(column: name, "row \(i + 1): \(s) seconds do not fit a millisecond timestamp") }
                        millis[i] = m
                    }
                    schema.append(LeafSchema(name: name, physical: .int64, convertedType: 9, isString: false, isTimestamp: true))
                    values.append(.int64s(millis))
                case .strings(let v):
                    schema.append(LeafSchema(name: name, physical: .byteArray, convertedType: 0, isString: true, isTimestamp: false))
                    values.append(.strings(v))
                case .bools(let v):
                    schema.append(LeafSchema(name: name, physical: .boolean, convertedType: nil, isString: false, isTimestamp: false))
                    values.append(.bools(v))
                }
            }
            self.schema = schema; self.values = values; self.rows = rows
            self.codec = codec; self.rowGroupSize = rowGroupSize
        }

        /// Row ranges of the row groups: one empty group for an empty table.
        var groups: [Range<Int>] {
            if rows == 0 { return [0 ..< 0] }
            return stride(from: 0, to: rows, by: rowGroupSize).map { $0 ..< min($0 + rowGroupSize, rows) }
        }

        /// Emits the file front to back: PAR1, each row group's column chunks (encoded in
        /// parallel, written in column order), the footer, its length, PAR1.
        func encode(_ emit: ([UInt8]) throws -> Void) throws {
            var offset = 0
            func put(_ bytes: [UInt8]) throws { try emit(bytes); offset += bytes.count }
            try put(magic)
            var written: [WrittenGroup] = []
            for range in groups {
                let results = ChunkResults(count: schema.count)
                parallelFor(chunks: schema.count, threads: min(defaultThreadCount, schema.count)) { k in
                    results.set(k, Result { try ChunkEncoder(leaf: schema[k], codec: codec).encode(values[k], range) })
                }
                var chunks: [WrittenChunk] = []
                for k in schema.indices {
                    let chunk: EncodedChunk
                    do { chunk = try results.take(k) } catch {
                        throw ParquetWriteError(column: schema[k].name, "\(error)")
                    }
                    chunks.append(WrittenChunk(meta: chunk.meta, start: offset))
                    try put(chunk.bytes)
                }
                written.append(WrittenGroup(chunks: chunks, rows: range.count))
            }
            let footer = FooterWriter(schema: schema, rows: rows, codec: codec, groups: written).bytes()
            guard footer.count <= Int(UInt32.max) else { throw ParquetWriteError("a footer of \(footer.count) bytes") }
            let n = UInt32(footer.count)
            try put(footer + [UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 24)] + magic)
        }
    }
}

private let magic: [UInt8] = Array("PAR1".utf8)

private final class ChunkResults: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<ParquetWriter.EncodedChunk, Error>?]
    init(count: Int) { results = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: Result<ParquetWriter.EncodedChunk, Error>) { lock.lock(); results[i] = r; lock.unlock() }
    /// The result, dropped from the box (a chunk's bytes are held once).
    func take(_ i: Int) throws -> ParquetWriter.EncodedChunk {
        lock.lock(); defer { lock.unlock() }
        let r = results[i]!
        results[i] = nil
        return try r.get()
    }
}

// MARK: - column chunks

extension ParquetWriter {
    /// A column chunk's metadata, offsets relative to the chunk's first byte.
    struct ChunkMeta: Sendable {
        var physical: PhysicalType
        var encodings: [Encoding]
        var valueCount: Int
        var uncompressedSize = 0
        var compressedSize = 0
        var dataPageOffset = 0
        var dictionaryPageOffset: Int?
        /// PLAIN bytes of the smallest and largest value; nil: no min/max.
        var minMax: (min: [UInt8], max: [UInt8])?
    }

    struct EncodedChunk: Sendable {
        var bytes: [UInt8]
        var meta: ChunkMeta
    }

    struct WrittenChunk { var meta: ChunkMeta; var start: Int }
    struct WrittenGroup { var chunks: [WrittenChunk]; var rows: Int }

    struct ChunkEncoder {
        let leaf: LeafSchema
        let codec: Codec

        func encode(_ values: Values, _ range: Range<Int>) throws -> EncodedChunk {
            var out = PageSink(codec: codec)
            var meta = ChunkMeta(physical: leaf.physical, encodings: [.plain, .rle], valueCount: range.count)
            switch values {
            case .doubles(let v):
                let page = Swift.max(1, ParquetWriter.pageBytes / 8)
                try out.dataPages(range, rowsPerPage: page) { r in PageEncoder.plainFixed(v[r].map { $0.bitPattern }) }
                meta.minMax = PageEncoder.doubleMinMax(v[range])
            case .int64s(let v):
                let page = Swift.max(1, ParquetWriter.pageBytes / 8)
                try out.dataPages(range, rowsPerPage: page) { r in PageEncoder.plainFixed(Array(v[r])) }
                if let lo = v[range].min(), let hi = v[range].max() { meta.minMax = (PageEncoder.plainFixed([lo]), PageEncoder.plainFixed([hi])) }
            case .bools(let v):
                try out.dataPages(range, rowsPerPage: ParquetWriter.pageBytes * 8) { r in PageEncoder.packBools(v[r]) }
                if !range.isEmpty {
                    let anyTrue = v[range].contains(true), allTrue = !v[range].contains(false)
                    meta.minMax = ([allTrue ? 1 : 0], [anyTrue ? 1 : 0])
                }
            case .strings(let v):
                if let dictionary = StringDictionary(v[range], limit: ParquetWriter.pageBytes) {
                    meta.encodings = [.plain, .rle, .rleDictionary]
                    try out.page(.dictionary, values: dictionary.values.count, encoding: .plain, body: PageEncoder.plainStrings(dictionary.values[...]))
                    meta.dictionaryPageOffset = 0
                    let width = Swift.max(1, RLEHybrid.width(dictionary.values.count - 1))
                    let page = Swift.max(1, ParquetWriter.pageBytes * 8 / width)
                    let base = range.lowerBound
                    try out.dataPages(range, rowsPerPage: page, encoding: .rleDictionary) { r in
                        [UInt8(width)] + PageEncoder.hybrid(dictionary.codes[(r.lowerBound - base) ..< (r.upperBound - base)], width: width)
                    }
                    meta.minMax = PageEncoder.stringMinMax(dictionary.values[...])
                } else {
                    try out.stringPages(v, range)
                    meta.minMax = PageEncoder.stringMinMax(v[range])
                }
            }
            meta.dataPageOffset = out.firstDataPage ?? 0
            meta.uncompressedSize = out.uncompressed
            meta.compressedSize = out.bytes.count
            return EncodedChunk(bytes: out.bytes, meta: meta)
        }
    }

    /// A column chunk's pages, each a Thrift PageHeader and its compressed body.
    struct PageSink {
        let codec: Codec
        var bytes: [UInt8] = []
        var uncompressed = 0
        var firstDataPage: Int?

        init(codec: Codec) { self.codec = codec }

        mutating func page(_ type: PageType, values: Int, encoding: Encoding, body: [UInt8]) throws {
            let compressed = try Codecs.compress(codec, body)
            guard body.count <= Int(Int32.max), compressed.count <= Int(Int32.max), values <= Int(Int32.max) else {
                throw ThriftError(message: "a page of \(body.count) bytes (pages hold at most 2 GiB)")
            }
            var h = ThriftWriter()
            h.structBody { h in
                h.field(1, i32: type.rawValue)
                h.field(2, i32: Int32(body.count))
                h.field(3, i32: Int32(compressed.count))
                if type == .dictionary {
                    h.field(7, structure: { d in
                        d.field(1, i32: Int32(values))
                        d.field(2, i32: encoding.rawValue)
                    })
                } else {
                    h.field(5, structure: { d in
                        d.field(1, i32: Int32(values))
                        d.field(2, i32: encoding.rawValue)
                        d.field(3, i32: Encoding.rle.rawValue)   // definition levels (none: REQUIRED)
                        d.field(4, i32: Encoding.rle.rawValue)   // repetition levels (none: flat)
                    })
                }
            }
            if type != .dictionary && firstDataPage == nil { firstDataPage = bytes.count }
            bytes += h.bytes
            bytes += compressed
            uncompressed += h.bytes.count + body.count
        }

        /// Data pages of `rowsPerPage` rows each over `range`; always at least one page, so an
        /// empty chunk still has its (empty) data page.
        mutating func dataPages(_ range: Range<Int>, rowsPerPage: Int, encoding: Encoding = .plain,
                                _ body: (Range<Int>) -> [UInt8]) throws {
            var start = range.lowerBound
            repeat {
                let end = Swift.min(start + rowsPerPage, range.upperBound)
                try page(.data, values: end - start, encoding: encoding, body: body(start ..< end))
                start = end
            } while start < range.upperBound
        }

        /// PLAIN string pages, cut where the values reach the page size.
        mutating func stringPages(_ v: [String], _ range: Range<Int>) throws {
            var start = range.lowerBound
            repeat {
                var end = start, size = 0
                while end < range.upperBound && (end == start || size < ParquetWriter.pageBytes) {
                    size += 4 + v[end].utf8.count
                    end += 1
                }
                try page(.data, values: end - start, encoding: .plain, body: PageEncoder.plainStrings(v[start ..< end]))
                start = end
            } while start < range.upperBound
        }
    }
}

// MARK: - values

/// PLAIN values, the dictionary indices' hybrid encoding and min/max statistics.
enum PageEncoder {
    /// Little-endian bytes of fixed-width integers (PLAIN INT64, DOUBLE bit patterns).
    static func plainFixed<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        #if _endian(little)
        return values.withUnsafeBytes { Array($0) }
        #else
        return values.map { $0.littleEndian }.withUnsafeBytes { Array($0) }
        #endif
    }

    /// PLAIN BOOLEAN: one bit per value, LSB first.
    static func packBools(_ values: ArraySlice<Bool>) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: (values.count + 7) / 8)
        for (i, b) in values.enumerated() where b { out[i >> 3] |= 1 << UInt8(i & 7) }
        return out
    }

    /// PLAIN BYTE_ARRAY: a 4-byte little-endian length, then the UTF-8 bytes, per value.
    static func plainStrings(_ values: ArraySlice<String>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(values.reduce(0) { $0 + 4 + $1.utf8.count })
        for s in values {
            let n = UInt32(s.utf8.count)
            out += [UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 24)]
            out += s.utf8
        }
        return out
    }

    /// Min and max of doubles, none when a NaN is among them (or none are). Zeros follow the spec:
    /// a minimum of zero is −0.0, a maximum +0.0.
    static func doubleMinMax(_ values: ArraySlice<Double>) -> (min: [UInt8], max: [UInt8])? {
        guard var lo = values.first, var hi = values.first else { return nil }
        for v in values {
            if v.isNaN { return nil }
            if v < lo { lo = v }
            if v > hi { hi = v }
        }
        if lo == 0 { lo = -0.0 }
        if hi == 0 { hi = 0.0 }
        return (plainFixed([lo.bitPattern]), plainFixed([hi.bitPattern]))
    }

    /// Min and max of strings in Parquet's order for UTF8 (unsigned bytes); none when either is
    /// longer than `ParquetWriter.maxStatisticsBytes`.
    static func stringMinMax(_ values: ArraySlice<String>) -> (min: [UInt8], max: [UInt8])? {
        guard var lo = values.first, var hi = values.first else { return nil }
        for v in values.dropFirst() {
            if v.utf8.lexicographicallyPrecedes(lo.utf8) { lo = v }
            if hi.utf8.lexicographicallyPrecedes(v.utf8) { hi = v }
        }
        guard lo.utf8.count <= ParquetWriter.maxStatisticsBytes, hi.utf8.count <= ParquetWriter.maxStatisticsBytes else { return nil }
        return (Array(lo.utf8), Array(hi.utf8))
    }

    /// The RLE / bit-packed hybrid of dictionary indices: a repeat of 8 or more values is an RLE
    /// run, anything else goes into bit-packed groups of 8 (the last padded with zeros).
    static func hybrid(_ values: ArraySlice<UInt32>, width: Int) -> [UInt8] {
        var out: [UInt8] = []
        func varint(_ v: Int) {
            var v = UInt64(v)
            while v >= 0x80 { out.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
            out.append(UInt8(v))
        }
        var literals: [UInt32] = []
        func flushLiterals() {
            guard !literals.isEmpty else { return }
            while literals.count % 8 != 0 { literals.append(0) }
            varint((literals.count / 8) << 1 | 1)
            var acc: UInt64 = 0, bits = 0
            for x in literals {
                acc |= UInt64(x) << UInt64(bits)
                bits += width
                while bits >= 8 { out.append(UInt8(truncatingIfNeeded: acc)); acc >>= 8; bits -= 8 }
            }
            if bits > 0 { out.append(UInt8(truncatingIfNeeded: acc)) }
            literals.removeAll(keepingCapacity: true)
        }
        var i = values.startIndex
        while i < values.endIndex {
            let v = values[i]
            var j = i + 1
            while j < values.endIndex && values[j] == v { j += 1 }
            // Values that fill the open bit-packed group first; a run after them must be ≥ 8.
            let pad = (8 - literals.count % 8) % 8
            if j - i >= pad + 8 {
                literals += repeatElement(v, count: pad)
                flushLiterals()
                varint((j - i - pad) << 1)
                for k in 0 ..< (width + 7) / 8 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(k)))) }
            } else {
                literals += values[i ..< j]
            }
            i = j
        }
        flushLiterals()
        return out
    }
}

/// A column chunk's distinct strings in first-seen order and each row's code; nil when the
/// distinct strings' PLAIN bytes pass `limit`. Strings are told apart by their UTF-8 bytes
/// (Swift's `==` would merge canonically equivalent ones).
struct StringDictionary {
    private(set) var values: [String] = []
    private(set) var codes: [UInt32] = []

    private struct Key: Hashable {
        let s: String
        static func == (a: Key, b: Key) -> Bool { a.s.utf8.elementsEqual(b.s.utf8) }
        func hash(into h: inout Hasher) {
            if s.utf8.withContiguousStorageIfAvailable({ h.combine(bytes: UnsafeRawBufferPointer($0)) }) == nil {
                for b in s.utf8 { h.combine(b) }
            }
            h.combine(s.utf8.count)
        }
    }

    init?(_ strings: ArraySlice<String>, limit: Int) {
        guard !strings.isEmpty else { return nil }
        var index: [Key: UInt32] = [:]
        var size = 0
        codes.reserveCapacity(strings.count)
        for s in strings {
            let key = Key(s: s)
            if let c = index[key] { codes.append(c); continue }
            size += 4 + s.utf8.count
            if size > limit { return nil }
            let c = UInt32(values.count)
            index[key] = c
            values.append(s)
            codes.append(c)
        }
    }
}

// MARK: - the footer

extension ParquetWriter {
    struct FooterWriter {
        let schema: [LeafSchema]
        let rows: Int
        let codec: Codec
        let groups: [WrittenGroup]

        func bytes() -> [UInt8] {
            var w = ThriftWriter()
            w.structBody { f in
                f.field(1, i32: 2)
                f.field(2, list: .structure, count: schema.count + 1) { e, k in
                    if k == 0 {
                        e.field(4, string: "schema")
                        e.field(5, i32: Int32(schema.count))
                    } else {
                        element(&e, schema[k - 1])
                    }
                }
                f.field(3, i64: Int64(rows))
                f.field(4, list: .structure, count: groups.count) { g, k in rowGroup(&g, groups[k]) }
                f.field(6, string: "lunar")
                // TYPE_ORDER for every column: min_value/max_value are in the type's order.
                f.field(7, list: .structure, count: schema.count) { o, _ in o.field(1, structure: { _ in }) }
            }
            return w.bytes
        }

        private func element(_ e: inout ThriftWriter, _ leaf: LeafSchema) {
            e.field(1, i32: leaf.physical.rawValue)
            e.field(3, i32: 0)   // REQUIRED
            e.field(4, string: leaf.name)
            if let c = leaf.convertedType { e.field(6, i32: c) }
            if leaf.isString {
                e.field(10, structure: { l in l.field(1, structure: { _ in }) })   // STRING
            } else if leaf.isTimestamp {
                e.field(10, structure: { l in
                    l.field(8, structure: { t in   // TIMESTAMP
                        t.field(1, bool: true)      // isAdjustedToUTC
                        t.field(2, structure: { u in u.field(1, structure: { _ in }) })   // MILLIS
                    })
                })
            }
        }

        private func rowGroup(_ g: inout ThriftWriter, _ group: WrittenGroup) {
            g.field(1, list: .structure, count: group.chunks.count) { c, k in
                let chunk = group.chunks[k]
                c.field(2, i64: Int64(chunk.start))   // file_offset: the chunk's first page
                c.field(3, structure: { m in columnMeta(&m, chunk, schema[k].name) })
            }
            g.field(2, i64: Int64(group.chunks.reduce(0) { $0 + $1.meta.uncompressedSize }))
            g.field(3, i64: Int64(group.rows))
            g.field(5, i64: Int64(group.chunks.first?.start ?? 0))
            g.field(6, i64: Int64(group.chunks.reduce(0) { $0 + $1.meta.compressedSize }))
        }

        private func columnMeta(_ m: inout ThriftWriter, _ chunk: WrittenChunk, _ name: String) {
            let meta = chunk.meta
            m.field(1, i32: meta.physical.rawValue)
            m.field(2, list: .i32, count: meta.encodings.count) { w, k in w.zigzag(Int64(meta.encodings[k].rawValue)) }
            m.field(3, list: .binary, count: 1) { w, _ in
                w.varint(UInt64(name.utf8.count))
                for b in name.utf8 { w.appendByte(b) }
            }
            m.field(4, i32: codec.rawValue)
            m.field(5, i64: Int64(meta.valueCount))
            m.field(6, i64: Int64(meta.uncompressedSize))
            m.field(7, i64: Int64(meta.compressedSize))
            m.field(9, i64: Int64(chunk.start + meta.dataPageOffset))
            if let d = meta.dictionaryPageOffset { m.field(11, i64: Int64(chunk.start + d)) }
            m.field(12, structure: { s in
                s.field(3, i64: 0)   // null_count
                if let minMax = meta.minMax {
                    s.field(5, binary: minMax.max)   // max_value
                    s.field(6, binary: minMax.min)   // min_value
                }
            })
        }
    }
}

// MARK: - files

/// Creates `path` for writing; fails if it exists. −1 on failure (errno set).
private func openNew(_ path: String) -> Int32 {
    open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
}

/// nil when closed, else why not (a delayed write error).
private func closeFile(_ fd: Int32) -> String? { close(fd) == 0 ? nil : errnoText() }

/// nil when every byte was written, else why not.
private func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> String? {
    bytes.withUnsafeBytes { buffer -> String? in
        var done = 0
        while done < buffer.count {
            let n = write(fd, buffer.baseAddress! + done, buffer.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                return errnoText()
            }
            done += n
        }
        return nil
    }
}

private func renameFile(_ from: String, _ to: String) -> String? { rename(from, to) == 0 ? nil : errnoText() }

private func removeFile(_ path: String) { _ = unlink(path) }

private func errnoText() -> String { String(cString: strerror(errno)) }
