import Foundation
import LunarData
import LunarTestSupport
import Testing
@testable import LunarParquet

/// The loader's layouts and errors beyond the fixtures: hive folders naming the symbol, rows out
/// of date order across files, and every error naming the file, the row and the column.
@Suite struct ParquetLoaderTests {
    static let days: [Int64] = (0 ..< 6).map { Int64(19_725 + $0) * 86_400 }

    /// A price table of `symbols` (nil: no symbol column) on `days`.
    static func table(_ symbols: [String]?, days: [Int64] = days, close: Double = 10) -> ParquetTable {
        let n = (symbols?.count ?? 1) * days.count
        var t = ParquetTable()
        t.append("Date", .timestamps(seconds: (0 ..< n).map { days[$0 % days.count] }))
        if let symbols { t.append("Ticker", .strings((0 ..< n).map { symbols[$0 / days.count] })) }
        for f in ["Open", "High", "Low", "Close"] { t.append(f, .doubles((0 ..< n).map { close + Double($0 % days.count) })) }
        t.append("Vol", .int64s((0 ..< n).map { Int64(100 + $0) }))
        return t
    }

    @Test func aHiveFolderNamesTheSymbolOfFilesWithoutASymbolColumn() throws {
        let dir = Fixtures.tempDir("pq-hive")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for s in ["BBB", "AAA"] {
            try FileManager.default.createDirectory(atPath: "\(dir)/symbol=\(s)", withIntermediateDirectories: true)
            try ParquetWriter.write(Self.table(nil, close: s == "AAA" ? 10 : 20), to: "\(dir)/symbol=\(s)/part-0.parquet")
        }
        FileManager.default.createFile(atPath: dir + "/_SUCCESS", contents: Data())
        let panel = try ParquetLoader.load(path: dir)
        #expect(panel.symbols == ["AAA", "BBB"])
        #expect(panel.fields["close"]![0] == 10 && panel.fields["close"]![6] == 20)
        #expect(panel.fields["volume"]![1] == 101)
        #expect(ParquetSourceFactory().name == "parquet")
        #expect(try ParquetSourceFactory().source(for: dir, options: .init()) != nil)
    }

    @Test func rowsOutOfOrderAcrossFilesAreOrderedByDate() throws {
        let dir = Fixtures.tempDir("pq-order")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // The later days in the first file (by name), the earlier ones in the second.
        try ParquetWriter.write(Self.table(["X", "Y"], days: Array(Self.days[3...])), to: dir + "/a.parquet")
        try ParquetWriter.write(Self.table(["Y", "X"], days: Array(Self.days[..<3])), to: dir + "/b.parquet")
        let panel = try ParquetLoader.load(path: dir)
        #expect(panel.symbols == ["X", "Y"])
        #expect(panel.timestamps == Self.days)
        #expect(Array(panel.fields["close"]![0 ..< 6]) == [10, 11, 12, 10, 11, 12])
    }

    /// Integer dates read as the CSV reader reads a number in a date cell.
    @Test func integerDatesAreYYYYMMDDOrEpochNumbers() throws {
        let dir = Fixtures.tempDir("pq-intdates")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (label, column) in [("yyyymmdd", ParquetTable.Column.int64s(Self.days.map { d in
                                    let (y, m, dd) = Calendar.civilFromDays(d / 86_400); return Int64(y * 10_000 + m * 100 + dd) })),
                                ("seconds", .int64s(Self.days)), ("millis", .int64s(Self.days.map { $0 * 1000 }))] {
            var t = Self.table(["A"])
            t.columns[0].values = column
            try ParquetWriter.write(t, to: "\(dir)/\(label).parquet")
            #expect(try ParquetLoader.load(path: "\(dir)/\(label).parquet").timestamps == Self.days, "\(label)")
        }
    }

    @Test func errorsNameTheFileTheRowAndTheColumn() throws {
        let dir = Fixtures.tempDir("pq-errors")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func message(_ table: ParquetTable, _ name: String = "t.parquet") -> String {
            let path = dir + "/" + name
            try? ParquetWriter.write(table, to: path)
            do { _ = try ParquetLoader.load(path: path); return "loaded" } catch { return "\(error)" }
        }
        // A duplicate date of one symbol: both rows named.
        var dup = Self.table(["A"])
        dup.columns[0].values = .timestamps(seconds: [Self.days[0], Self.days[1], Self.days[1], Self.days[3], Self.days[4], Self.days[5]])
        #expect(message(dup) == "\(dir)/t.parquet: row 3: symbol 'A': duplicate date \(Calendar.format(Self.days[1], daily: true)) (also on row 2)")
        // A negative volume: the row and the column, by name.
        var negative = Self.table(["A"])
        negative.columns[6].values = .int64s([1, 2, 3, -4, 5, 6])
        #expect(message(negative) == "\(dir)/t.parquet: row 4, column 'volume': volume -4.0 is negative")
        // A missing column, and a text value column that is not numbers.
        var noClose = Self.table(["A"])
        noClose.columns.remove(at: 5)
        #expect(message(noClose) == "\(dir)/t.parquet:1: missing column 'close'")
        var text = Self.table(["A"])
        text.append("note", .strings(["1", "2", "x", "4", "5", "6"]))
        #expect(message(text) == "\(dir)/t.parquet: column 'note': 'x' is not a number")
        // A folder mixing both layouts.
        let mixed = dir + "/mixed"
        try FileManager.default.createDirectory(atPath: mixed, withIntermediateDirectories: true)
        try ParquetWriter.write(Self.table(["A"]), to: mixed + "/long.parquet")
        try ParquetWriter.write(Self.table(nil), to: mixed + "/ZZZ.parquet")
        do { _ = try ParquetLoader.load(path: mixed); Issue.record("a mixed folder loaded") } catch {
            #expect("\(error)".contains("ZZZ.parquet: no symbol column, while") && "\(error)".contains("long.parquet has one"))
        }
    }
}
