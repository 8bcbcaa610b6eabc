import Foundation
import Testing
import LunarData
@testable import LunarParquet

/// What `FuzzParquet` found (docs/fuzzing.md, the inputs in Fuzz/findings/parquet-*.parquet):
/// each file once trapped, hung or asked for gigabytes, and is now a clear error or reads.
@Suite struct ParquetFuzzFindingTests {
    static let findings = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Fuzz/findings").standardized.path

    static let refused: [(file: String, message: String)] = [
        // A SNAPPY page claiming 2 GiB uncompressed: the buffer was allocated before the codec ran.
        ("parquet-page-size-beyond-codec.parquet", "a SNAPPY page of 6 bytes says it holds 2147483647"),
        // A BYTE_ARRAY dictionary of 2^31 − 1 values: room for their codes was reserved first (8 GiB).
        ("parquet-byte-array-dictionary-count.parquet", "a dictionary of 2147483647 values in 7 bytes"),
        // A FIXED_LEN_BYTE_ARRAY of width 0 with such a dictionary: 2^31 empty strings (a hang).
        ("parquet-zero-width-dictionary-count.parquet", "a dictionary of 2147483647 values in 4 bytes"),
        // Two row groups of 2^62 rows: their sum overflowed.
        ("parquet-row-group-rows-overflow.parquet", "its row groups hold more than the 4 rows its footer says"),
    ]

    @Test(arguments: refused)
    func damagedFilesAreErrors(_ finding: (file: String, message: String)) throws {
        let path = Self.findings + "/" + finding.file
        do {
            let file = try ParquetFile(path: path)
            _ = try file.read(columns: Array(0 ..< file.columns.count), threads: 1)
            Issue.record("\(finding.file) was read")
        } catch let error as ParquetError {
            #expect(error.description.contains(finding.message), "\(error)")
        }
        do {
            _ = try ParquetLoader.load(path: path)
            Issue.record("\(finding.file) loaded")
        } catch {
            #expect("\(error)".contains(finding.message), "\(error)")
        }
    }

    /// A footer, and a page of one column, claiming 2^31 − 1 values: that column's levels (8 GiB)
    /// or DELTA_BINARY_PACKED values (16 GiB, in blocks of 2^20) were allocated before the page's
    /// runs and blocks ran out. (The other columns, and the loader, stop at the row count.)
    @Test(arguments: [("parquet-levels-count-beyond-runs.parquet", "close", "the bytes end in the middle of a value"),
                      ("parquet-delta-count-beyond-page.parquet", "volume", "a varint longer than 10 bytes")])
    func countsBeyondThePageAreErrors(_ file: String, _ column: String, _ message: String) throws {
        let parquet = try ParquetFile(path: Self.findings + "/" + file)
        let k = try #require(parquet.columnIndex(column))
        let error = try #require(throws: ParquetError.self) { try parquet.read(columns: [k], threads: 1) }
        #expect(error.description.contains(message), "\(error)")
        #expect(throws: DataError.self) { try ParquetLoader.load(path: Self.findings + "/" + file) }
    }

    /// A TIMESTAMP of Int64.min milliseconds trapped in `Calendar.floorDiv`; it is a date (a
    /// very early one) like any other.
    @Test func aTimestampOfInt64MinReads() throws {
        let panel = try ParquetLoader.load(path: Self.findings + "/parquet-timestamp-int64-min.parquet")
        #expect(panel.timestamps.first == Int64.min / 1000 - 1)
        #expect(panel.barCount == 4)
    }

    @Test func floorDivHoldsAtTheEdges() {
        #expect(Calendar.floorDiv(Int64.min, 1000) == -9_223_372_036_854_776)
        #expect(Calendar.floorDiv(Int64.min, 1) == Int64.min)
        #expect(Calendar.floorDiv(Int64.min + 1, 86_400) == -106_751_991_167_301)
        #expect(Calendar.floorDiv(Int64.max, 86_400) == 106_751_991_167_300)
        for (a, b, q): (Int64, Int64, Int64) in [(-1, 86_400, -1), (-86_400, 86_400, -1), (-86_401, 86_400, -2), (0, 7, 0), (13, 7, 1), (-13, 7, -2)] {
            #expect(Calendar.floorDiv(a, b) == q, "\(a) / \(b)")
        }
    }

    /// DATE on a damaged 64-bit column: days × 86,400 wrapped to any date at all.
    @Test func aDateBeyondInt32DaysIsAnError() throws {
        let column = LeafColumn(name: "date", physical: .int64, kind: .date, typeLength: 0, maxDefinition: 0)
        let values = ColumnValues(storage: .integers([19_000, 1 << 56]), valid: nil)
        #expect(throws: DataError.self) {
            _ = try ParquetLoader.dates(values, column, fail: { DataError.invalid($0) })
        }
        let fine = ColumnValues(storage: .integers([19_000, -19_000]), valid: nil)
        #expect(try ParquetLoader.dates(fine, column, fail: { DataError.invalid($0) }).0 == [19_000 * 86_400, -19_000 * 86_400])
    }
}
