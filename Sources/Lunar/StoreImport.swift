import Foundation
import LunarData
import LunarParquet

/// `lunar data import SRC STORE`: any `--data` source into a column store (docs/data-formats.md).
/// The synthetic universe and folders of one file per symbol (SYMBOL.csv, SYMBOL.parquet) are
/// written tile by tile — a first pass over the files finds the calendar and the fields, a
/// second reads a tile of files at a time onto that calendar — so a universe larger than
/// memory imports in the memory of one tile. Long files and datasets of long files are loaded
/// whole first (a symbol's rows may be anywhere in them).
public enum StoreImport {
    public struct Summary: Sendable {
        public var symbols: Int, bars: Int, fields: Int
        /// Written tile by tile (true) or from the whole panel in memory.
        public var streamed: Bool
    }

    /// Bytes of source values one tile holds at most (its rows as read and as a panel).
    public static let tileBytes = 256 << 20

    public static func run(source: String, store: String, float32: Bool = false, adjust: Bool = false,
                           threads: Int = defaultThreadCount, tileBytes: Int = tileBytes,
                           progress: (@Sendable (String, Int, Int) -> Void)? = nil) throws -> Summary {
        _ = ParquetSourceFactory.registered
        if let spec = try Synthetic.parseSpec(source, checkingSize: false) {
            let n = spec.symbols, t = spec.bars
            let step = max(1, tileBytes / 4 / (5 * 8 * t))
            try ColumnStore.write(symbols: (0 ..< n).map { Synthetic.symbolName($0, of: n) }, timestamps: Synthetic.calendar(bars: t),
                                  fields: Panel.standardFields.sorted(), to: store, source: source, float32: float32, threads: threads,
                                  tiles: tiles(n, step), tile: { Synthetic.tile($0, of: n, bars: t, seed: spec.seed) },
                                  progress: stage(progress, "writing"))
            return Summary(symbols: n, bars: t, fields: 5, streamed: true)
        }
        if let files = try perSymbolFiles(source) {
            return try streamed(files, source: source, store: store, float32: float32, adjust: adjust, threads: threads,
                                tileBytes: tileBytes, progress: progress)
        }
        if isParquetFolder(source) {
            return try scattered(source: source, store: store, float32: float32, adjust: adjust, progress: progress)
        }
        let panel = try DataSource.load(source, adjust: adjust) { done, all in progress?("reading", done, all) }
        try ColumnStore.write(panel, to: store, source: source, float32: float32, files: delistings(panel.universe.delistingsFile),
                              threads: threads, progress: stage(progress, "writing"))
        return Summary(symbols: panel.symbolCount, bars: panel.barCount, fields: panel.fields.count, streamed: false)
    }

    /// A source file of one symbol, and how to read it.
    struct SymbolFile: Sendable {
        var symbol: String
        var read: @Sendable () throws -> SymbolRows
    }

    /// The files of a folder of one file per symbol, CSV or Parquet; nil for anything else.
    static func perSymbolFiles(_ source: String) throws -> [SymbolFile]? {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDir), isDir.boolValue,
              !ColumnStore.isStore(source) else { return nil }
        if try ParquetSourceFactory().source(for: source, options: .init()) != nil {
            return try ParquetLoader.symbolFiles(under: source)?.map { f in SymbolFile(symbol: f.symbol) { try ParquetLoader.rows(file: f.path, symbol: f.symbol) } }
        }
        let names = try CSVLoader.folderFiles(source)
        return names.map { name in
            let path = (source as NSString).appendingPathComponent(name)
            return SymbolFile(symbol: String(name.dropLast(4))) { try CSVLoader.rows(file: path) }
        }
    }

    static func streamed(_ files: [SymbolFile], source: String, store: String, float32: Bool, adjust: Bool, threads: Int,
                         tileBytes: Int, progress: (@Sendable (String, Int, Int) -> Void)?) throws -> Summary {
        // Pass 1: every file's dates and fields (the values are read and dropped).
        let seen = Results<(dates: [Int64], names: [String])>(count: files.count)
        try batches(files.count, threads: threads, progress: { progress?("scanning", $0, $1) }) { i in
            let rows = try files[i].read()
            seen.set(i, (rows.timestamps, rows.names))
        }
        var all = Set<Int64>(), names: [String] = []
        for i in files.indices {
            let (dates, fields) = try seen.get(i)
            all.formUnion(dates)
            for n in fields where !names.contains(n) { names.append(n) }
        }
        let calendar = all.sorted()
        // Pass 2: tiles of files onto that calendar.
        let perSymbol = max(1, calendar.count * names.count * 8 * 2)
        let step = max(1, tileBytes / perSymbol)
        try ColumnStore.write(symbols: files.map(\.symbol), timestamps: calendar, fields: names.sorted(), to: store, source: source,
                              float32: float32, files: delistings(beside: source), threads: threads, tiles: tiles(files.count, step),
                              tile: { range in
            let rows = Results<SymbolRows>(count: range.count)
            try batches(range.count, threads: threads, progress: nil) { k in rows.set(k, try files[range.lowerBound + k].read()) }
            let tables = try (0 ..< range.count).map { (files[range.lowerBound + $0].symbol, try rows.get($0)) }
            let panel = try PanelAssembly.assemble(tables, adjust: adjust, calendar: calendar, fields: names)
            if adjust && panel.hasCorporateActions {
                throw DataError.invalid("\(source): --adjust rescales by Adj Close, which already holds the splits and dividends " +
                    "of the split/dividend columns; drop --adjust and choose --prices raw, split or total")
            }
            return panel
        }, progress: stage(progress, "writing"))
        return Summary(symbols: files.count, bars: calendar.count, fields: names.count, streamed: true)
    }

    /// `progress` for one stage of the import.
    static func stage(_ progress: (@Sendable (String, Int, Int) -> Void)?, _ name: String) -> (@Sendable (Int, Int) -> Void)? {
        guard let progress else { return nil }
        return { @Sendable done, all in progress(name, done, all) }
    }

    static func isParquetFolder(_ source: String) -> Bool {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDir), isDir.boolValue, !ColumnStore.isStore(source) else { return false }
        return (try? ParquetSourceFactory().source(for: source, options: .init())) != nil
    }

    /// A dataset of long Parquet files (a symbol's rows in any of them): a first pass finds the
    /// symbols (in the loader's order), the calendar and the fields; a second reads one file at
    /// a time and writes its cells into the mapped store (`ColumnStore.write(…, scatter:)`),
    /// each symbol's rows checked as the loader checks them. Memory: one file and the store's
    /// bitmap of written cells (a bit per cell).
    static func scattered(source: String, store: String, float32: Bool, adjust: Bool,
                          progress: (@Sendable (String, Int, Int) -> Void)?) throws -> Summary {
        let files = ParquetLoader.parquetFiles(under: source)
        var order: [String] = [], index: [String: Int] = [:], dates = Set<Int64>(), names: [String] = []
        var withColumn: String? = nil, without: String? = nil
        for (k, f) in files.enumerated() {
            let (tables, symbolColumn) = try ParquetLoader.tables(file: f.path, symbol: f.partitionSymbol)
            if symbolColumn { withColumn = withColumn ?? f.path } else { without = without ?? f.path }
            for (symbol, t) in tables {
                if index[symbol] == nil { index[symbol] = order.count; order.append(symbol) }
                dates.formUnion(t.timestamps)
                for n in t.names where !names.contains(n) { names.append(n) }
            }
            progress?("scanning", k + 1, files.count)
        }
        if let withColumn, let without {
            throw DataError.invalid("\(without): no symbol column, while \(withColumn) has one: a folder holds either one file per symbol (SYMBOL.parquet) or long files with a symbol column")
        }
        let calendar = dates.sorted()
        let bar = Dictionary(uniqueKeysWithValues: calendar.enumerated().map { ($1, $0) })
        let fields = names.sorted()
        try ColumnStore.write(symbols: order, timestamps: calendar, fields: fields, to: store, source: source, float32: float32,
                              files: delistings(beside: source)) { cells in
            for (k, f) in files.enumerated() {
                for (symbol, original) in try ParquetLoader.tables(file: f.path, symbol: f.partitionSymbol).tables {
                    var t = original
                    try PanelAssembly.prepare(&t)
                    if adjust {
                        if let c = ["split", "dividend"].first(where: { n in t.names.firstIndex(of: n).map { k in
                            t.columns[k].contains(where: n == "split" ? Panel.isSplit : Panel.isDividend) } ?? false }) {
                            throw DataError.invalid("\(source): --adjust rescales by Adj Close, which already holds the splits and dividends " +
                                "of the split/dividend columns (\(c) in \(f.path)); drop --adjust and choose --prices raw, split or total")
                        }
                        try PanelAssembly.adjust(&t)
                    }
                    let s = index[symbol]!
                    let slots = t.names.map { fields.firstIndex(of: $0)! }
                    for r in t.timestamps.indices {
                        let b = bar[t.timestamps[r]]!
                        guard cells.claim(symbol: s, bar: b) else {
                            throw t.error(at: r, column: nil, "symbol '\(DataError.clip(symbol))': duplicate date \(Calendar.format(t.timestamps[r], daily: t.timestamps[r] % 86_400 == 0)) (also in an earlier file of the dataset)")
                        }
                        for (c, f) in slots.enumerated() { cells.set(field: f, symbol: s, bar: b, t.columns[c][r]) }
                    }
                }
                progress?("writing", k + 1, files.count)
            }
        }
        return Summary(symbols: order.count, bars: calendar.count, fields: fields.count, streamed: true)
    }

    static func tiles(_ n: Int, _ step: Int) -> [Range<Int>] { stride(from: 0, to: n, by: step).map { $0 ..< min(n, $0 + step) } }

    /// `body(i)` for 0..<count on `threads`, in batches so progress can be reported; the first
    /// error (in index order of its batch) is thrown.
    static func batches(_ count: Int, threads: Int, progress: ((Int, Int) -> Void)?, _ body: @escaping @Sendable (Int) throws -> Void) throws {
        let batch = 64
        for start in stride(from: 0, to: count, by: batch) {
            let end = min(count, start + batch)
            let errors = Results<Void>(count: end - start)
            parallelFor(chunks: end - start, threads: threads) { k in errors.set(k, Result { try body(start + k) }) }
            for k in 0 ..< end - start { try errors.get(k) }
            progress?(end, count)
        }
    }

    static func delistings(beside folder: String) -> [(name: String, contents: Data)] {
        delistings((folder as NSString).appendingPathComponent(Universe.delistingsFileName))
    }

    /// The delistings file travels with the store, where a run looks for it.
    static func delistings(_ file: String?) -> [(name: String, contents: Data)] {
        file.flatMap { FileManager.default.contents(atPath: $0) }.map { [(name: Universe.delistingsFileName, contents: $0)] } ?? []
    }
}

/// One result per index, set from worker threads.
final class Results<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Result<T, Error>?]
    init(count: Int) { items = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: Result<T, Error>) { lock.lock(); items[i] = r; lock.unlock() }
    func set(_ i: Int, _ v: T) { set(i, .success(v)) }
    func get(_ i: Int) throws -> T { lock.lock(); defer { lock.unlock() }; return try items[i]!.get() }
}
