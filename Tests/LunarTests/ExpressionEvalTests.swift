import Foundation
import Testing
import Lunar
import LunarData

/// `lunar eval`'s engine end to end: Lua expression → graph → naive evaluator, on the TA-Lib
/// golden input, for native indicators and for the stdlib helpers composed in Lua.
@Suite("Expression evaluation")
struct ExpressionEvalTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let golden = repo.appendingPathComponent("Tests/Fixtures/golden/talib")

    static func rows(_ file: String) -> [[String]] {
        let text = (try? String(contentsOf: golden.appendingPathComponent(file), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    /// input.csv as a panel: symbols s0…s3, 400 daily bars.
    static let panel: Panel = {
        let rows = Self.rows("input.csv")
        let symbols = ["s0", "s1", "s2", "s3"]
        let T = rows.count / symbols.count
        var fields: [String: [Double]] = [:]
        for (k, name) in ["open", "high", "low", "close", "volume"].enumerated() {
            fields[name] = rows.map { Double($0[2 + k])! }      // the file is series-major already
        }
        let days = Calendar.daysFromCivil(2020, 1, 1)
        return try! Panel(symbols: symbols, timestamps: (0 ..< T).map { (days + Int64($0)) * 86_400 }, fields: fields)
    }()

    /// Golden values of one output column, series-major like the panel.
    static func expected(_ file: String, column: Int = 0) -> [Double] { rows(file).map { Double($0[2 + column])! } }

    static func check(_ expr: String, _ file: String, columns: [Int] = [0]) throws {
        let result = try ExpressionEval.run(expr, panel: panel, stdlib: repo.appendingPathComponent("stdlib").path)
        #expect(result.columns.count == columns.count)
        for (k, col) in columns.enumerated() {
            let want = expected(file, column: col), got = result.columns[k].values
            let bad = want.indices.filter { t in
                let a = got[t], b = want[t]
                return a.isNaN != b.isNaN || (!a.isNaN && abs(a - b) > 1e-9 * max(abs(a), abs(b)) + 1e-9)
            }
            #expect(bad.isEmpty, "\(expr) vs \(file)[\(col)]: \(bad.count) mismatches, first at \(bad.first.map { "\($0): \(got[$0]) vs \(want[$0])" } ?? "")")
        }
    }

    @Test func nativeIndicators() throws {
        try Self.check("ta.macd(close)", "macd__12_26_9.csv", columns: [0, 1, 2])
        try Self.check("ta.stoch(high, low, close, 14)", "stoch__14_3_3.csv", columns: [0, 1])
        try Self.check("ta.adx(high, low, close)", "adx__14.csv")
        try Self.check("ta.psar(high, low)", "sar__0.02_0.2.csv")
        try Self.check("ta.beta(close, high, 5)", "beta__5.csv")
    }

    @Test func stdlibHelpersMatchTALib() throws {
        try Self.check("ta.typprice(high, low, close)", "typprice.csv")
        try Self.check("ta.medprice(high, low)", "medprice.csv")
        try Self.check("ta.wclprice(high, low, close)", "wclprice.csv")
        try Self.check("ta.avgprice(open, high, low, close)", "avgprice.csv")
        try Self.check("ta.midpoint(close, 14)", "midpoint__14.csv")
        try Self.check("ta.midprice(high, low, 14)", "midprice__14.csv")
        try Self.check("ta.tsf(close, 14)", "tsf__14.csv")
        try Self.check("ta.trix(close, 15)", "trix__15.csv")
        try Self.check("ta.apo(close, 12, 26)", "apo__12_26.csv")
        try Self.check("ta.ppo(close, 2, 3)", "ppo__2_3.csv")
        try Self.check("ta.ultosc(high, low, close)", "ultosc__7_14_28.csv")
        try Self.check("ta.ultosc(high, low, close, 2, 3, 4)", "ultosc__2_3_4.csv")
    }

    @Test func constantsAndBoolsEvaluate() throws {
        let r = try ExpressionEval.run("ta.rising(close, 2), 3", panel: Self.panel, stdlib: Self.repo.appendingPathComponent("stdlib").path)
        #expect(r.columns.count == 2)
        let rising = Array(r.series(0, symbol: 0)), c = Array(Self.panel.series("close", symbol: 0))
        for t in 2 ..< c.count { #expect(rising[t] == (c[t] > c[t - 1] && c[t - 1] > c[t - 2] ? 1 : 0)) }
        #expect(r.columns[1].values.allSatisfy { $0 == 3 })
    }

    @Test func signalHelpers() throws {
        let stdlib = Self.repo.appendingPathComponent("stdlib").path
        let r = try ExpressionEval.run("ta.above(close, open, 3), ta.recent(close:gt(open), 2), ta.cross(close, open)",
                                       panel: Self.panel, stdlib: stdlib)
        let c = Array(Self.panel.series("close", symbol: 1)), o = Array(Self.panel.series("open", symbol: 1))
        let above = Array(r.series(0, symbol: 1)), recent = Array(r.series(1, symbol: 1)), cross = Array(r.series(2, symbol: 1))
        let firstUp = c.indices.first { c[$0] > o[$0] }!
        for t in 2 ..< c.count {
            #expect(above[t] == ((t - 2 ... t).allSatisfy { c[$0] > o[$0] } ? 1 : 0), "above at \(t)")
            if t >= firstUp { #expect(recent[t] == ((t - 1 ... t).contains { c[$0] > o[$0] } ? 1 : 0), "recent at \(t)") }
        }
        #expect(cross.contains(1))
    }

    @Test func percentB() throws {
        let stdlib = Self.repo.appendingPathComponent("stdlib").path
        let r = try ExpressionEval.run("ta.percent_b(close, 20, 2), ta.bbands(close, 20, 2, 2)", panel: Self.panel, stdlib: stdlib)
        // bbands comes last in the list, so Lua keeps all three of its outputs: 1 + 3 columns.
        #expect(r.columns.count == 4)
        let b = Array(r.series(0, symbol: 0)), upper = Array(r.series(1, symbol: 0)), lower = Array(r.series(3, symbol: 0))
        let c = Array(Self.panel.series("close", symbol: 0))
        #expect(b[..<19].allSatisfy { $0.isNaN })
        for t in 19 ..< c.count { #expect(abs(b[t] - (c[t] - lower[t]) / (upper[t] - lower[t])) < 1e-12) }
    }
}
