import Foundation
import LunarTestSupport
import Testing
@testable import LunarData

/// The CSV layouts real data come in (docs/semantics.md, "Data"): pandas/polars writers, data
/// vendors, spreadsheets. Epoch values below are from Python's `datetime.fromisoformat(…).timestamp()`.
@Suite struct CSVLayoutTests {
    static let jan2: Int64 = 1_577_923_200, jan3: Int64 = 1_578_009_600, jan6: Int64 = 1_578_268_800

    /// Loads `text` as the only file of a folder, as symbol `A`.
    static func load(_ text: String, name: String = "A.csv") throws -> (Panel, String) {
        let dir = Fixtures.tempDir()
        let file = Fixtures.write(text, name, in: dir)
        return (try CSVLoader.load(path: dir), file)
    }

    /// The message of the error loading `text` throws ("" when it loads).
    static func failure(_ text: String) -> (message: String, file: String) {
        let dir = Fixtures.tempDir()
        let file = Fixtures.write(text, "A.csv", in: dir)
        do { _ = try CSVLoader.load(path: dir); return ("", file) } catch { return ("\(error)", file) }
    }

    @Test("pandas to_csv(): an unnamed first header cell is the date index; capitalised names")
    func pandasUnnamedIndex() throws {
        // backtesting.py's GOOG.csv layout.
        let text = ",Open,High,Low,Close,Volume\n2004-08-19,100,104.06,95.96,100.34,22351900\n2004-08-20,101.01,109.08,100.5,108.31,11428600\n"
        let (p, _) = try Self.load(text)
        #expect(p.symbols == ["A"] && p.isDaily)
        #expect(p.timestamps == [1_092_873_600, 1_092_960_000])   // 2004-08-19, 2004-08-20
        #expect(p.fields["open"]! == [100, 101.01] && p.fields["close"]! == [100.34, 108.31])
        #expect(p.fields["volume"]! == [22_351_900, 11_428_600])
        #expect(p.extraFields.isEmpty)
        // A single file without a symbol column is one symbol, named after the file.
        let dir = Fixtures.tempDir()
        let one = try CSVLoader.load(path: Fixtures.write(text, "GOOG.csv", in: dir))
        #expect(one.symbols == ["GOOG"] && one.fields["close"]! == [100.34, 108.31])
    }

    @Test("a named pandas index: Date or Datetime")
    func pandasNamedIndex() throws {
        let (d, _) = try Self.load("Date,Open,High,Low,Close,Volume\n2020-01-02,1,2,0.5,1.5,10\n")
        #expect(d.timestamps == [Self.jan2])
        let (dt, _) = try Self.load("Datetime,Open,High,Low,Close,Volume\n2020-01-02 09:30:00,1,2,0.5,1.5,10\n2020-01-02 09:35:00,1,2,0.5,1.5,10\n")
        #expect(dt.timestamps == [1_577_957_400, 1_577_957_700] && !dt.isDaily)
        // pandas' RangeIndex written beside a named date column (`,date,open,…` with 0, 1, …) is ignored.
        let (r, _) = try Self.load(",date,open,high,low,close,volume\n0,2020-01-02,1,1,1,1,1\n1,2020-01-03,2,2,2,2,2\n")
        #expect(r.timestamps == [Self.jan2, Self.jan3] && r.extraFields.isEmpty && r.fields["close"]! == [1, 2])
    }

    @Test("time zones (+00:00, -04:00, Z), polars' fractional seconds, epoch milliseconds")
    func dateTimes() throws {
        let (tz, _) = try Self.load("""
            ,Open,High,Low,Close,Volume
            2017-04-19 09:00:00+00:00,1.0716,1.0722,1.07083,1.07219,1413
            2017-04-19 10:00:00-04:00,1.07214,1.07296,1.07214,1.0726,1241
            2017-04-19T15:00:00Z,1.07214,1.07296,1.07214,1.0726,1241

            """)
        #expect(tz.timestamps == [1_492_592_400, 1_492_610_400, 1_492_614_000])   // 09:00, 14:00, 15:00 UTC
        let (polars, _) = try Self.load("date,open,high,low,close,volume\n2020-01-02T00:00:00.000000,1,1,1,1,1\n2020-01-03T00:00:00.000000,1,1,1,1,1\n")
        #expect(polars.timestamps == [Self.jan2, Self.jan3] && polars.isDaily)
        let (ms, _) = try Self.load("timestamp,open,high,low,close,volume\n1577923200000,1,1,1,1,1\n1577957400500,1,1,1,1,1\n")
        #expect(ms.timestamps == [Self.jan2, 1_577_957_400])   // milliseconds, the fraction dropped
        // Twelve digits and fewer stay epoch seconds.
        let (s, _) = try Self.load("timestamp,open,high,low,close,volume\n1577923200,1,1,1,1,1\n")
        #expect(s.timestamps == [Self.jan2])
    }

    @Test("Calendar: YYYYMMDD, epoch milliseconds, offsets, times of day")
    func calendarForms() {
        #expect(Calendar.parse("20200102") == Self.jan2)
        #expect(Calendar.parse("20200230") == nil && Calendar.parse("20201301") == nil)
        #expect(Calendar.parse("1577923200000") == Self.jan2 && Calendar.parse("-1000") == -1000)
        #expect(Calendar.parse("15779232000000") == nil)   // 14 digits: neither
        #expect(Calendar.parseWithOffset("2020-01-02 00:00:00-05:00")! == (utc: 1_577_941_200, offset: -18_000))
        #expect(Calendar.parseWithOffset("2020-01-02T09:30+0530")! == (utc: 1_577_937_600, offset: 19_800))
        #expect(Calendar.parse("2020-01-02T00:00+25:00") == nil && Calendar.parse("2020-01-02T00:00+05-00") == nil)
        #expect(Calendar.parseTimeOfDay("09:30") == 34_200 && Calendar.parseTimeOfDay("09:30:15.5") == 34_215)
        #expect(Calendar.parseTimeOfDay("093015") == 34_215 && Calendar.parseTimeOfDay("000000") == 0)
        #expect(Calendar.parseTimeOfDay("24:00") == nil && Calendar.parseTimeOfDay("9:30") == nil && Calendar.parseTimeOfDay("") == nil)
    }

    @Test("yfinance daily bars at local midnight with an offset are those days")
    func localMidnightDays() throws {
        let (p, _) = try Self.load("Date,Open,High,Low,Close,Volume\n2020-01-02 00:00:00-05:00,1,1,1,1,1\n2020-01-03 00:00:00-05:00,1,1,1,1,1\n2020-01-06 00:00:00-04:00,1,1,1,1,1\n")
        #expect(p.timestamps == [Self.jan2, Self.jan3, Self.jan6] && p.isDaily)
        // One bar that is not at local midnight: the file is intraday, every date in UTC.
        let (q, _) = try Self.load("Date,Open,High,Low,Close,Volume\n2020-01-02 00:00:00-05:00,1,1,1,1,1\n2020-01-02 09:30:00-05:00,1,1,1,1,1\n")
        #expect(q.timestamps == [1_577_941_200, 1_577_975_400] && !q.isDaily)
    }

    @Test("thousands separators are refused with file:line:column and their own words")
    func thousandsSeparators() {
        let (m, file) = Self.failure("Date,Open,High,Low,Close,Volume\n2020-01-02,1,2,0.5,1.5,10\n2020-01-03,1,2,0.5,\"1,234.50\",10\n")
        #expect(m == "\(file):3:5: column 'close': '\"1,234.50\"' has a thousands separator; thousands separators are not read (write 1234.50)")
        // A decimal comma in a semicolon file is refused in the same words' spirit.
        let (d, f2) = Self.failure("Date;Open;High;Low;Close;Volume\n2020-01-02;1;2;0,5;1.5;10\n")
        #expect(d.hasPrefix("\(f2):2:4: column 'low': '0,5' has a comma; thousands separators and decimal commas are not read"))
        // Anything else is still "not a number".
        let (x, f3) = Self.failure("Date,Open,High,Low,Close,Volume\n2020-01-02,1,2,abc,1.5,10\n")
        #expect(x == "\(f3):2:4: column 'low': 'abc' is not a number")
    }

    @Test("Yahoo Finance: Date,Open,High,Low,Close,Adj Close,Volume")
    func yahoo() throws {
        let (p, _) = try Self.load("Date,Open,High,Low,Close,Adj Close,Volume\n2020-01-02,74.06,75.15,73.80,75.09,73.06,135480400\n")
        #expect(p.fields["adj_close"]! == [73.06] && p.fields["close"]! == [75.09] && p.extraFields == ["adj_close"])
    }

    @Test("Alpha Vantage: newest first is read reversed; a file that goes back and forth is an error")
    func newestFirst() throws {
        let (p, _) = try Self.load("timestamp,open,high,low,close,volume\n2020-01-06,3,3,3,3,30\n2020-01-03,2,2,2,2,20\n2020-01-02,1,1,1,1,10\n")
        #expect(p.timestamps == [Self.jan2, Self.jan3, Self.jan6])
        #expect(p.fields["close"]! == [1, 2, 3] && p.fields["volume"]! == [10, 20, 30])
        // Errors after the reversal still name the line the value is on in the file.
        let (neg, f0) = Self.failure("timestamp,open,high,low,close,volume\n2020-01-06,3,3,3,3,30\n2020-01-03,2,2,2,-2,20\n")
        #expect(neg == "\(f0):3:5: close -2.0 is not a positive price")
        let (down, f1) = Self.failure("timestamp,open,high,low,close,volume\n2020-01-06,3,3,3,3,3\n2020-01-03,2,2,2,2,2\n2020-01-07,1,1,1,1,1\n")
        #expect(down.hasPrefix("\(f1):4: dates are not in order (2020-01-07 comes after line 3; the file starts newest first"))
        let (up, f2) = Self.failure("timestamp,open,high,low,close,volume\n2020-01-02,3,3,3,3,3\n2020-01-06,2,2,2,2,2\n2020-01-03,1,1,1,1,1\n")
        #expect(up == "\(f2):4: dates are not in increasing order (2020-01-03 comes after line 3)")
        let (dup, f3) = Self.failure("timestamp,open,high,low,close,volume\n2020-01-06,3,3,3,3,3\n2020-01-03,2,2,2,2,2\n2020-01-03,1,1,1,1,1\n")
        #expect(dup == "\(f3):4: duplicate date 2020-01-03 (also on line 3)")
    }

    @Test("separate Date and Time columns; Stooq's <DATE>,<TIME> with YYYYMMDD and HHMMSS")
    func dateAndTimeColumns() throws {
        let (p, _) = try Self.load("Date,Time,Open,High,Low,Close,Volume\n2020-01-02,09:30,1,2,0.5,1.5,10\n2020-01-02,09:35:00,1,2,0.5,1.5,10\n")
        #expect(p.timestamps == [1_577_957_400, 1_577_957_700] && p.extraFields.isEmpty)
        let (s, _) = try Self.load("""
            <TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<VOL>,<OPENINT>
            X.US,5,20200102,093000,1,2,0.5,1.5,10,0
            X.US,5,20200102,093500,1.5,2,1,1.75,12,0

            """)
        #expect(s.symbols == ["A"] && s.timestamps == [1_577_957_400, 1_577_957_700])
        // A folder's file names its symbol; a symbol column there must not hold another one.
        let (two, f2) = Self.failure("ticker,date,open,high,low,close,volume\nX,2020-01-02,1,1,1,1,1\nY,2020-01-02,1,1,1,1,1\n")
        #expect(two.hasPrefix("\(f2):3:1: symbol 'Y' in a file of symbol 'X' (line 2): a file in a data folder holds one symbol"))
        #expect(s.fields["volume"]! == [10, 12] && s.extraFields == ["openint"])
        // Daily Stooq files have 000000 as the time: days.
        let (d, _) = try Self.load("<TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<VOL>\nX,D,20200102,000000,1,1,1,1,1\nX,D,20200103,000000,1,1,1,1,1\n")
        #expect(d.timestamps == [Self.jan2, Self.jan3] && d.isDaily)
        let (bad, f) = Self.failure("Date,Time,Open,High,Low,Close,Volume\n2020-01-02,9h30,1,2,0.5,1.5,10\n")
        #expect(bad.hasPrefix("\(f):2:2: cannot read time '9h30'"))
    }

    @Test("semicolon- and tab-separated files: the delimiter comes from the header")
    func delimiters() throws {
        let (semi, _) = try Self.load("Date;Open;High;Low;Close;Volume\n2020-01-02;1;2;0.5;1.5;10\n\"2020-01-03\";1;2;0.5;\"1.25\";10\n")
        #expect(semi.fields["close"]! == [1.5, 1.25] && semi.timestamps == [Self.jan2, Self.jan3])
        let (tab, _) = try Self.load("date\topen\thigh\tlow\tclose\tvolume\n2020-01-02\t1\t2\t0.5\t1.5\t10\n")
        #expect(tab.fields["high"]! == [2] && tab.fields["volume"]! == [10])
        // A trailing delimiter on every line (an empty last header cell) is no column.
        let (trail, _) = try Self.load("date,open,high,low,close,volume,\n2020-01-02,1,2,0.5,1.5,10,\n")
        #expect(trail.fields["close"]! == [1.5] && trail.extraFields.isEmpty)
    }

    @Test("yfinance ≥ 0.2.51: Price/Ticker/Date header rows, Dividends and Stock Splits")
    func yfinanceMultiRowHeader() throws {
        let (p, _) = try Self.load("""
            Price,Close,High,Low,Open,Volume,Dividends,Stock Splits
            Ticker,AAPL,AAPL,AAPL,AAPL,AAPL,AAPL,AAPL
            Date,,,,,,,
            2020-01-02 00:00:00-05:00,72.7,72.7,71.4,71.6,135480400,0.0,0.0
            2020-01-03 00:00:00-05:00,72.0,72.8,71.9,71.9,146322800,0.77,4.0

            """)
        #expect(p.timestamps == [Self.jan2, Self.jan3] && p.isDaily)
        #expect(p.fields["close"]! == [72.7, 72.0] && p.fields["open"]! == [71.6, 71.9])
        #expect(p.fields["split"]! == [1, 4] && p.fields["dividend"]! == [0, 0.77])
        // The Date line is line 3, so the first row's errors name line 4.
        let (m, f) = Self.failure("Price,Close,High,Low,Open,Volume\nTicker,X,X,X,X,X\nDate,,,,,\n2020-01-02,1,1,1,-1,1\n")
        #expect(m == "\(f):4:5: open -1.0 is not a positive price")
    }

    @Test("split and dividend: names, the no-action values stored as 1 and 0, file:line:column errors")
    func corporateActions() throws {
        for (s, d) in [("split", "dividend"), ("Splits", "Dividends"), ("stock splits", "div"), ("split_ratio", "dividends"),
                       ("Split Ratio", "Dividend"), ("split_coefficient", "dividend_amount")] {
            let (p, _) = try Self.load("date,open,high,low,close,volume,\(s),\(d)\n2020-01-02,1,1,1,1,1,,\n2020-01-03,1,1,1,1,1,2,0.5\n2020-01-06,1,1,1,1,1,NaN,NaN\n")
            #expect(p.fields["split"]! == [1, 2, 1], "\(s)")
            #expect(p.fields["dividend"]! == [0, 0.5, 0], "\(d)")
            #expect(p.extraFields == ["split", "dividend"] || p.extraFields == ["dividend", "split"])
        }
        // 0 (yfinance's "none") and 1 are no split; a reverse split is a ratio below 1.
        let (p, _) = try Self.load("date,open,high,low,close,volume,split,dividend\n2020-01-02,1,1,1,1,1,0,0\n2020-01-03,1,1,1,1,1,1,0\n2020-01-06,1,1,1,1,1,0.1,3\n")
        #expect(p.fields["split"]! == [1, 1, 0.1] && p.fields["dividend"]! == [0, 0, 3])
        let (neg, f1) = Self.failure("date,open,high,low,close,volume,split\n2020-01-02,1,1,1,1,1,\n2020-01-03,1,1,1,1,1,-2\n")
        #expect(neg.hasPrefix("\(f1):3:7: split -2.0 is not a ratio > 0"))
        let (inf, f2) = Self.failure("date,open,high,low,close,volume,split\n2020-01-02,1,1,1,1,1,inf\n")
        #expect(inf.hasPrefix("\(f2):2:7: split inf is not a ratio > 0"))
        let (div, f3) = Self.failure("date,open,high,low,close,volume,dividends\n2020-01-02,1,1,1,1,1,0.1\n2020-01-03,1,1,1,1,1,-0.5\n")
        #expect(div.hasPrefix("\(f3):3:7: dividend -0.5 is not an amount ≥ 0"))
        // Both spellings at once are one field twice.
        let (twice, f4) = Self.failure("date,open,high,low,close,volume,split,splits\n2020-01-02,1,1,1,1,1,1,1\n")
        #expect(twice == "\(f4):1: column 'split' appears twice")
    }

    @Test("a long file with a symbol column still groups by symbol; newest first per symbol")
    func longFileNewestFirst() throws {
        let dir = Fixtures.tempDir()
        let file = Fixtures.write("Ticker;Date;Open;High;Low;Close;Volume\nX;2020-01-03;2;2;2;2;2\nY;2020-01-03;4;4;4;4;4\nX;2020-01-02;1;1;1;1;1\nY;2020-01-02;3;3;3;3;3\n", "long.csv", in: dir)
        let p = try CSVLoader.load(path: file)
        #expect(p.symbols == ["X", "Y"] && p.timestamps == [Self.jan2, Self.jan3])
        #expect(p.fields["close"]! == [1, 2, 3, 4])
    }
}
