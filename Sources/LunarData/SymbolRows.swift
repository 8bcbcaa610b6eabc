import Foundation

/// One symbol's rows as a reader read them, in order: what every file format (CSV, Parquet)
/// hands to `PanelAssembly`, so the column rules and price checks are the same for all.
public struct SymbolRows: Sendable {
    public var timestamps: [Int64] = []
    public var columns: [[Double]]
    public var names: [String]
    /// Where each row came from, for error messages: its line (CSV), or its 1-based row in the
    /// file (`rowNumbered`, Parquet).
    public var lines: [Int] = []
    public var file = ""           // and the file and 1-based CSV column of each value column
    public var csvColumns: [Int] = []
    /// `lines` are row numbers of a file without lines (Parquet): errors name the row and the
    /// column by name.
    public var rowNumbered = false

    public init(columns: [[Double]], names: [String], file: String, csvColumns: [Int] = []) {
        self.columns = columns; self.names = names; self.file = file; self.csvColumns = csvColumns
    }

    /// An error at row `i` (an index into the rows), in value column `k` when one is at fault.
    public func error(at i: Int, column k: Int?, _ message: String) -> DataError {
        if rowNumbered {
            return .row(file: file, row: lines[i], column: k.map { names[$0] }, message: message)
        }
        return .malformed(file: file, line: lines[i], column: k.map { csvColumns[$0] }, message: message)
    }
    /// Set on the second row when the dates go down: the file is newest first.
    public var descending = false
    /// UTC offsets written in the dates (local − UTC), one per row once a non-zero one is seen.
    public var offsets: [Int64] = []
    public var hasOffsets = false
    /// Every date seen so far was a local midnight (a day, with or without an offset).
    public var allLocalMidnight = true

    /// Newest-first files are turned around; days written with a UTC offset
    /// (`2020-01-02 00:00:00-05:00`, as yfinance writes daily bars) are those days.
    public mutating func finish() throws {
        if descending {
            timestamps.reverse(); lines.reverse(); offsets.reverse()
            for k in columns.indices { columns[k].reverse() }
        }
        guard hasOffsets, allLocalMidnight else { return }
        for i in timestamps.indices { timestamps[i] += offsets[i] }
        for i in timestamps.indices.dropFirst() where timestamps[i] <= timestamps[i - 1] {
            let place = "\(rowNumbered ? "row" : "line") \(lines[i - 1])"
            throw error(at: i, column: nil, timestamps[i] == timestamps[i - 1]
                ? "duplicate date \(Calendar.format(timestamps[i], daily: true)) (also on \(place))"
                : "dates are not in order once read as local days (\(place))")
        }
    }
}

/// Joins every symbol's rows onto one calendar and checks the prices: the part of loading that
/// is the same whichever format the rows were read from.
public enum PanelAssembly {
    /// The sorted union of the tables' dates: the calendar of a panel of them.
    public static func unionCalendar(_ tables: [SymbolRows]) -> [Int64] {
        var all = Set<Int64>()
        for t in tables { all.formUnion(t.timestamps) }
        return all.sorted()
    }

    /// Field names in order of first appearance across the tables.
    public static func fieldNames(_ tables: [SymbolRows]) -> [String] {
        var names: [String] = []
        for t in tables { for n in t.names where !names.contains(n) { names.append(n) } }
        return names
    }

    /// Joins the symbols' tables onto the union calendar and validates prices.
    /// - Parameters:
    ///   - calendar, fields: a whole universe's calendar and field names, when `tables` are some
    ///     of its symbols (an import written tile by tile); by default, the union of the tables'.
    public static func assemble(_ tables: [(String, SymbolRows)], adjust: Bool, calendar given: [Int64]? = nil,
                                fields givenNames: [String]? = nil) throws -> Panel {
        // Usually every file has the same dates: then that is the calendar, with no hashing.
        let sameDates = tables.allSatisfy { $0.1.timestamps == (given ?? tables[0].1.timestamps) }
        let calendar: [Int64]
        if let given {
            calendar = given
        } else if sameDates {
            calendar = tables.first?.1.timestamps ?? []
        } else {
            calendar = unionCalendar(tables.map(\.1))
        }
        let T = calendar.count, N = tables.count
        var index: [Int64: Int] = [:]
        index.reserveCapacity(T)
        if !sameDates { for (i, t) in calendar.enumerated() { index[t] = i } }
        let names = givenNames ?? fieldNames(tables.map(\.1))
        var fields: [String: [Double]] = [:]
        // Every cell is written when every symbol has every date and field: then the fields
        // need no NaN first (a pass over all of memory the copies below would repeat).
        let dense = sameDates && tables.allSatisfy { $0.1.names.count == names.count }
        for n in names {
            fields[n] = dense ? [Double](unsafeUninitializedCapacity: N * T) { _, c in c = N * T }
                              : [Double](repeating: .nan, count: N * T)
        }
        for (s, (_, original)) in tables.enumerated() {
            var table = original
            try prepare(&table)
            let slots = sameDates ? [] : table.timestamps.map { index[$0]! }
            for (k, name) in table.names.enumerated() {
                let col = table.columns[k]
                fields[name]!.withUnsafeMutableBufferPointer { out in
                    if sameDates {
                        guard T > 0 else { return }
                        col.withUnsafeBufferPointer { (out.baseAddress! + s * T).update(from: $0.baseAddress!, count: T) }
                    } else {
                        for (row, slot) in slots.enumerated() { out[s * T + slot] = col[row] }
                    }
                }
            }
        }
        if adjust {
            guard let adj = fields["adj_close"] else {
                throw DataError.invalid("--adjust needs an 'Adj Close' column, and the data have none")
            }
            let close = fields["close"]!
            for f in ["open", "high", "low", "close"] {
                var v = fields[f]!
                for i in v.indices { v[i] *= adj[i] / close[i] }
                fields[f] = v
            }
        }
        return try Panel(symbols: tables.map { $0.0 }, timestamps: calendar, fields: fields)
    }

    /// One symbol's rows checked and stored as a panel holds them: `split` and `dividend`
    /// without NaN (`corporateAction`), prices positive and volume not negative, each error
    /// naming its row and column. Every way of making a panel (or a store) goes through it.
    public static func prepare(_ table: inout SymbolRows) throws {
        for (k, name) in table.names.enumerated() {
            if name == "split" || name == "dividend" {
                var col = table.columns[k]
                try corporateAction(name, &col, table: table, column: k)
                table.columns[k] = col
            }
            let col = table.columns[k]
            if ["open", "high", "low", "close"].contains(name) {
                if let bad = col.firstIndex(where: { $0 <= 0 }) {
                    throw table.error(at: bad, column: k, "\(name) \(col[bad]) is not a positive price")
                }
            } else if name == "volume", let bad = col.firstIndex(where: { $0 < 0 }) {
                throw table.error(at: bad, column: k, "volume \(col[bad]) is negative")
            }
        }
    }

    /// `--adjust` on one symbol's rows: open, high, low and close × adj_close / close, cell by
    /// cell as `assemble` does it over whole fields (the same bits).
    public static func adjust(_ table: inout SymbolRows) throws {
        guard let a = table.names.firstIndex(of: "adj_close"), let c = table.names.firstIndex(of: "close") else {
            throw DataError.invalid("--adjust needs an 'Adj Close' column, and the data have none")
        }
        let adj = table.columns[a], close = table.columns[c]
        for f in ["open", "high", "low", "close"] {
            guard let k = table.names.firstIndex(of: f) else { continue }
            for i in table.columns[k].indices { table.columns[k][i] *= adj[i] / close[i] }
        }
    }

    /// `split` (the ratio on the ex-date, 2 = two-for-one) and `dividend` (cash per share on the
    /// ex-date) are stored without NaN: a bar without a split holds 1 (an empty cell, NaN, 0 — as
    /// yfinance writes "none" — or 1), one without a dividend 0 (empty, NaN or 0). A split ≤ 0
    /// other than 0, a negative dividend or an infinite one stops the load.
    static func corporateAction(_ name: String, _ col: inout [Double], table: SymbolRows, column k: Int) throws {
        for i in col.indices {
            let v = col[i]
            if name == "split" {
                if v.isNaN || v == 0 { col[i] = 1; continue }
                guard v > 0, v.isFinite else {
                    throw table.error(at: i, column: k, "split \(v) is not a ratio > 0 (2 is a two-for-one split; leave the cell empty, 0 or 1 for no split)")
                }
            } else {
                if v.isNaN { col[i] = 0; continue }
                guard v >= 0, v.isFinite else {
                    throw table.error(at: i, column: k, "dividend \(v) is not an amount ≥ 0 (cash per share; leave the cell empty or 0 for none)")
                }
            }
        }
    }

}
