#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Lunar's columnar store: a folder a panel is imported into once (`lunar data import`) and
/// opened in milliseconds thereafter, because nothing is parsed — each field is one file of
/// N × T numbers, symbol-major like `Panel`, mapped into memory; a run copies out only the
/// symbols it needs (all of them, or one tile at a time under `--memory-budget`).
///
/// Layout (docs/data-formats.md, "The store"):
///
///     STORE/manifest.json       format, version, symbols, bar count, fields (name, type, file), fingerprint
///     STORE/timestamps.i64      T little-endian Int64 (epoch seconds, UTC)
///     STORE/fields/N.f64|.f32   N × T little-endian Float64 (or Float32 on request), symbol-major
///
/// A store is written into a hidden sibling folder and renamed into place, so a reader finds a
/// whole store or none. It is also the cache of CSV data (`PanelCache`).
public final class ColumnStore: @unchecked Sendable {
    public static let manifestName = "manifest.json"
    static let format = "lunar-store"
    /// Bump when the layout or the loaders' rules change (old stores are then refused, and
    /// caches rebuilt).
    static let version = 1

    public enum ValueType: String, Codable, Sendable {
        case float64, float32
        var width: Int { self == .float64 ? 8 : 4 }
        var suffix: String { self == .float64 ? "f64" : "f32" }
    }

    struct Manifest: Codable {
        struct Field: Codable { var name: String; var type: ValueType; var file: String }
        var format: String
        var version: Int
        var symbols: [String]
        var bars: Int
        var fields: [Field]
        /// What the store was made from, for messages.
        var source: String
        /// For the CSV cache: the sources' fingerprint (`PanelCache.fingerprint`).
        var fingerprint: String?
    }

    public let path: String
    public let symbols: [String]
    public let timestamps: [Int64]
    public let fieldNames: [String]
    public let source: String
    let manifest: Manifest
    /// Each field's file, mapped (not read): pages come in as tiles touch them.
    private let maps: [String: (data: Data, type: ValueType)]

    public var symbolCount: Int { symbols.count }
    public var barCount: Int { timestamps.count }
    public var fingerprint: String? { manifest.fingerprint }

    /// Is `path` a store (a folder with a store manifest)?
    public static func isStore(_ path: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: (path as NSString).appendingPathComponent(manifestName)),
              let m = try? JSONDecoder().decode(Manifest.self, from: data) else { return false }
        return m.format == format
    }

    /// Opens the store at `path`: reads the manifest and the calendar, maps every field file.
    public init(path: String) throws {
        self.path = path
        let manifestPath = (path as NSString).appendingPathComponent(Self.manifestName)
        guard let data = FileManager.default.contents(atPath: manifestPath) else { throw DataError.fileNotFound(manifestPath) }
        let m: Manifest
        do { m = try JSONDecoder().decode(Manifest.self, from: data) } catch {
            throw DataError.invalid("\(manifestPath): not a Lunar store manifest (\(error))")
        }
        guard m.format == Self.format else { throw DataError.invalid("\(manifestPath): format '\(DataError.clip(m.format))' is not \(Self.format)") }
        guard m.version == Self.version else {
            throw DataError.invalid("\(manifestPath): a store of version \(m.version); this Lunar reads version \(Self.version): import the data again")
        }
        guard m.bars >= 0, m.bars < 1 << 32, m.symbols.count < 1 << 32 else { throw DataError.invalid("\(manifestPath): \(m.symbols.count) symbols × \(m.bars) bars") }
        for f in Panel.standardFields where !m.fields.contains(where: { $0.name == f }) {
            throw DataError.missingColumn(file: manifestPath, column: f)
        }
        func mapped(_ file: String, bytes: Int) throws -> Data {
            guard !file.contains(".."), !file.hasPrefix("/") else { throw DataError.invalid("\(manifestPath): a field file outside the store: \(DataError.clip(file))") }
            let full = (path as NSString).appendingPathComponent(file)
            guard let d = try? Data(contentsOf: URL(fileURLWithPath: full), options: .alwaysMapped) else { throw DataError.fileNotFound(full) }
            guard d.count == bytes else { throw DataError.invalid("\(full): \(d.count) bytes, expected \(bytes): the store is damaged; import it again") }
            return d
        }
        let cells = m.symbols.count * m.bars
        let times = try mapped("timestamps.i64", bytes: m.bars * 8)
        let timestamps = times.withUnsafeBytes { b in (0 ..< m.bars).map { Int64(littleEndian: b.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) } }
        for i in timestamps.indices.dropFirst() where timestamps[i] <= timestamps[i - 1] {
            throw DataError.invalid("\(path): the store's calendar is not increasing at bar \(i): the store is damaged; import it again")
        }
        var maps: [String: (Data, ValueType)] = [:]
        for f in m.fields {
            guard maps[f.name] == nil else { throw DataError.invalid("\(manifestPath): field '\(DataError.clip(f.name))' appears twice") }
            maps[f.name] = (try mapped(f.file, bytes: cells * f.type.width), f.type)
        }
        manifest = m
        symbols = m.symbols; self.timestamps = timestamps; fieldNames = m.fields.map(\.name); source = m.source
        self.maps = maps
    }

    /// Bytes of the fields of one symbol as a panel holds them (Float64).
    public var bytesPerSymbol: Int { fieldNames.count * barCount * 8 }

    /// The symbols `range` as a panel (every field, as Float64): a copy out of the map.
    public func panel(symbols range: Range<Int>? = nil) throws -> Panel {
        let range = range ?? 0 ..< symbolCount
        var fields: [String: [Double]] = [:]
        for name in fieldNames { fields[name] = values(name, symbols: range) }
        return try Panel(symbols: Array(symbols[range]), timestamps: timestamps, fields: fields)
    }

    /// One field of the symbols `range`, as Float64. The mapped pages it read are handed back
    /// to the kernel afterwards, so a run reading tile after tile holds one tile, not the
    /// store, in memory (mapped pages that were read count as the process's own until then).
    public func values(_ field: String, symbols range: Range<Int>) -> [Double] {
        precondition(range.lowerBound >= 0 && range.upperBound <= symbolCount, "symbols \(range) of a store of \(symbolCount)")
        guard let (data, type) = maps[field] else { preconditionFailure("the store has no field '\(field)'") }
        let T = barCount, cells = range.count * T, start = range.lowerBound * T
        return data.withUnsafeBytes { b -> [Double] in
            guard cells > 0, let base = b.baseAddress else { return [] }
            let src = base + start * type.width
            let out = [Double](unsafeUninitializedCapacity: cells) { out, count in
                if type == .float64 {
                    memcpy(out.baseAddress!, src, cells * 8)
                } else {
                    for i in 0 ..< cells { out[i] = Double(Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))) }
                }
                count = cells
            }
            Self.release(src, bytes: cells * type.width)
            return out
        }
    }

    /// MADV_DONTNEED on the whole pages inside `bytes` at `p`: they are read again from the
    /// page cache if touched later.
    static func release(_ p: UnsafeRawPointer, bytes: Int) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let lo = (Int(bitPattern: p) + page - 1) / page * page, hi = (Int(bitPattern: p) + bytes) / page * page
        if hi > lo { _ = madvise(UnsafeMutableRawPointer(bitPattern: lo), hi - lo, Int32(MADV_DONTNEED)) }
    }

    // MARK: - writing

    /// Writes `panel` as the store at `path` (replacing a store there), each field file by its
    /// own thread; `float32` stores every field but the timestamps as Float32.
    /// `files` are written beside the fields (the source's `delistings.csv`, which a run then
    /// finds beside the store as it would beside the data).
    public static func write(_ panel: Panel, to path: String, source: String, float32: Bool = false, fingerprint: String? = nil,
                             files: [(name: String, contents: Data)] = [],
                             threads: Int = defaultThreadCount, progress: (@Sendable (Int, Int) -> Void)? = nil) throws {
        try write(symbols: panel.symbols, timestamps: panel.timestamps, fields: panel.fields.keys.sorted(), to: path, source: source,
                  float32: float32, fingerprint: fingerprint, files: files, threads: threads, tiles: [0 ..< panel.symbolCount],
                  tile: { _ in panel }, progress: progress)
    }

    /// Writes a store tile by tile: `tile(range)` gives the panel of the symbols `range` (in
    /// order, together covering every symbol), whose fields are appended to the field files and
    /// dropped, so a universe larger than memory can be written. `progress` gets tiles done.
    public static func write(symbols: [String], timestamps: [Int64], fields names: [String], to path: String, source: String,
                             float32: Bool = false, fingerprint: String? = nil, files: [(name: String, contents: Data)] = [],
                             threads: Int = defaultThreadCount, tiles: [Range<Int>], tile: (Range<Int>) throws -> Panel,
                             progress: (@Sendable (Int, Int) -> Void)? = nil) throws {
        try writeStore(symbols: symbols, timestamps: timestamps, fields: names, to: path, source: source, float32: float32,
                       fingerprint: fingerprint, files: files) { temp, manifest in
            let handles = try manifest.fields.map { f -> FileHandle in
                try writeFile(temp + "/" + f.file, Data())
                guard let h = FileHandle(forWritingAtPath: temp + "/" + f.file) else { throw DataError.invalid("cannot write \(temp)/\(f.file)") }
                return h
            }
            defer { for h in handles { try? h.close() } }
            let failures = Failures()
            for (k, range) in tiles.enumerated() {
                let panel = try tile(range)
                guard panel.symbols == Array(symbols[range]), panel.timestamps == timestamps else {
                    throw DataError.invalid("tile \(range) of the store does not hold those symbols on the store's calendar")
                }
                parallelFor(chunks: names.count, threads: threads) { f in
                    guard let values = panel.fields[names[f]] else { failures.add(DataError.missingColumn(file: source, column: names[f])); return }
                    let bytes: Data = float32
                        ? values.map { Float($0).bitPattern.littleEndian }.withUnsafeBytes { Data($0) }
                        : values.map { $0.bitPattern.littleEndian }.withUnsafeBytes { Data($0) }
                    do { try handles[f].write(contentsOf: bytes) } catch { failures.add(error) }
                }
                if let e = failures.first { throw e }
                progress?(k + 1, tiles.count)
            }
        }
    }

    /// Cells of a store being written in any order (`write(…, scatter:)`): every field file is
    /// mapped for writing, NaN where nothing is set.
    public final class Cells {
        public let bars: Int
        let bases: [UnsafeMutableRawPointer], float32: Bool
        /// One bit per (symbol, bar): set once, so a second row for a cell is seen.
        private var filled: [UInt64]
        init(bases: [UnsafeMutableRawPointer], symbols: Int, bars: Int, float32: Bool) {
            self.bases = bases; self.bars = bars; self.float32 = float32
            filled = [UInt64](repeating: 0, count: (symbols * bars + 63) / 64)
        }
        /// Marks (symbol, bar) as written; false when it already was.
        public func claim(symbol s: Int, bar t: Int) -> Bool {
            let i = s * bars + t, (w, b) = (i >> 6, UInt64(1) << UInt64(i & 63))
            if filled[w] & b != 0 { return false }
            filled[w] |= b
            return true
        }
        public func set(field f: Int, symbol s: Int, bar t: Int, _ v: Double) {
            let i = s * bars + t
            if float32 { bases[f].storeBytes(of: Float(v).bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self) }
            else { bases[f].storeBytes(of: v.bitPattern.littleEndian, toByteOffset: 8 * i, as: UInt64.self) }
        }
    }

    /// Writes a store whose cells arrive in any order: `scatter` sets them (a dataset whose
    /// files each hold some rows of many symbols). The field files are sized and filled with
    /// NaN first, then mapped; the kernel writes the pages back, so the store need not fit in
    /// memory.
    public static func write(symbols: [String], timestamps: [Int64], fields names: [String], to path: String, source: String,
                             float32: Bool = false, files: [(name: String, contents: Data)] = [],
                             scatter: (Cells) throws -> Void) throws {
        let type: ValueType = float32 ? .float32 : .float64
        try writeStore(symbols: symbols, timestamps: timestamps, fields: names, to: path, source: source, float32: float32,
                       fingerprint: nil, files: files) { temp, manifest in
            let cells = symbols.count * timestamps.count, size = cells * type.width
            var bases: [UnsafeMutableRawPointer] = []
            defer { for b in bases { munmap(b, size) } }
            // 512 KiB of NaN, written as many times as a field file needs.
            let chunk = float32 ? [UInt32](repeating: Float.nan.bitPattern.littleEndian, count: 1 << 17).withUnsafeBytes { Data($0) }
                                : [UInt64](repeating: Double.nan.bitPattern.littleEndian, count: 1 << 16).withUnsafeBytes { Data($0) }
            for f in manifest.fields {
                let file = temp + "/" + f.file
                try writeFile(file, Data())
                guard let h = FileHandle(forWritingAtPath: file) else { throw DataError.invalid("cannot write \(file)") }
                var left = size
                while left > 0 { let n = min(left, chunk.count); try h.write(contentsOf: chunk.prefix(n)); left -= n }
                try h.close()
                guard size > 0 else { continue }
                let fd = open(file, O_RDWR)
                guard fd >= 0 else { throw DataError.invalid("cannot write \(file): \(String(cString: strerror(errno)))") }
                let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
                close(fd)
                guard let p, p != MAP_FAILED else { throw DataError.invalid("cannot map \(file): \(String(cString: strerror(errno)))") }
                bases.append(p)
            }
            if size > 0 {
                try scatter(Cells(bases: bases, symbols: symbols.count, bars: timestamps.count, float32: float32))
                for b in bases { guard msync(b, size, MS_SYNC) == 0 else { throw DataError.invalid("cannot write \(path): \(String(cString: strerror(errno)))") } }
            }
        }
    }

    /// The frame every store write shares: the manifest, a hidden sibling folder with the
    /// calendar and `files`, `fill(folder, manifest)` writing the field files, then the manifest
    /// last and the rename into place (`replaceFolder`).
    static func writeStore(symbols: [String], timestamps: [Int64], fields names: [String], to path: String, source: String,
                           float32: Bool, fingerprint: String?, files: [(name: String, contents: Data)],
                           fill: (String, Manifest) throws -> Void) throws {
        let type: ValueType = float32 ? .float32 : .float64
        let manifest = Manifest(format: format, version: version, symbols: symbols, bars: timestamps.count,
                                fields: names.enumerated().map { .init(name: $1, type: type, file: "fields/\($0).\(type.suffix)") },
                                source: source, fingerprint: fingerprint)
        try replaceFolder(path) { temp in
            try FileManager.default.createDirectory(atPath: temp + "/fields", withIntermediateDirectories: true)
            try writeFile(temp + "/timestamps.i64", timestamps.map { $0.littleEndian }.withUnsafeBytes { Data($0) })
            for f in files { try writeFile(temp + "/" + f.name, f.contents) }
            try fill(temp, manifest)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try writeFile(temp + "/" + manifestName, try encoder.encode(manifest))
        }
    }

    static func writeFile(_ path: String, _ data: Data) throws {
        guard FileManager.default.createFile(atPath: path, contents: data) else {
            throw DataError.invalid("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Fills a hidden sibling of `path` and renames it into place; a store already at `path` is
    /// moved aside first and removed after. Anything else at `path` is left alone: an error.
    static func replaceFolder(_ path: String, _ fill: (String) throws -> Void) throws {
        let fm = FileManager.default
        let parent = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let tag = "\(getpid())-\(UInt32.random(in: 0 ... .max))"
        let temp = (parent.isEmpty ? "." : parent) + "/.\(name).lunar-new-\(tag)"
        if !parent.isEmpty { try fm.createDirectory(atPath: parent, withIntermediateDirectories: true) }
        var isDir: ObjCBool = false
        let exists = fm.fileExists(atPath: path, isDirectory: &isDir)
        if exists {
            let empty = isDir.boolValue && ((try? fm.contentsOfDirectory(atPath: path))?.isEmpty ?? false)
            guard isDir.boolValue && (empty || isStore(path)) else {
                throw DataError.invalid("\(path) exists and is not a Lunar store: choose another folder for the store")
            }
        }
        do {
            try fm.createDirectory(atPath: temp, withIntermediateDirectories: false)
            try fill(temp)
            if exists {
                let old = (parent.isEmpty ? "." : parent) + "/.\(name).lunar-old-\(tag)"
                guard rename(path, old) == 0 else { throw DataError.invalid("cannot replace \(path): \(String(cString: strerror(errno)))") }
                guard rename(temp, path) == 0 else {
                    rename(old, path)
                    throw DataError.invalid("cannot replace \(path): \(String(cString: strerror(errno)))")
                }
                try? fm.removeItem(atPath: old)
            } else {
                guard rename(temp, path) == 0 else { throw DataError.invalid("cannot write \(path): \(String(cString: strerror(errno)))") }
            }
        } catch {
            try? fm.removeItem(atPath: temp)
            throw error
        }
    }
}

private final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var first: Error?
    func add(_ e: Error) { lock.lock(); if first == nil { first = e }; lock.unlock() }
}

/// `--data STORE`: a folder with a store manifest.
public struct StoreSource: PanelSource {
    public let path: String
    public init(path: String) { self.path = path }
    public var description: String { path }
    public func load(progress: ((Int, Int) -> Void)?) throws -> Panel { try ColumnStore(path: path).panel() }
}

struct StoreSourceFactory: PanelSourceFactory {
    var name: String { "store" }
    var usage: String { "STORE: a folder made by `lunar data import` (manifest.json and one file per field)" }
    func source(for spec: String, options: PanelSourceOptions) throws -> (any PanelSource)? {
        guard ColumnStore.isStore(spec) else { return nil }
        if options.adjust {
            throw DataError.invalid("\(spec): a store holds prices as imported; --adjust applies when importing (lunar data import --adjust)")
        }
        return StoreSource(path: spec)
    }
}
