import Foundation
import LunarData
import Testing

/// The membership list and the delistings file as they come: headers in any order, the usual
/// other names, optional columns, and errors at the file's line and column.
@Suite struct UniverseFileTests {
    func write(_ text: String, _ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lunar-universe-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent(name).path
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    static func day(_ y: Int, _ m: Int, _ d: Int) -> Int64 { Calendar.daysFromCivil(y, m, d) * 86_400 }

    @Test func membershipHeadersInAnyOrderAndByTheirOtherNames() throws {
        let path = write("\u{FEFF}End_Date,Ticker,Start Date\r\n2020-03-31,AAA,2020-01-01\r\n,AAA,2020-06-01\r\n,BBB,2019-12-02\r\n", "m.csv")
        let m = try Universe.readMembership(path)
        #expect(m["AAA"] == [.init(start: Self.day(2020, 1, 1), end: Self.day(2020, 3, 31)), .init(start: Self.day(2020, 6, 1))])
        #expect(m["BBB"] == [.init(start: Self.day(2019, 12, 2))])
        // Errors name the column where it sits in this file: the start is column 3.
        let bad = write("end,symbol,start\n,AAA,2020-02-30\n", "bad.csv")
        #expect { try Universe.readMembership(bad) } throws: { "\($0)".hasSuffix("bad.csv:2:3: cannot read date '2020-02-30' (expected YYYY-MM-DD)") }
        let backwards = write("symbol,start,end\nAAA,2020-02-01,2020-01-01\n", "back.csv")
        #expect { try Universe.readMembership(backwards) } throws: { "\($0)".contains("back.csv:2:3: end 2020-01-01 comes before start 2020-02-01") }
        let missing = write("symbol,end\nAAA,\n", "missing.csv")
        #expect { try Universe.readMembership(missing) } throws: { "\($0)".contains("missing.csv:1: missing column 'start'") }
    }

    @Test func manySpellsOfOneSymbolAreCheckedBySorting() throws {
        // 50 000 one-day spells (a hostile or generated file), written newest first: read and
        // sorted; one more that overlaps is named with both lines. Comparing every pair would
        // take over a billion comparisons.
        let n = 50_000
        let base = Calendar.daysFromCivil(1900, 1, 1)
        var text = "symbol,start,end\n"
        for k in stride(from: n - 1, through: 0, by: -1) {
            let d = Calendar.format((base + Int64(2 * k)) * 86_400, daily: true)
            text += "AAA,\(d),\(d)\n"
        }
        let m = try Universe.readMembership(write(text, "many.csv"))
        #expect(m["AAA"]?.count == n && m["AAA"]?.first?.start == base * 86_400)
        text += "AAA,1900-01-01,1900-01-02\n"
        #expect { try Universe.readMembership(write(text, "many.csv")) } throws: {
            "\($0)".contains("many.csv:\(n + 2): AAA's membership overlaps the one on line \(n + 1)")
        }
    }

    @Test func delistingsWithoutAPriceColumnUseTheLastClose() throws {
        let path = write("Ticker,Delisting_Date\nAAA,2021-05-04\n", "d.csv")
        let d = try Universe.readDelistings(path)
        #expect(d.delistings["AAA"] == .init(date: Self.day(2021, 5, 4), price: nil) && d.lines["AAA"] == 2)
        let twice = write("symbol,date,price\nAAA,2021-05-04,0\nBBB,2021-05-04,\nAAA,2021-06-01,1\n", "twice.csv")
        #expect { try Universe.readDelistings(twice) } throws: { "\($0)".contains("twice.csv:4: AAA is delisted twice (also on line 2)") }
        let negative = write("date,price,symbol\n2021-05-04,-1,AAA\n", "neg.csv")
        #expect { try Universe.readDelistings(negative) } throws: { "\($0)".contains("neg.csv:2:2: price '-1' is not a price ≥ 0") }
        let ragged = write("symbol,date,price\nAAA,2021-05-04\n", "ragged.csv")
        #expect { try Universe.readDelistings(ragged) } throws: { "\($0)".contains("ragged.csv:2: expected 3 fields, found 2") }
    }

    @Test func theSummaryCountsWhatHappenedInTheWindow() throws {
        // Three symbols over 2020-01-01…01-05: S1 lists on bar 2, S2 is delisted after bar 1;
        // S0 leaves on 01-02 and joins again on 01-04 (one left, one joined inside the window).
        let t0 = Self.day(2020, 1, 1)
        let close: [Double] = [1, 1, 1, 1, 1, .nan, .nan, 1, 1, 1, 1, 1, .nan, .nan, .nan]
        var p = try Panel(symbols: ["S0", "S1", "S2"], timestamps: (0 ..< 5).map { t0 + Int64($0) * 86_400 },
                          fields: ["open": close, "high": close, "low": close, "close": close, "volume": close])
        try p.attach(Universe(membership: ["S0": [.init(start: t0, end: t0 + 86_400), .init(start: t0 + 3 * 86_400)],
                                           "S1": [.init(start: t0)], "S2": [.init(start: t0)], "S9": [.init(start: t0)]]))
        let u = p.universeSummary
        #expect(u.listed == 1 && u.delisted == 1 && u.joined == 1 && u.left == 1 && u.membersWithoutData == ["S9"])
        #expect(p.member == [1, 1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0])
    }
}
