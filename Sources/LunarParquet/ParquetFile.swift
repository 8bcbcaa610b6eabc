import Foundation
import LunarData

/// Why a Parquet file cannot be read: always names the file, and the column when one is at fault.
public struct ParquetError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let column: String?
    public let message: String
    public init(file: String, column: String? = nil, _ message: String) { self.file = file; self.column = column; self.message = message }
    public var description: String { "\(file): " + (column.map { "column '\(DataError.clip($0))': " } ?? "") + message }
}

/// A flat column of the schema: a leaf directly under the root.
public struct LeafColumn: Sendable {
    public let name: String
    public let physical: PhysicalType
    public let kind: LogicalKind
    let typeLength: Int32
    /// 1 for an optional column (nulls possible), 0 for a required one.
    let maxDefinition: Int
}

/// An open Parquet file: its bytes mapped, its footer read, its schema checked to be a flat
/// table. Columns are decoded on demand, row groups and columns in parallel.
public final class ParquetFile: @unchecked Sendable {
    public let path: String
    public let columns: [LeafColumn]
    public let rowCount: Int
    public let createdBy: String?
    private let data: Data
    private let metadata: FileMetaData

    public init(path: String) throws {
        self.path = path
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw ParquetError(file: path, FileManager.default.fileExists(atPath: path) ? "cannot be read" : "not found")
        }
        let size = data.count
        func fail(_ m: String) -> ParquetError { ParquetError(file: path, m) }
        guard size >= 12 else { throw fail("is not a Parquet file (\(size) bytes; a Parquet file starts and ends with PAR1)") }
        let (head, tail, length) = data.withUnsafeBytes { b in
            (b.loadUnaligned(fromByteOffset: 0, as: UInt32.self), b.loadUnaligned(fromByteOffset: size - 4, as: UInt32.self),
             Int(UInt32(littleEndian: b.loadUnaligned(fromByteOffset: size - 8, as: UInt32.self))))
        }
        let par1 = UInt32(littleEndian: 0x3152_4150), pare = UInt32(littleEndian: 0x4552_4150)
        if tail == pare { throw fail("is encrypted (PARE footer); encrypted Parquet is not supported") }
        guard head == par1 else { throw fail("is not a Parquet file (no PAR1 at its start)") }
        guard tail == par1 else { throw fail("is truncated or damaged: PAR1 at its start but not at its end") }
        guard length > 0, length <= size - 12 else { throw fail("has a footer of \(length) bytes in a file of \(size): the file is truncated or damaged") }
        do {
            metadata = try data.withUnsafeBytes { b in
                var r = ThriftReader(UnsafeRawBufferPointer(rebasing: b[(size - 8 - length) ..< (size - 8)]))
                return try FileMetaData(&r)
            }
        } catch {
            throw fail("its footer cannot be read (\(error)): the file is truncated or damaged")
        }
        if metadata.encrypted { throw fail("is encrypted; encrypted Parquet is not supported") }
        guard metadata.rowCount >= 0, metadata.rowCount < 1 << 40 else { throw fail("says it holds \(metadata.rowCount) rows") }
        rowCount = Int(metadata.rowCount)
        createdBy = metadata.createdBy
        columns = try Self.flatColumns(metadata.schema, fail)
        var rows: Int64 = 0
        for (g, group) in metadata.rowGroups.enumerated() {
            guard group.columns.count == columns.count else {
                throw fail("row group \(g) has \(group.columns.count) columns, the schema \(columns.count)")
            }
            guard group.rowCount >= 0 else { throw fail("row group \(g) has \(group.rowCount) rows") }
            for (k, chunk) in group.columns.enumerated() {
                if chunk.encrypted { throw ParquetError(file: path, column: columns[k].name, "is encrypted; encrypted Parquet is not supported") }
                if chunk.filePath != nil { throw ParquetError(file: path, column: columns[k].name, "lives in another file (file_path); such column chunks are not supported") }
                guard chunk.meta != nil else { throw ParquetError(file: path, column: columns[k].name, "row group \(g) has no metadata for it") }
            }
            // Against what the footer's count leaves, so that the sum cannot overflow (two row
            // groups of 2^62 rows trapped).
            guard group.rowCount <= metadata.rowCount - rows else {
                throw fail("its row groups hold more than the \(metadata.rowCount) rows its footer says")
            }
            rows += group.rowCount
        }
        guard rows == metadata.rowCount else { throw fail("its row groups hold \(rows) rows, its footer says \(metadata.rowCount)") }
    }

    /// The schema's leaves, refused unless they are one flat level of non-repeated columns.
    private static func flatColumns(_ schema: [SchemaElement], _ fail: (String) -> ParquetError) throws -> [LeafColumn] {
        guard let root = schema.first else { throw fail("has an empty schema") }
        guard Int(root.childCount) == schema.count - 1 else {
            // A child with children of its own: find the first nested one to name it.
            var i = 1
            while i < schema.count {
                if schema[i].childCount > 0 || schema[i].type == nil {
                    throw ParquetError(file: fail("").file, column: schema[i].name,
                                       "is a nested column (a group: a list, map or struct); only flat columns are read")
                }
                i += 1
            }
            throw fail("has a schema of \(schema.count - 1) elements under a root of \(root.childCount) children")
        }
        return try schema.dropFirst().map { e in
            func refuse(_ m: String) -> ParquetError { ParquetError(file: fail("").file, column: e.name, m) }
            guard let physical = e.type, e.childCount == 0 else { throw refuse("is a nested column (a group: a list, map or struct); only flat columns are read") }
            guard e.repetition != 2 else { throw refuse("is a repeated column; only flat columns are read") }
            return LeafColumn(name: e.name, physical: physical, kind: e.kind, typeLength: e.typeLength, maxDefinition: e.repetition == 1 ? 1 : 0)
        }
    }

    public func columnIndex(_ name: String) -> Int? { columns.firstIndex { $0.name == name } }

    /// The file's key-value metadata.
    public var keyValues: [String: String] { metadata.keyValues }

    /// The time zone a timestamp column was recorded in: pandas' metadata (a tz-aware column's
    /// `metadata.timezone`), else the Arrow schema pyarrow and polars store (`ARROW:schema`).
    /// TIMESTAMP holds UTC instants, and only these say which zone's clock they were read on.
    /// nil when none is recorded or it is UTC.
    public func timeZone(of column: String) -> String? {
        let zone = pandasTimeZone(of: column) ?? metadata.keyValues["ARROW:schema"].flatMap { ArrowSchema.timeZones($0)[column] }
        guard let zone, !["UTC", "utc", "Etc/UTC", "+00:00", "Z"].contains(zone) else { return nil }
        return zone
    }

    func pandasTimeZone(of column: String) -> String? {
        guard let text = metadata.keyValues["pandas"], let data = text.data(using: .utf8),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let cols = root["columns"] as? [[String: Any]] else { return nil }
        for c in cols where (c["field_name"] as? String ?? c["name"] as? String) == column {
            guard let zone = (c["metadata"] as? [String: Any])?["timezone"] as? String,
                  !["UTC", "utc", "Etc/UTC", "+00:00", "Z"].contains(zone) else { return nil }
            return zone
        }
        return nil
    }

    /// Encodings and codecs the file's column chunks declare (for tests and `lunar data info`).
    public func declared(column k: Int) -> (encodings: [String], codecs: [String]) {
        var e = Set<String>(), c = Set<String>()
        for g in metadata.rowGroups {
            guard let m = g.columns[k].meta else { continue }
            for x in m.encodings { e.insert(Encoding(rawValue: x)?.name ?? "encoding \(x)") }
            c.insert(Codec(rawValue: m.codec)?.name ?? "codec \(m.codec)")
        }
        return (e.sorted(), c.sorted())
    }

    /// Decodes the columns at `indices`, every (row group, column) pair on its own thread.
    public func read(columns indices: [Int], threads: Int = defaultThreadCount) throws -> [ColumnValues] {
        let groups = metadata.rowGroups
        let pieces = PieceResults(count: groups.count * indices.count)
        data.withUnsafeBytes { bytes in
            let file = SendableBytes(bytes)
            parallelFor(chunks: groups.count * indices.count, threads: threads) { job in
                let g = job / indices.count, k = indices[job % indices.count]
                let reader = ColumnChunkReader(file: file.bytes, column: self.columns[k], meta: groups[g].columns[k].meta!,
                                               rows: Int(groups[g].rowCount))
                pieces.set(job, Result { try reader.read() })
            }
        }
        return try indices.enumerated().map { (slot, k) in
            var parts: [ColumnValues] = []
            for g in groups.indices {
                do { parts.append(try pieces.get(g * indices.count + slot)) } catch {
                    throw ParquetError(file: path, column: columns[k].name, "row group \(g): \(error)")
                }
            }
            return ColumnValues.joined(parts)
        }
    }
}

private struct SendableBytes: @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer
    init(_ b: UnsafeRawBufferPointer) { bytes = b }
}

private final class PieceResults: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<ColumnValues, Error>?]
    init(count: Int) { results = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: Result<ColumnValues, Error>) { lock.lock(); results[i] = r; lock.unlock() }
    func get(_ i: Int) throws -> ColumnValues { lock.lock(); defer { lock.unlock() }; return try results[i]!.get() }
}
