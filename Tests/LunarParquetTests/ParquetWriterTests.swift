import Foundation
import LunarData
import LunarTestSupport
import Testing
@testable import LunarParquet

/// ParquetWriter: what it writes reads back bit for bit through our own reader, for every codec
/// and column type, in one or several row groups and pages, and with no rows; the footer's
/// metadata is complete and consistent with the pages; pyarrow, polars and DuckDB read the same
/// values (when the venv of tools/parquet is installed); bad tables are refused by name.
@Suite struct ParquetWriterTests {
    // MARK: - round trips through ParquetFile

    @Test(arguments: ParquetWriter.codecs)
    func everyTypeRoundTrips(_ codec: Codec) throws {
        let table = Samples.table(rows: 60, seed: 1)
        for groupSize in [1 << 20, 7] {
            let dir = Fixtures.tempDir("parquet-writer")
            let path = dir + "/t.parquet"
            try ParquetWriter.write(table, to: path, codec: codec, rowGroupSize: groupSize)
            try Samples.expectReadsBack(path, table)
            let footer = try Footer(path: path)
            #expect(footer.rowGroups.count == (groupSize == 7 ? 9 : 1))
            #expect(footer.rowGroups.allSatisfy { g in g.chunks.allSatisfy { $0.codec == Int64(codec.rawValue) } })
            // data() is the file's bytes.
            let bytes = try ParquetWriter.data(table, codec: codec, rowGroupSize: groupSize)
            #expect(bytes == Array(FileManager.default.contents(atPath: path) ?? Data()))
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["t.parquet"])
        }
    }

    @Test(arguments: ParquetWriter.codecs)
    func anEmptyTableIsAValidFile(_ codec: Codec) throws {
        let table = Samples.table(rows: 0, seed: 2)
        let path = Fixtures.tempDir("parquet-writer") + "/empty.parquet"
        try ParquetWriter.write(table, to: path, codec: codec)
        try Samples.expectReadsBack(path, table)
        let footer = try Footer(path: path)
        #expect(footer.rows == 0)
        #expect(footer.rowGroups.count == 1 && footer.rowGroups[0].rows == 0)
    }

    /// Several pages per column chunk (doubles past 1 MiB), strings past the dictionary's 1 MiB
    /// (PLAIN, several pages), a 17-bit dictionary, several row groups.
    @Test func largeColumnsTakeSeveralPagesAndRowGroups() throws {
        let n = 150_000
        let doubles = (0 ..< n).map { Double($0) * 0.25 - 1000 }
        let long = (0 ..< n).map { "value-\($0)-" + String(repeating: "x", count: $0 % 23) }
        let wide = (0 ..< n).map { "s\(($0 * 7919) % 70_000)" }
        let table = ParquetTable([("d", .doubles(doubles)), ("long", .strings(long)), ("wide", .strings(wide))])
        let path = Fixtures.tempDir("parquet-writer") + "/big.parquet"
        try ParquetWriter.write(table, to: path, codec: .snappy, rowGroupSize: 140_000)
        try Samples.expectReadsBack(path, table)
        let footer = try Footer(path: path)
        #expect(footer.rowGroups.map(\.rows) == [140_000, 10_000])
        let first = footer.rowGroups[0].chunks
        #expect(first[0].pages.filter { $0.type == 0 }.count == 2)   // 131,072 doubles a page
        #expect(first[1].encodings == [0, 3] && first[1].dictionaryPageOffset == nil)
        #expect(first[1].pages.count >= 2)
        #expect(first[2].encodings == [0, 3, 8] && first[2].pages.first?.type == 2)
        #expect(first[2].pages.first?.values == 70_000)
    }

    @Test func constantAndAlternatingStringsRoundTrip() throws {
        // One distinct value (a 1-bit dictionary), and runs of every length around the hybrid's 8.
        var runs: [String] = []
        for length in 1 ... 20 { runs += Array(repeating: "r\(length % 3)", count: length) }
        let table = ParquetTable(["one": .strings(Array(repeating: "AAA", count: runs.count)), "runs": .strings(runs),
                                  "alternating": .strings((0 ..< runs.count).map { $0 % 2 == 0 ? "x" : "y" })])
        let path = Fixtures.tempDir("parquet-writer") + "/runs.parquet"
        try ParquetWriter.write(table, to: path, codec: .uncompressed)
        try Samples.expectReadsBack(path, table)
    }

    /// The writer's RLE / bit-packed hybrid decodes to its input at every width.
    @Test func hybridEncodingDecodesBack() throws {
        var r = Samples.LCG(seed: 7)
        for width in 1 ... 32 {
            var values: [UInt32] = []
            while values.count < 500 {
                let v = UInt32(truncatingIfNeeded: r.next()) & (width == 32 ? .max : (1 << UInt32(width)) - 1)
                values += Array(repeating: v, count: Int(r.next() % 12) + 1)
            }
            let bytes = PageEncoder.hybrid(values[...], width: width)
            var decoded = [UInt32](repeating: 0, count: values.count)
            try bytes.withUnsafeBytes { b in
                try decoded.withUnsafeMutableBufferPointer { try RLEHybrid.decode(b, width: width, count: values.count, into: $0.baseAddress!) }
            }
            #expect(decoded == values, "width \(width)")
        }
    }

    /// A long price table (date, symbol, OHLCV) loads as the panel it holds, in several row groups.
    @Test func parquetLoaderReadsAWrittenPriceTable() throws {
        let days: [Int64] = (0 ..< 4).map { (Calendar.daysFromCivil(2024, 1, 2) + $0) * 86_400 }
        let closes: [String: [Double]] = ["AAA": [10, 10.5, .nan, 11.25], "BBB": [20, 19.75, 19.5, 21]]
        var date: [Int64] = [], symbol: [String] = [], close: [Double] = []
        for t in days.indices { for s in ["BBB", "AAA"] { date.append(days[t]); symbol.append(s); close.append(closes[s]![t]) } }
        let table = ParquetTable(["date": .timestamps(seconds: date), "symbol": .strings(symbol), "open": .doubles(close),
                                  "high": .doubles(close), "low": .doubles(close), "close": .doubles(close),
                                  "volume": .int64s(close.map { $0.isNaN ? 0 : 1000 })])
        let path = Fixtures.tempDir("parquet-writer") + "/prices.parquet"
        try ParquetWriter.write(table, to: path, rowGroupSize: 3)
        let panel = try ParquetLoader.load(path: path)
        #expect(panel.symbols == ["BBB", "AAA"])
        #expect(panel.timestamps == days)
        let got = panel.fields["close"] ?? []
        let want = closes["BBB"]! + closes["AAA"]!
        #expect(got.count == want.count && zip(got, want).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) })
    }

    // MARK: - the footer

    @Test func theFooterDescribesTheFile() throws {
        let table = Samples.table(rows: 25, seed: 3)
        let path = Fixtures.tempDir("parquet-writer") + "/meta.parquet"
        try ParquetWriter.write(table, to: path, codec: .zstd, rowGroupSize: 10)
        let footer = try Footer(path: path)
        #expect(footer.version == 2)
        #expect(footer.createdBy == "lunar")
        #expect(footer.rows == 25)
        #expect(footer.columnOrders == table.columns.count)
        // The schema: a root with its children, then REQUIRED leaves with their types.
        let root = footer.schema[0]
        #expect(root.name == "schema" && root.children == Int64(table.columns.count) && root.type == nil)
        let leaves = Array(footer.schema.dropFirst())
        #expect(leaves.map(\.name) == table.columns.map(\.name))
        #expect(leaves.allSatisfy { $0.repetition == 0 && $0.children == nil })
        #expect(leaves.map(\.type) == [5, 2, 2, 6, 0, 6])              // DOUBLE INT64 INT64 BYTE_ARRAY BOOLEAN BYTE_ARRAY
        #expect(leaves.map(\.converted) == [nil, nil, 9, 0, nil, 0])   // TIMESTAMP_MILLIS, UTF8
        #expect(leaves.map(\.logical) == ["", "", "timestamp(utc: true, millis)", "string", "", "string"])
        // Row groups: 10 + 10 + 5 rows; chunks end to end from byte 4 to the footer.
        #expect(footer.rowGroups.map(\.rows) == [10, 10, 5])
        var next: Int64 = 4
        for g in footer.rowGroups {
            #expect(g.fileOffset == next)
            #expect(g.totalByteSize == g.chunks.reduce(0) { $0 + $1.totalUncompressed })
            #expect(g.totalCompressed == g.chunks.reduce(0) { $0 + $1.totalCompressed })
            for (k, c) in g.chunks.enumerated() {
                #expect(c.fileOffset == next)
                #expect((c.dictionaryPageOffset ?? c.dataPageOffset) == next)
                #expect(c.path == [table.columns[k].name])
                #expect(c.type == leaves[k].type)
                #expect(c.valueCount == g.rows)
                #expect(c.codec == Int64(Codec.zstd.rawValue))
                // The pages add up to the chunk's sizes, headers included.
                #expect(c.pages.reduce(0) { $0 + $1.headerBytes + $1.compressed } == c.totalCompressed)
                #expect(c.pages.reduce(0) { $0 + $1.headerBytes + $1.uncompressed } == c.totalUncompressed)
                #expect(c.pages.filter { $0.type == 0 }.reduce(0) { $0 + $1.values } == g.rows)
                if let d = c.dictionaryPageOffset {
                    #expect(c.encodings == [0, 3, 8] && c.pages[0].type == 2 && d < c.dataPageOffset)
                } else {
                    #expect(c.encodings == [0, 3] && c.pages.allSatisfy { $0.type == 0 })
                }
                next += c.totalCompressed
            }
        }
        #expect(next == footer.start)
    }

    @Test func statisticsHoldEachChunksMinimumAndMaximum() throws {
        let table = ParquetTable([
            ("d", .doubles([3.5, -0.0, 2, 0.0, -7.25, 1e300])),
            ("z", .doubles([0.0, 0.0, 1, 2, 3, 4])),
            ("nan", .doubles([1, .nan, 2, 3, 4, 5])),
            ("i", .int64s([5, .min, 7, .max, 0, -1])),
            ("t", .timestamps(seconds: [1_700_000_000, -86_400, 0, 1, 2, 3])),
            ("s", .strings(["b", "é", "a", "Z", "zz", "日本"])),
            ("b", .bools([false, false, false, false, false, false])),
        ])
        let footer = try Footer(bytes: try ParquetWriter.data(table, codec: .uncompressed))
        let chunks = footer.rowGroups[0].chunks
        func le(_ v: UInt64) -> [UInt8] { (0 ..< 8).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }
        #expect(chunks.allSatisfy { $0.nullCount == 0 })
        #expect(chunks[0].min == le((-7.25).bitPattern) && chunks[0].max == le((1e300).bitPattern))
        #expect(chunks[1].min == le((-0.0).bitPattern) && chunks[1].max == le(4.0.bitPattern))   // a zero minimum is −0.0
        #expect(chunks[2].min == nil && chunks[2].max == nil)                                    // NaN: no min/max
        #expect(chunks[3].min == le(UInt64(bitPattern: .min)) && chunks[3].max == le(UInt64(bitPattern: .max)))
        #expect(chunks[4].min == le(UInt64(bitPattern: -86_400_000)) && chunks[4].max == le(UInt64(1_700_000_000_000)))
        #expect(chunks[5].min == Array("Z".utf8) && chunks[5].max == Array("日本".utf8))          // unsigned bytes
        #expect(chunks[6].min == [0] && chunks[6].max == [0])
    }

    // MARK: - atomic writes and bad tables

    @Test func writingReplacesTheFileAndLeavesNoTemporaryFile() throws {
        let dir = Fixtures.tempDir("parquet-writer")
        let path = dir + "/t.parquet"
        try ParquetWriter.write(Samples.table(rows: 5, seed: 4), to: path)
        let second = Samples.table(rows: 9, seed: 5)
        try ParquetWriter.write(second, to: path, codec: .gzip)
        try Samples.expectReadsBack(path, second)
        // A refused table leaves the file as it was.
        #expect(throws: ParquetWriteError.self) {
            try ParquetWriter.write(ParquetTable([("a", .doubles([1])), ("b", .doubles([]))]), to: path)
        }
        try Samples.expectReadsBack(path, second)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["t.parquet"])
    }

    @Test func aFolderThatDoesNotExistIsAnErrorNamingTheFile() throws {
        let path = Fixtures.tempDir("parquet-writer") + "/missing/t.parquet"
        do {
            try ParquetWriter.write(Samples.table(rows: 3, seed: 6), to: path)
            Issue.record("wrote \(path)")
        } catch let e as ParquetWriteError {
            #expect(e.file == path && "\(e)".hasPrefix(path + ": cannot create"), "\(e)")
        }
    }

    struct Bad: CustomTestStringConvertible, Sendable {
        let label: String
        let table: ParquetTable
        var codec: Codec = .snappy
        var rowGroupSize = 1 << 20
        let message: String
        var testDescription: String { label }
    }

    static let badTables: [Bad] = [
        Bad(label: "lengths differ", table: ParquetTable([("a", .doubles([1, 2])), ("b", .int64s([1]))]),
            message: "column 'b': has 1 values, column 'a' 2: all columns need the same length"),
        Bad(label: "empty name", table: ParquetTable([("a", .doubles([1])), ("", .doubles([2]))]),
            message: "column 2 has an empty name"),
        Bad(label: "duplicate names", table: ParquetTable([("a", .doubles([1])), ("a", .strings(["x"]))]),
            message: "column 'a': is named twice"),
        Bad(label: "no columns", table: ParquetTable(), message: "a table without columns (a Parquet file needs at least one)"),
        Bad(label: "timestamp overflow", table: ParquetTable([("t", .timestamps(seconds: [0, .max / 10]))]),
            message: "column 't': row 2: \(Int64.max / 10) seconds do not fit a millisecond timestamp"),
        Bad(label: "row group size", table: ParquetTable([("a", .doubles([1]))]), rowGroupSize: 0,
            message: "a row group size of 0 rows (at least 1)"),
        Bad(label: "codec", table: ParquetTable([("a", .doubles([1]))]), codec: .lz4,
            message: "compression LZ4 is not written (UNCOMPRESSED, SNAPPY, ZSTD and GZIP are)"),
    ]

    @Test(arguments: badTables)
    func badTablesAreRefused(_ bad: Bad) throws {
        let inMemory = #expect(throws: ParquetWriteError.self) {
            try ParquetWriter.data(bad.table, codec: bad.codec, rowGroupSize: bad.rowGroupSize)
        }
        #expect(inMemory.map { "\($0)" } == bad.message)
        let path = Fixtures.tempDir("parquet-writer") + "/bad.parquet"
        let toFile = #expect(throws: ParquetWriteError.self) {
            try ParquetWriter.write(bad.table, to: path, codec: bad.codec, rowGroupSize: bad.rowGroupSize)
        }
        #expect(toFile.map { "\($0)" } == path + ": " + bad.message)
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}

// MARK: - other readers

/// The files read back with pyarrow, polars and DuckDB (tools/parquet/read_back.py, which checks
/// that the three agree), compared value by value with what was written.
@Suite(.serialized, .enabled(if: ParquetReadBack.available, "the Parquet venv is not installed (tools/parquet/install.sh)"))
struct ParquetWriterReadBackTests {
    @Test func pyarrowPolarsAndDuckDBReadWhatWasWritten() throws {
        let dir = Fixtures.tempDir("parquet-writer-readback")
        var files: [(String, ParquetTable)] = []
        for codec in ParquetWriter.codecs {
            for (label, table, groupSize) in [("one", Samples.table(rows: 40, seed: 11), 1 << 20),
                                              ("groups", Samples.table(rows: 300, seed: 12), 64),
                                              ("empty", Samples.table(rows: 0, seed: 13), 1 << 20)] {
                let path = "\(dir)/\(label)-\(codec.name.lowercased()).parquet"
                try ParquetWriter.write(table, to: path, codec: codec, rowGroupSize: groupSize)
                files.append((path, table))
            }
        }
        // Several pages per chunk, and strings past the dictionary's limit (PLAIN).
        let n = 140_000
        let pages = ParquetTable([("d", .doubles((0 ..< n).map { Double($0) / 3 })),
                                  ("s", .strings((0 ..< n).map { "row-\($0)-" + String(repeating: "y", count: $0 % 9) }))])
        files.append((dir + "/pages.parquet", pages))
        try ParquetWriter.write(pages, to: dir + "/pages.parquet", codec: .snappy, rowGroupSize: 100_000)

        let run = try ParquetReadBack.run(files.map(\.0))
        try #require(run.status == 0, "read_back.py failed: \(run.stderr)")
        let records = ParquetReadBack.csv(run.stdout)
        var at = 0
        for (path, table) in files {
            try #require(at + 2 <= records.count, "\(path): read_back.py printed too little")
            #expect(records[at] == ["# file \(path) rows \(table.rowCount)"])
            #expect(records[at + 1] == table.columns.map(\.name), "\(path)")
            at += 2
            try #require(at + table.rowCount <= records.count, "\(path): read_back.py printed too few rows")
            let rows = records[at ..< at + table.rowCount]
            at += table.rowCount
            for (k, (name, column)) in table.columns.enumerated() {
                let cells = rows.map { $0.count > k ? $0[k] : "<missing>" }
                let bad = ParquetReadBack.firstMismatch(cells, column)
                #expect(bad == nil, "\(path) column \(name): row \(bad ?? 0) reads '\(bad.map { cells[$0] } ?? "")'")
            }
        }
        #expect(at == records.count)
    }
}


// MARK: - samples

fileprivate enum Samples {
    struct LCG {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 11
        }
    }

    /// Every column type, with the awkward values first: NaNs (one with a payload), ±0, ±∞, the
    /// smallest subnormal, Int64's extremes, timestamps before 1970, empty and non-ASCII strings,
    /// CSV's special characters; then pseudo-random values (strings in runs of 1…20).
    static func table(rows n: Int, seed: UInt64) -> ParquetTable {
        var r = LCG(seed: seed)
        let doubles: [Double] = [.nan, -0.0, 0.0, .infinity, -.infinity, .leastNonzeroMagnitude, 1e-300, 1e300, 0.1, -123.456,
                                 Double(bitPattern: 0x7FF8_0000_0000_1234), .greatestFiniteMagnitude]
        let words = ["AAA", "", "é", "a,b", "q\"uote", "line\nbreak", "日本語", "🚀x", " sp "]
        var d: [Double] = [], i: [Int64] = [], t: [Int64] = [], s: [String] = [], b: [Bool] = [], u: [String] = []
        var runLeft = 0, word = ""
        for k in 0 ..< n {
            d.append(k < doubles.count ? doubles[k] : Double(Int64(r.next() % 2_000_000) - 1_000_000) / 64)
            i.append(k == 0 ? .min : k == 1 ? .max : Int64(bitPattern: r.next() << 11))
            t.append(-2_208_988_800 + Int64(r.next() % 9_467_000_000))   // 1900 … 2200
            if runLeft == 0 { runLeft = Int(r.next() % 20) + 1; word = k < words.count ? words[k] : "S\(r.next() % 5)" }
            s.append(word)
            runLeft -= 1
            b.append(r.next() % 3 == 0)
            u.append("u\(r.next() % 97)")
        }
        return ParquetTable([("price", .doubles(d)), ("n", .int64s(i)), ("date", .timestamps(seconds: t)), ("symbol", .strings(s)),
                             ("flag", .bools(b)), ("other", .strings(u))])
    }

    /// One expectation per column, naming the first row that differs (not the whole arrays).
    static func same<T: Equatable>(_ got: [T], _ want: [T], _ name: String, _ sourceLocation: SourceLocation) {
        let row = got.count == want.count ? got.indices.first { got[$0] != want[$0] } : min(got.count, want.count)
        #expect(row == nil, "\(name): \(got.count) values for \(want.count), first difference at row \(row ?? -1)",
                sourceLocation: sourceLocation)
    }

    /// `path` read with ParquetFile holds exactly `table`: names, types, every value's bits.
    static func expectReadsBack(_ path: String, _ table: ParquetTable, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let file = try ParquetFile(path: path)
        #expect(file.createdBy == "lunar", sourceLocation: sourceLocation)
        #expect(file.rowCount == table.rowCount, sourceLocation: sourceLocation)
        try #require(file.columns.map(\.name) == table.columns.map(\.name), sourceLocation: sourceLocation)
        let read = try file.read(columns: Array(file.columns.indices))
        for (k, (name, column)) in table.columns.enumerated() {
            let got = read[k], leaf = file.columns[k]
            #expect(got.valid == nil, "\(name): nulls", sourceLocation: sourceLocation)
            switch (column, got.storage) {
            case (.doubles(let want), .floats(let v)):
                #expect(leaf.physical == .double && leaf.kind == .none, sourceLocation: sourceLocation)
                same(v.map(\.bitPattern), want.map(\.bitPattern), name, sourceLocation)
            case (.int64s(let want), .integers(let v)):
                #expect(leaf.physical == .int64 && leaf.kind == .none, sourceLocation: sourceLocation)
                same(v, want, name, sourceLocation)
            case (.timestamps(let want), .integers(let v)):
                #expect(leaf.physical == .int64 && leaf.kind == .timestamp(.millis, utc: true), sourceLocation: sourceLocation)
                same(v, want.map { $0 * 1000 }, name, sourceLocation)
            case (.strings(let want), .text(let dictionary, let codes)):
                #expect(leaf.physical == .byteArray && leaf.kind == .string, sourceLocation: sourceLocation)
                // The reader's dictionary merges canonically equivalent strings; the samples hold none.
                same(codes.map { dictionary[Int($0)] }, want, name, sourceLocation)
            case (.bools(let want), .integers(let v)):
                #expect(leaf.physical == .boolean && leaf.kind == .none, sourceLocation: sourceLocation)
                same(v, want.map { $0 ? 1 : 0 }, name, sourceLocation)
            default:
                Issue.record("\(name): read as \(got.storage)", sourceLocation: sourceLocation)
            }
        }
    }
}

// MARK: - the footer, field by field

/// A Thrift compact value of any shape, read with the reader's ThriftReader.
fileprivate indirect enum ThriftNode {
    case int(Int64), bool(Bool), double(Double), bytes([UInt8]), list([ThriftNode]), fields([Int16: ThriftNode])

    static func read(_ r: inout ThriftReader, _ type: ThriftType) throws -> ThriftNode {
        switch type {
        case .boolTrue: return .bool(true)
        case .boolFalse: return .bool(false)
        case .byte: return .int(Int64(Int8(bitPattern: try r.byte())))
        case .i16, .i32, .i64: return .int(try r.zigzag())
        case .double: return .double(try r.double())
        case .binary: let range = try r.binary(); return .bytes(Array(r.bytes[range]))
        case .list, .set:
            let (element, count) = try r.listHeader()
            var out: [ThriftNode] = []
            for _ in 0 ..< count {
                if element == .boolTrue || element == .boolFalse { out.append(.bool(try r.byte() == 1)) } else { out.append(try read(&r, element)) }
            }
            return .list(out)
        case .structure:
            var fields: [Int16: ThriftNode] = [:]
            try r.readStruct { r, id, t in fields[id] = try read(&r, t) }
            return .fields(fields)
        case .map, .stop: throw ThriftError(message: "unexpected \(type)")
        }
    }

    subscript(_ id: Int16) -> ThriftNode? { if case .fields(let f) = self { f[id] } else { nil } }
    var int: Int64? { if case .int(let v) = self { v } else { nil } }
    var bool: Bool? { if case .bool(let v) = self { v } else { nil } }
    var bytes: [UInt8]? { if case .bytes(let v) = self { v } else { nil } }
    var string: String? { bytes.map { String(decoding: $0, as: UTF8.self) } }
    var list: [ThriftNode] { if case .list(let v) = self { v } else { [] } }
    var isEmptyStruct: Bool { if case .fields(let f) = self { f.isEmpty } else { false } }
}

/// A written file's footer and every column chunk's page headers.
fileprivate struct Footer {
    struct Element { var name: String?; var type: Int64?; var repetition: Int64?; var children: Int64?; var converted: Int64?; var logical: String }
    struct Page { var type: Int64; var values: Int64; var compressed: Int64; var uncompressed: Int64; var headerBytes: Int64 }
    struct Chunk {
        var fileOffset: Int64?, type: Int64?, encodings: [Int64], path: [String], codec: Int64?, valueCount: Int64?
        var totalUncompressed: Int64, totalCompressed: Int64, dataPageOffset: Int64, dictionaryPageOffset: Int64?
        var nullCount: Int64?, min: [UInt8]?, max: [UInt8]?
        var pages: [Page]
    }
    struct Group { var rows: Int64; var totalByteSize: Int64?; var fileOffset: Int64?; var totalCompressed: Int64?; var chunks: [Chunk] }

    var version: Int64?, createdBy: String?, rows: Int64?, columnOrders: Int
    var schema: [Element] = []
    var rowGroups: [Group] = []
    /// Where the footer starts.
    var start: Int64

    init(path: String) throws { try self.init(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: path)))) }

    init(bytes: [UInt8]) throws {
        let n = bytes.count
        try #require(n >= 12 && Array(bytes[0 ..< 4]) == Array("PAR1".utf8) && Array(bytes[(n - 4)...]) == Array("PAR1".utf8))
        let length = (0 ..< 4).reduce(0) { $0 | Int(bytes[n - 8 + $1]) << (8 * $1) }
        start = Int64(n - 8 - length)
        let meta: ThriftNode = try bytes.withUnsafeBytes { b in
            var r = ThriftReader(UnsafeRawBufferPointer(rebasing: b[(n - 8 - length) ..< (n - 8)]))
            let node = try ThriftNode.read(&r, .structure)
            #expect(r.remaining == 0)
            return node
        }
        version = meta[1]?.int
        createdBy = meta[6]?.string
        rows = meta[3]?.int
        columnOrders = meta[7]?.list.filter { $0[1]?.isEmptyStruct == true }.count ?? 0
        schema = (meta[2]?.list ?? []).map { e in
            var logical = ""
            if let l = e[10] {
                if l[1]?.isEmptyStruct == true { logical = "string" }
                if let ts = l[8] {
                    let unit = ts[2]?[1]?.isEmptyStruct == true ? "millis" : ts[2]?[2] != nil ? "micros" : "nanos"
                    logical = "timestamp(utc: \(ts[1]?.bool ?? false), \(unit))"
                }
            }
            return Element(name: e[4]?.string, type: e[1]?.int, repetition: e[3]?.int, children: e[5]?.int, converted: e[6]?.int, logical: logical)
        }
        rowGroups = try (meta[4]?.list ?? []).map { g in
            let chunks = try g[1]!.list.map { c -> Chunk in
                let m = c[3]!
                let dataOffset = m[9]?.int ?? -1, dictOffset = m[11]?.int, compressed = m[7]?.int ?? -1
                return Chunk(fileOffset: c[2]?.int, type: m[1]?.int, encodings: m[2]?.list.compactMap(\.int) ?? [],
                             path: m[3]?.list.compactMap(\.string) ?? [], codec: m[4]?.int, valueCount: m[5]?.int,
                             totalUncompressed: m[6]?.int ?? -1, totalCompressed: compressed, dataPageOffset: dataOffset,
                             dictionaryPageOffset: dictOffset, nullCount: m[12]?[3]?.int, min: m[12]?[6]?.bytes, max: m[12]?[5]?.bytes,
                             pages: try Self.pages(bytes, from: dictOffset ?? dataOffset, length: compressed))
            }
            return Group(rows: g[3]?.int ?? -1, totalByteSize: g[2]?.int, fileOffset: g[5]?.int, totalCompressed: g[6]?.int, chunks: chunks)
        }
    }

    /// The page headers of the chunk at `from`, `length` bytes.
    static func pages(_ bytes: [UInt8], from: Int64, length: Int64) throws -> [Page] {
        try #require(from >= 4 && length >= 0 && from + length <= Int64(bytes.count))
        var out: [Page] = []
        var at = Int(from)
        let end = Int(from + length)
        while at < end {
            let (header, size): (PageHeader, Int) = try bytes.withUnsafeBytes { b in
                var r = ThriftReader(UnsafeRawBufferPointer(rebasing: b[at ..< end]))
                let h = try PageHeader(&r)
                return (h, r.position)
            }
            out.append(Page(type: Int64(header.type), values: Int64(header.valueCount), compressed: Int64(header.compressedSize),
                            uncompressed: Int64(header.uncompressedSize), headerBytes: Int64(size)))
            at += size + Int(header.compressedSize)
        }
        #expect(at == end)
        return out
    }
}
