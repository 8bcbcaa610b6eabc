import Foundation
import LunarTestSupport
import Testing
@testable import LunarData

@Suite struct CSVLoaderTests {
    @Test func readsAFolderWithAnyColumnOrderAndCase() throws {
        let dir = Fixtures.tempDir()
        Fixtures.write("Date,Close,Open,High,Low,Volume,Note\n2020-01-02,10,9,11,8,100,1\n2020-01-03,11,10,12,9,200,2\n", "AAA.csv", in: dir)
        Fixtures.write("date,open,high,low,close,volume\n2020-01-03,20,21,19,20.5,300\n2020-01-06,21,22,20,21.5,400\n", "BBB.csv", in: dir)
        let p = try CSVLoader.load(path: dir)
        #expect(p.symbols == ["AAA", "BBB"])
        #expect(p.barCount == 3)   // the union of both calendars
        #expect(p.isDaily)
        let close = p.fields["close"]!
        #expect(close[0] == 10 && close[1] == 11 && close[2].isNaN)
        #expect(close[3].isNaN && close[4] == 20.5 && close[5] == 21.5)
        #expect(p.extraFields == ["note"])
        #expect(p.fields["note"]![1] == 2)
    }

    @Test func readsALongFileWithASymbolColumn() throws {
        let dir = Fixtures.tempDir()
        let file = Fixtures.write("""
            symbol,date,open,high,low,close,volume
            X,2020-01-02,1,1,1,1,1
            Y,2020-01-02,2,2,2,2,2
            X,2020-01-03,3,3,3,3,3
            Y,2020-01-03,4,4,4,4,4

            """, "long.csv", in: dir)
        let p = try CSVLoader.load(path: file)
        #expect(p.symbols == ["X", "Y"])
        #expect(p.fields["close"]! == [1, 3, 2, 4])
    }

    @Test func readsIntradayAndEpochDates() throws {
        let dir = Fixtures.tempDir()
        Fixtures.write("timestamp,open,high,low,close,volume\n1700000000,1,1,1,1,1\n1700000060,2,2,2,2,2\n", "A.csv", in: dir)
        let p = try CSVLoader.load(path: dir)
        #expect(p.timestamps == [1_700_000_000, 1_700_000_060])
        #expect(!p.isDaily)
    }

    @Test func adjustRescalesByAdjClose() throws {
        let dir = Fixtures.tempDir()
        Fixtures.write("Date,Open,High,Low,Close,Adj Close,Volume\n2020-01-02,10,12,8,10,5,100\n", "A.csv", in: dir)
        let raw = try CSVLoader.load(path: dir)
        #expect(raw.fields["close"]! == [10])
        #expect(raw.fields["adj_close"]! == [5])
        let adj = try CSVLoader.load(path: dir, options: .init(adjust: true))
        #expect(adj.fields["open"]! == [5] && adj.fields["high"]! == [6] && adj.fields["low"]! == [4] && adj.fields["close"]! == [5])
        #expect(adj.fields["volume"]! == [100])
    }

    @Test func malformedRowNamesFileAndLine() throws {
        let dir = Fixtures.tempDir()
        let file = Fixtures.write("date,open,high,low,close,volume\n2020-01-02,1,1,1,1,1\n2020-01-03,1,1,x,1,1\n", "A.csv", in: dir)
        #expect(throws: DataError.malformed(file: file, line: 3, column: 4, message: "column 'low': 'x' is not a number")) {
            try CSVLoader.load(path: dir)
        }
        Fixtures.write("date,open,high,low,close,volume\n2020-01-02,1,1,1,1\n", "A.csv", in: dir)
        #expect(throws: DataError.malformed(file: file, line: 2, message: "expected 6 fields, found 5")) {
            try CSVLoader.load(path: dir)
        }
    }

    @Test func rejectsBadDatesOrderAndPrices() throws {
        let dir = Fixtures.tempDir()
        // Dates that go up, then down (a file that is newest first throughout is read reversed:
        // CSVLayoutTests).
        Fixtures.write("date,open,high,low,close,volume\n2020-01-02,1,1,1,1,1\n2020-01-03,1,1,1,1,1\n2020-01-02,1,1,1,1,1\n", "A.csv", in: dir)
        #expect(throws: DataError.self) { try CSVLoader.load(path: dir) }
        do { _ = try CSVLoader.load(path: dir) } catch { #expect("\(error)".contains("A.csv:4")) }
        Fixtures.write("date,open,high,low,close,volume\n2020-01-02,1,1,1,1,1\n2020-01-02,1,1,1,1,1\n", "A.csv", in: dir)
        do { _ = try CSVLoader.load(path: dir) } catch { #expect("\(error)".contains("duplicate date")) }
        Fixtures.write("date,open,high,low,close,volume\nyesterday,1,1,1,1,1\n", "A.csv", in: dir)
        do { _ = try CSVLoader.load(path: dir) } catch { #expect("\(error)".contains("A.csv:2:1: cannot read date 'yesterday'")) }
        Fixtures.write("date,open,high,low,close,volume\n2020-01-02,1,1,1,-5,1\n", "A.csv", in: dir)
        do { _ = try CSVLoader.load(path: dir); Issue.record("a negative price must fail") } catch {
            #expect("\(error)" == "\(dir)/A.csv:2:5: close -5.0 is not a positive price")
        }
    }

    /// Every data error has the shape `path:line[:column]: message`, and quotes a cell or name
    /// at most 80 characters long, so a 10 MB cell cannot flood the terminal.
    @Test func everyDataErrorNamesTheFileAndClipsCells() throws {
        let dir = Fixtures.tempDir()
        let huge = String(repeating: "9x", count: 5_000_000)
        let cases: [(String, String)] = [
            ("date,open,high,low,close,volume\n2020-01-02,1,1,1,1,-1\n", "A.csv:2:6: volume -1.0 is negative"),
            ("date,open,high,low,close,volume\n2020-01-02,1,1,0,1,1\n", "A.csv:2:4: low 0.0 is not a positive price"),
            ("date,open,high,low,close,volume\n2020-01-02,1,1,1,\(huge),1\n", "A.csv:2:5: column 'close': '\(huge.prefix(80))…' is not a number"),
            ("date,open,high,low,close,volume\n\(huge),1,1,1,1,1\n", "A.csv:2:1: cannot read date '\(huge.prefix(80))…'"),
            ("day,open,high,low,close,volume\n2020-01-02,1,1,1,1,1\n", "A.csv:1: missing column 'date'"),
        ]
        for (text, expected) in cases {
            Fixtures.write(text, "A.csv", in: dir)
            do { _ = try CSVLoader.load(path: dir); Issue.record("\(expected) must fail") } catch {
                #expect("\(error)".hasPrefix("\(dir)/\(expected)"), "\("\(error)".prefix(300))")
                #expect("\(error)".count < 400)
            }
        }
    }

    /// RFC 4180 quoting: quoted headers, dates, numbers and symbols (a doubled quote inside
    /// quotes is one quote); the quotes are not part of the values.
    @Test func quotedCellsAreUnquoted() throws {
        let dir = Fixtures.tempDir()
        let file = Fixtures.write("""
            "date","symbol","open","high","low","close","volume"
            "2020-01-02","A""B, Inc",1,1,1,"1.5",10
            " 2020-01-03 ","A""B, Inc",1,1,1,1.6,10
            2020-01-02,plain,1,1,1,2,10
            """, "all.csv", in: dir)
        let p = try CSVLoader.load(path: file)
        #expect(p.symbols == ["A\"B, Inc", "plain"])
        #expect(p.timestamps == [Calendar.daysFromCivil(2020, 1, 2) * 86_400, Calendar.daysFromCivil(2020, 1, 3) * 86_400])
        #expect(Array(p.series("close", symbol: 0)) == [1.5, 1.6])
    }

    @Test func aHeaderWithoutRowsIsAnError() throws {
        let dir = Fixtures.tempDir()
        let file = Fixtures.write("date,open,high,low,close,volume\n", "A.csv", in: dir)
        #expect(throws: DataError.invalid("\(file): a header but no data rows")) { try CSVLoader.load(path: dir) }
        let long = Fixtures.write("date,symbol,open,high,low,close,volume\r\n", "all.csv", in: Fixtures.tempDir())
        #expect(throws: DataError.invalid("\(long): a header but no data rows")) { try CSVLoader.load(path: long) }
    }

    @Test func missingColumnIsNamed() {
        let dir = Fixtures.tempDir()
        let file = Fixtures.write("date,open,high,low,close\n2020-01-02,1,1,1,1\n", "A.csv", in: dir)
        #expect(throws: DataError.missingColumn(file: file, column: "volume")) { try CSVLoader.load(path: dir) }
    }

    @Test func emptyCellsAreMissingValues() throws {
        let dir = Fixtures.tempDir()
        Fixtures.write("date,open,high,low,close,volume\n2020-01-02,1,1,1,,1\n2020-01-03,1,1,1,NaN,1\n", "A.csv", in: dir)
        let p = try CSVLoader.load(path: dir)
        let allMissing = p.fields["close"]!.allSatisfy { $0.isNaN }
        #expect(allMissing)
    }
}
