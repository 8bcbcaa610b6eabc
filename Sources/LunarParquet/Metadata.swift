/// Parquet's file metadata and page headers, as far as a flat table needs them
/// (parquet-format's parquet.thrift: FileMetaData, SchemaElement, RowGroup, ColumnChunk,
/// ColumnMetaData, PageHeader and its page kinds). Field numbers are the spec's.

/// Physical types (parquet.thrift `Type`).
public enum PhysicalType: Int32, Sendable {
    case boolean = 0, int32 = 1, int64 = 2, int96 = 3, float = 4, double = 5, byteArray = 6, fixedLenByteArray = 7
}

/// Page and column encodings (parquet.thrift `Encoding`).
public enum Encoding: Int32, Sendable, CaseIterable {
    case plain = 0, plainDictionary = 2, rle = 3, bitPacked = 4, deltaBinaryPacked = 5
    case deltaLengthByteArray = 6, deltaByteArray = 7, rleDictionary = 8, byteStreamSplit = 9

    var name: String {
        switch self {
        case .plain: "PLAIN"; case .plainDictionary: "PLAIN_DICTIONARY"; case .rle: "RLE"; case .bitPacked: "BIT_PACKED"
        case .deltaBinaryPacked: "DELTA_BINARY_PACKED"; case .deltaLengthByteArray: "DELTA_LENGTH_BYTE_ARRAY"
        case .deltaByteArray: "DELTA_BYTE_ARRAY"; case .rleDictionary: "RLE_DICTIONARY"; case .byteStreamSplit: "BYTE_STREAM_SPLIT"
        }
    }
}

/// Compression codecs (parquet.thrift `CompressionCodec`); LZO, BROTLI and LZ4 are named only
/// to be refused by name.
public enum Codec: Int32, Sendable, CaseIterable {
    case uncompressed = 0, snappy = 1, gzip = 2, lzo = 3, brotli = 4, lz4 = 5, zstd = 6, lz4Raw = 7

    public var name: String {
        switch self {
        case .uncompressed: "UNCOMPRESSED"; case .snappy: "SNAPPY"; case .gzip: "GZIP"; case .lzo: "LZO"
        case .brotli: "BROTLI"; case .lz4: "LZ4"; case .zstd: "ZSTD"; case .lz4Raw: "LZ4_RAW"
        }
    }
}

public enum TimeUnit: Sendable, Equatable {
    case millis, micros, nanos
    /// Units per second.
    var perSecond: Int64 { switch self { case .millis: 1_000; case .micros: 1_000_000; case .nanos: 1_000_000_000 } }
}

/// What a column's values mean, from the logical type or the older converted type.
public enum LogicalKind: Sendable, Equatable {
    case none
    case string
    case date
    case timestamp(TimeUnit, utc: Bool)
    case decimal(scale: Int32)
    case integer
    /// Lists, maps, JSON, UUID, time of day…: nothing a price table holds; refused by name.
    case other(String)
}

struct SchemaElement {
    var type: PhysicalType?
    var typeLength: Int32 = 0
    /// 0 required, 1 optional, 2 repeated.
    var repetition: Int32 = 0
    var name = ""
    var childCount: Int32 = 0
    var convertedType: Int32?
    var scale: Int32 = 0
    var logical: LogicalKind?
}

struct ColumnMetaData {
    var type: PhysicalType = .int32
    var encodings: [Int32] = []
    var path: [String] = []
    var codec: Int32 = 0
    var valueCount: Int64 = 0
    var totalCompressedSize: Int64 = 0
    var dataPageOffset: Int64 = 0
    var dictionaryPageOffset: Int64?
}

struct ColumnChunk {
    var filePath: String?
    var meta: ColumnMetaData?
    var encrypted = false
}

struct RowGroup {
    var columns: [ColumnChunk] = []
    var rowCount: Int64 = 0
}

struct FileMetaData {
    var schema: [SchemaElement] = []
    var rowCount: Int64 = 0
    var rowGroups: [RowGroup] = []
    var createdBy: String?
    var encrypted = false
    /// The file's key-value metadata (pandas' and Arrow's schema notes live here).
    var keyValues: [String: String] = [:]
}

enum PageType: Int32 { case data = 0, index = 1, dictionary = 2, dataV2 = 3 }

struct PageHeader {
    var type: Int32 = -1
    var uncompressedSize: Int32 = 0
    var compressedSize: Int32 = 0
    var valueCount: Int32 = 0
    var encoding: Int32 = 0
    // v1: the level encodings; v2: the levels' byte lengths and whether the values are compressed.
    var definitionEncoding: Int32 = 3
    var definitionBytes: Int32 = 0
    var repetitionBytes: Int32 = 0
    var nullCount: Int32 = 0
    var isCompressed = true
}

// MARK: - decoding

extension FileMetaData {
    init(_ r: inout ThriftReader) throws {
        try r.readStruct { r, id, type in
            switch (id, type) {
            case (2, .list): schema = try r.list { r in try SchemaElement(&r) }
            case (3, .i64): rowCount = try r.zigzag()
            case (4, .list): rowGroups = try r.list { r in try RowGroup(&r) }
            case (5, .list):
                for (k, v) in try r.list({ r -> (String, String) in
                    var key = "", value = ""
                    try r.readStruct { r, id, t in
                        switch (id, t) {
                        case (1, .binary): key = try r.string()
                        case (2, .binary): value = try r.string()
                        default: try r.skip(t)
                        }
                    }
                    return (key, value)
                }) { keyValues[k] = v }
            case (6, .binary): createdBy = try r.string()
            case (8, .structure): encrypted = true; try r.skip(type)
            default: try r.skip(type)
            }
        }
    }
}

extension SchemaElement {
    init(_ r: inout ThriftReader) throws {
        try r.readStruct { r, id, type in
            switch (id, type) {
            case (1, .i32): self.type = PhysicalType(rawValue: try r.i32())
            case (2, .i32): typeLength = try r.i32()
            case (3, .i32): repetition = try r.i32()
            case (4, .binary): name = try r.string()
            case (5, .i32): childCount = try r.i32()
            case (6, .i32): convertedType = try r.i32()
            case (7, .i32): scale = try r.i32()
            case (10, .structure): logical = try Self.logicalType(&r)
            default: try r.skip(type)
            }
        }
    }

    /// The LogicalType union: the one field set names the kind.
    static func logicalType(_ r: inout ThriftReader) throws -> LogicalKind {
        var kind = LogicalKind.none
        try r.readStruct { r, id, type in
            switch (id, type) {
            case (1, .structure): kind = .string; try r.skip(type)
            case (5, .structure):
                var scale: Int32 = 0
                try r.readStruct { r, id, t in if id == 1, t == .i32 { scale = try r.i32() } else { try r.skip(t) } }
                kind = .decimal(scale: scale)
            case (6, .structure): kind = .date; try r.skip(type)
            case (8, .structure):
                var utc = false, unit = TimeUnit.millis
                try r.readStruct { r, id, t in
                    switch (id, t) {
                    case (1, .boolTrue), (1, .boolFalse): utc = try ThriftReader.bool(t)
                    case (2, .structure):
                        try r.readStruct { r, id, t in
                            switch id { case 1: unit = .millis; case 2: unit = .micros; case 3: unit = .nanos; default: break }
                            try r.skip(t)
                        }
                    default: try r.skip(t)
                    }
                }
                kind = .timestamp(unit, utc: utc)
            case (10, .structure): kind = .integer; try r.skip(type)
            case (_, .structure):
                let names: [Int16: String] = [2: "MAP", 3: "LIST", 4: "ENUM", 7: "TIME", 11: "UNKNOWN", 12: "JSON", 13: "BSON",
                                              14: "UUID", 15: "FLOAT16", 16: "VARIANT", 17: "GEOMETRY", 18: "GEOGRAPHY"]
                kind = id == 4 ? .string : .other(names[id] ?? "logical type \(id)")
                try r.skip(type)
            default: try r.skip(type)
            }
        }
        return kind
    }

    /// The logical type, else the converted type it was written with before logical types existed.
    var kind: LogicalKind {
        if let logical, logical != .none { return logical }
        switch convertedType {
        case nil: return .none
        case 0, 4: return .string           // UTF8, ENUM
        case 5: return .decimal(scale: scale)
        case 6: return .date
        case 9: return .timestamp(.millis, utc: true)
        case 10: return .timestamp(.micros, utc: true)
        case 11, 12, 13, 14, 15, 16, 17, 18: return .integer
        case 1, 2: return .other("MAP")
        case 3: return .other("LIST")
        case 7, 8: return .other("TIME")
        case let c?: return .other(c == 19 ? "JSON" : c == 20 ? "BSON" : c == 21 ? "INTERVAL" : "converted type \(c)")
        }
    }
}

extension RowGroup {
    init(_ r: inout ThriftReader) throws {
        try r.readStruct { r, id, type in
            switch (id, type) {
            case (1, .list): columns = try r.list { r in try ColumnChunk(&r) }
            case (3, .i64): rowCount = try r.zigzag()
            default: try r.skip(type)
            }
        }
    }
}

extension ColumnChunk {
    init(_ r: inout ThriftReader) throws {
        try r.readStruct { r, id, type in
            switch (id, type) {
            case (1, .binary): filePath = try r.string()
            case (3, .structure): meta = try ColumnMetaData(&r)
            case (8, _), (9, _): encrypted = true; try r.skip(type)
            default: try r.skip(type)
            }
        }
    }
}

extension ColumnMetaData {
    init(_ r: inout ThriftReader) throws {
        try r.readStruct { r, id, type in
            switch (id, type) {
            case (1, .i32):
                let t = try r.i32()
                guard let p = PhysicalType(rawValue: t) else { throw ThriftError(message: "unknown physical type \(t)") }
                self.type = p
            case (2, .list): encodings = try r.list { r in try r.i32() }
            case (3, .list): path = try r.list { r in try r.string() }
            case (4, .i32): codec = try r.i32()
            case (5, .i64): valueCount = try r.zigzag()
            case (7, .i64): totalCompressedSize = try r.zigzag()
            case (9, .i64): dataPageOffset = try r.zigzag()
            case (11, .i64): dictionaryPageOffset = try r.zigzag()
            default: try r.skip(type)
            }
        }
    }
}

extension PageHeader {
    init(_ r: inout ThriftReader) throws {
        try r.readStruct { r, id, type in
            switch (id, type) {
            case (1, .i32): self.type = try r.i32()
            case (2, .i32): uncompressedSize = try r.i32()
            case (3, .i32): compressedSize = try r.i32()
            case (5, .structure):   // DataPageHeader
                try r.readStruct { r, id, t in
                    switch (id, t) {
                    case (1, .i32): valueCount = try r.i32()
                    case (2, .i32): encoding = try r.i32()
                    case (3, .i32): definitionEncoding = try r.i32()
                    default: try r.skip(t)
                    }
                }
            case (7, .structure):   // DictionaryPageHeader
                try r.readStruct { r, id, t in
                    switch (id, t) {
                    case (1, .i32): valueCount = try r.i32()
                    case (2, .i32): encoding = try r.i32()
                    default: try r.skip(t)
                    }
                }
            case (8, .structure):   // DataPageHeaderV2
                try r.readStruct { r, id, t in
                    switch (id, t) {
                    case (1, .i32): valueCount = try r.i32()
                    case (2, .i32): nullCount = try r.i32()
                    case (4, .i32): encoding = try r.i32()
                    case (5, .i32): definitionBytes = try r.i32()
                    case (6, .i32): repetitionBytes = try r.i32()
                    case (7, .boolTrue), (7, .boolFalse): isCompressed = try ThriftReader.bool(t)
                    default: try r.skip(t)
                    }
                }
            default: try r.skip(type)
            }
        }
    }
}
