import Foundation
import LunarData

/// The simulator golden files in Tests/Fixtures/golden/sim (vectorbt 1.2.0, backtesting.py 0.6.6).
public enum SimGolden {
    public static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/golden/sim")
    }

    /// A CSV file as a header and rows of text cells.
    public static func table(_ name: String) throws -> (header: [String], rows: [[String]]) {
        let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = lines.removeFirst()
        return (header, lines)
    }

    /// Rows as dictionaries keyed by the header.
    public static func records(_ name: String) throws -> [[String: String]] {
        let (h, rows) = try table(name)
        return rows.map { Dictionary(uniqueKeysWithValues: zip(h, $0)) }
    }

    /// prices.csv as a panel (60 symbols × 600 business days).
    public static func panel() throws -> Panel {
        let (_, rows) = try table("prices.csv")
        var symbols: [String] = [], dates: [Int64] = []
        var cols: [String: [Double]] = ["open": [], "high": [], "low": [], "close": [], "volume": []]
        for r in rows {
            if symbols.last != r[0] { symbols.append(r[0]) }
            if symbols.count == 1 { dates.append(Calendar.parse(Substring(r[1]))!) }
            cols["open"]!.append(Double(r[2])!); cols["high"]!.append(Double(r[3])!)
            cols["low"]!.append(Double(r[4])!); cols["close"]!.append(Double(r[5])!)
            cols["volume"]!.append(Double(r[6])!)
        }
        return try Panel(symbols: symbols, timestamps: dates, fields: cols)
    }

    /// signals.csv as symbol-major entries and exits (1/0).
    public static func signals(symbols: [String], bars: Int) throws -> (entries: [Double], exits: [Double]) {
        var en = [Double](repeating: 0, count: symbols.count * bars), ex = en
        let index = Dictionary(uniqueKeysWithValues: symbols.enumerated().map { ($1, $0) })
        for r in try records("signals.csv") {
            let i = index[r["symbol"]!]! * bars + Int(r["bar"]!)!
            if r["entry"] == "1" { en[i] = 1 }
            if r["exit"] == "1" { ex[i] = 1 }
        }
        return (en, ex)
    }
}

/// |a − b| ≤ tol · max(|a|, |b|, floor); NaN equals NaN.
public func isClose(_ a: Double, _ b: Double, rel tol: Double, floor: Double = 1e-12) -> Bool {
    if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
    if a == b { return true }
    return abs(a - b) <= tol * max(abs(a), abs(b), floor)
}
