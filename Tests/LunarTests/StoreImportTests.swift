import Foundation
import LunarTestSupport
import Testing
@testable import Lunar

/// `lunar data import` tile by tile: a folder of one file per symbol (CSV or Parquet), imported
/// a few files at a time onto the calendar of the first pass, is the same store as the whole
/// folder loaded at once, whatever the tile size.
@Suite struct StoreImportTests {
    static func same(_ a: Panel, _ b: Panel) -> Bool {
        a.symbols == b.symbols && a.timestamps == b.timestamps && a.fields.keys.sorted() == b.fields.keys.sorted() &&
            a.fields.allSatisfy { name, v in zip(v, b.fields[name]!).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) } }
    }

    /// 9 symbols on different calendars (one listed late, one ending early), one with an extra column.
    static func folder(parquet: Bool) throws -> String {
        let dir = Fixtures.tempDir("import-src")
        let panel = Synthetic.panel(symbols: 9, bars: 80, seed: 3)
        for s in 0 ..< 9 {
            let lo = s == 2 ? 30 : 0, hi = s == 5 ? 50 : 80
            var t = ParquetTable()
            t.append("date", .timestamps(seconds: Array(panel.timestamps[lo ..< hi])))
            for f in Panel.standardFields { t.append(f, .doubles(Array(panel.series(f, symbol: s))[lo ..< hi].map { $0 })) }
            if s == 7 { t.append("adj_close", .doubles(Array(panel.series("close", symbol: s))[lo ..< hi].map { $0 * 0.9 })) }
            let name = "\(dir)/\(panel.symbols[s])"
            if parquet {
                try ParquetWriter.write(t, to: name + ".parquet")
            } else {
                var csv = t.columns.map(\.name).joined(separator: ",") + "\n"
                for r in 0 ..< t.rowCount {
                    csv += t.columns.map { c -> String in
                        switch c.values {
                        case .timestamps(let v): return Calendar.format(v[r], daily: true)
                        case .doubles(let v): return CSVWriter.formatNumber(v[r])
                        default: return ""
                        }
                    }.joined(separator: ",") + "\n"
                }
                try csv.write(toFile: name + ".csv", atomically: true, encoding: .utf8)
            }
        }
        return dir
    }

    @Test(arguments: [false, true])
    func aFolderImportedTileByTileIsTheWholeFolder(_ parquet: Bool) throws {
        let src = try Self.folder(parquet: parquet)
        let out = Fixtures.tempDir("import-out")
        defer { try? FileManager.default.removeItem(atPath: src); try? FileManager.default.removeItem(atPath: out) }
        let whole = try DataSource.load(src)
        #expect(whole.symbolCount == 9 && whole.fields["adj_close"] != nil)
        for tileBytes in [1, 80 * 6 * 8 * 2 * 4, 1 << 30] {   // one file, four files, every file per tile
            let summary = try StoreImport.run(source: src, store: out + "/store", threads: 2, tileBytes: tileBytes)
            #expect(summary.streamed && summary.symbols == 9 && summary.fields == 6)
            #expect(Self.same(try ColumnStore(path: out + "/store").panel(), whole))
        }
    }

    /// A dataset of long files (symbols interleaved, files out of date order, a symbol that
    /// appears only in the last file): written cell by cell into the mapped store, the same
    /// store as the dataset loaded whole; a date given twice across files is an error.
    @Test func aDatasetOfLongFilesIsScatteredIntoTheStore() throws {
        let out = Fixtures.tempDir("import-dataset")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let panel = Synthetic.panel(symbols: 5, bars: 60, seed: 8)
        func part(_ symbols: [Int], _ bars: Range<Int>) -> ParquetTable {
            var rows: [(Int, Int)] = []
            for t in bars { for s in symbols { rows.append((s, t)) } }   // by date, then symbol
            var table = ParquetTable()
            table.append("timestamp", .timestamps(seconds: rows.map { panel.timestamps[$0.1] }))
            table.append("ticker", .strings(rows.map { panel.symbols[$0.0] }))
            for f in Panel.standardFields { table.append(f, .doubles(rows.map { panel.fields[f]![$0.0 * 60 + $0.1] })) }
            return table
        }
        let src = out + "/dataset"
        try FileManager.default.createDirectory(atPath: src + "/year=2015/half=2", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: src + "/year=2015/half=1", withIntermediateDirectories: true)
        try ParquetWriter.write(part([3, 1, 0], 30 ..< 60), to: src + "/year=2015/half=1/a.parquet")   // the later bars first
        try ParquetWriter.write(part([0, 1, 3], 0 ..< 30), to: src + "/year=2015/half=2/a.parquet")
        try ParquetWriter.write(part([4, 2], 10 ..< 60), to: src + "/year=2015/half=2/b.parquet")
        let whole = try DataSource.load(src)
        let summary = try StoreImport.run(source: src, store: out + "/store")
        #expect(summary.streamed && summary.symbols == 5 && summary.bars == 60)
        #expect(Self.same(try ColumnStore(path: out + "/store").panel(), whole))
        try ParquetWriter.write(part([2], 20 ..< 21), to: src + "/year=2015/half=2/c.parquet")
        do { _ = try StoreImport.run(source: src, store: out + "/store2"); Issue.record("a duplicate date imported") } catch {
            #expect("\(error)".contains("duplicate date") && "\(error)".contains("c.parquet"), "\(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: out + "/store2"))
    }

    @Test func theFixtureDatasetImportsAsItLoads() throws {
        let out = Fixtures.tempDir("import-long")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let partitioned = Fixtures.path("Tests/Fixtures/parquet/partitioned")
        let summary = try StoreImport.run(source: partitioned, store: out + "/store")
        #expect(summary.streamed)
        #expect(Self.same(try ColumnStore(path: out + "/store").panel(), try DataSource.load(partitioned)))
        // One long file is loaded whole.
        let file = Fixtures.path("Tests/Fixtures/parquet/daily-snappy.parquet")
        #expect(try !StoreImport.run(source: file, store: out + "/one").streamed)
        #expect(Self.same(try ColumnStore(path: out + "/one").panel(), try DataSource.load(file)))
    }
}
