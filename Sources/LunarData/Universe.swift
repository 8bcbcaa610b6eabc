import Foundation

/// Who belongs to the universe when, and how symbols leave it: point-in-time membership spells
/// (`--universe members.csv`) and delistings with their final prices (`delistings.csv` beside
/// the data, or `--delistings FILE`). A panel carries one; the simulator and the cross-sectional
/// primitives read it through `Panel.member` and `Panel.lifecycle`. Dates, not bar indices, so a
/// walk-forward window or a subset of symbols keeps the same meaning.
public struct Universe: Sendable, Equatable {
    /// Days of membership, both ends included; `end` nil: still a member.
    public struct Spell: Sendable, Equatable {
        public var start: Int64
        public var end: Int64?
        public init(start: Int64, end: Int64? = nil) { self.start = start; self.end = end }
        public func contains(_ t: Int64) -> Bool { t >= start && (end.map { t <= $0 } ?? true) }
    }

    /// A symbol's delisting: the day and what a holder got per unit (nil: the last close).
    public struct Delisting: Sendable, Equatable {
        public var date: Int64
        public var price: Double?
        public init(date: Int64, price: Double? = nil) { self.date = date; self.price = price }
    }

    /// Symbol → its membership spells (`readMembership` gives them sorted and disjoint); nil:
    /// no membership list, every listed symbol is a member.
    public var membership: [String: [Spell]]?
    /// Symbol → its delisting, from a delistings file (a symbol whose data end early is
    /// delisted without one, at its last close).
    public var delistings: [String: Delisting]
    /// Where each part came from, for messages and the run history.
    public var membershipFile: String?
    public var delistingsFile: String?

    public init(membership: [String: [Spell]]? = nil, delistings: [String: Delisting] = [:]) {
        self.membership = membership; self.delistings = delistings
    }
}

/// One symbol's life in a panel, in bars: what the simulator needs to delist it.
public struct SymbolLifecycle: Sendable, Equatable {
    /// The first and last bars with a close; -1 when the symbol has none.
    public var firstBar: Int
    public var lastBar: Int
    /// Delisted after `lastBar`: its data end before the calendar does, or a delisting file puts
    /// the delisting inside the calendar.
    public var delisted: Bool
    /// What an open position is closed at on `lastBar` when delisted; NaN: that bar's close.
    public var finalPrice: Double
}

/// What happened to the universe in a panel's window, for reports.
public struct UniverseSummary: Sendable, Equatable {
    public var symbols = 0
    /// Symbols whose first bar comes after the calendar's first bar.
    public var listed = 0
    public var delisted = 0
    /// Membership spells that start (joined) and end (left) inside the window, by the list.
    public var joined = 0
    public var left = 0
    /// Symbols of the membership list without data.
    public var membersWithoutData: [String] = []
    public init() {}
}

extension Panel {
    /// Bool (1/0) per symbol and bar: a member of the universe then. Listed (from its first to
    /// its last close; a delisted symbol is no member after its last bar) and, with a
    /// membership list, inside one of its spells. Symbol-major like every field; `bars.member`.
    public var member: [Double] {
        derived("universe:member") { () -> [Double] in
            let T = barCount
            var out = [Double](repeating: 0, count: symbolCount * T)
            let life = lifecycle
            for s in 0 ..< symbolCount {
                let l = life[s]
                guard l.firstBar >= 0 else { continue }
                let end = l.delisted ? l.lastBar : T - 1
                if l.firstBar > end { continue }
                guard let spells = universe.membership else {
                    for t in l.firstBar ... end { out[s * T + t] = 1 }
                    continue
                }
                // Sorted by start, the spells are walked beside the bars (a spell that ends
                // before a bar can hold no later bar either).
                let mine = (spells[symbols[s]] ?? []).sorted { $0.start < $1.start }
                var k = 0
                for t in l.firstBar ... end {
                    let day = timestamps[t]
                    while k < mine.count, let e = mine[k].end, e < day { k += 1 }
                    if k < mine.count && mine[k].contains(day) { out[s * T + t] = 1 }
                }
            }
            return out
        }
    }

    /// Each symbol's first and last bar, whether it is delisted in this window and at what price.
    public var lifecycle: [SymbolLifecycle] {
        if let outlineLifecycle { return outlineLifecycle }
        return derived("universe:lifecycle") { () -> [SymbolLifecycle] in
            let T = barCount
            let close = fields["close"]!
            let calendarEnd = timestamps.last ?? .min
            return close.withUnsafeBufferPointer { cb in (0 ..< symbolCount).map { s in
                // The first close from the front and the last from the back: a listed symbol's
                // row is read only up to its first and from its last close.
                var first = -1, last = -1
                if let base = cb.baseAddress, T > 0 {
                    let row = base + s * T
                    first = 0; last = T - 1
                    while first < T && row[first].isNaN { first += 1 }
                    if first == T { first = -1; last = -1 } else { while row[last].isNaN { last -= 1 } }
                }
                let listedDelisting = universe.delistings[symbols[s]]
                let fileDelists = listedDelisting.map { $0.date <= calendarEnd } ?? false
                let delisted = last >= 0 && (last < T - 1 || fileDelists)
                return SymbolLifecycle(firstBar: first, lastBar: last, delisted: delisted,
                                       finalPrice: delisted ? (listedDelisting?.price ?? .nan) : .nan)
            } }
        }
    }

    /// How many symbols listed, delisted, joined and left in this window.
    public var universeSummary: UniverseSummary {
        var out = UniverseSummary()
        out.symbols = symbolCount
        for l in lifecycle {
            if l.firstBar > 0 { out.listed += 1 }
            if l.delisted { out.delisted += 1 }
        }
        if let membership = universe.membership, let first = timestamps.first, let last = timestamps.last {
            let known = Set(symbols)
            for (symbol, spells) in membership {
                guard known.contains(symbol) else { out.membersWithoutData.append(symbol); continue }
                for spell in spells {
                    if spell.start > first && spell.start <= last { out.joined += 1 }
                    if let end = spell.end, end >= first && end < last { out.left += 1 }
                }
            }
            out.membersWithoutData.sort()
        }
        return out
    }

    /// Attaches a universe after checking it against the data: a delisted symbol may not trade
    /// after its delisting day (an error at the delisting file's line).
    public mutating func attach(_ universe: Universe, lines: [String: Int] = [:]) throws {
        let close = fields["close"]!
        let T = barCount
        // A dictionary, not `symbolIndex`: a vendor's file may list far more symbols than the data.
        let index = Dictionary(symbols.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        for (symbol, d) in universe.delistings {
            guard let s = index[symbol] else { continue }
            if let t = (0 ..< T).last(where: { !close[s * T + $0].isNaN }), timestamps[t] > d.date {
                let file = universe.delistingsFile ?? "delistings"
                throw DataError.malformed(file: file, line: lines[symbol] ?? 1, message:
                    "\(DataError.clip(symbol)) is delisted on \(Calendar.format(d.date, daily: true)) but has data until " +
                    Calendar.format(timestamps[t], daily: isDaily))
            }
        }
        self.universe = universe
    }
}

// MARK: - reading the files

extension Universe {
    /// The delistings file's name when it sits beside the data (in a folder of SYMBOL.csv files,
    /// or next to one long CSV); a folder's loader does not take it for a symbol.
    public static let delistingsFileName = "delistings.csv"

    /// Attaches to `panel` the membership list `membership` and the delistings of `delistings`
    /// or, when nil, of a `delistings.csv` beside the data `spec` names. Entries of those files
    /// replace the panel's own (a synthetic universe's bankruptcies).
    public static func attach(to panel: inout Panel, spec: String, membership: String?, delistings: String?) throws {
        var universe = panel.universe
        var lines: [String: Int] = [:]
        var file = delistings
        if file == nil {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: spec, isDirectory: &isDir) {
                let folder = isDir.boolValue ? URL(fileURLWithPath: spec) : URL(fileURLWithPath: spec).deletingLastPathComponent()
                let beside = folder.appendingPathComponent(delistingsFileName).path
                if FileManager.default.fileExists(atPath: beside) { file = beside }
            }
        }
        if let file {
            let read = try readDelistings(file)
            universe.delistings.merge(read.delistings) { $1 }
            universe.delistingsFile = file
            lines = read.lines
        }
        if let membership {
            universe.membership = try readMembership(membership)
            universe.membershipFile = membership
        }
        if universe != panel.universe { try panel.attach(universe, lines: lines) }
    }

    /// Reads a membership list: `symbol,start,end` (a header naming those columns, any order and
    /// case); several rows per symbol for leaving and re-joining; an empty end: still a member.
    public static func readMembership(_ path: String) throws -> [String: [Spell]] {
        var rows: [String: [(spell: Spell, line: Int)]] = [:]
        try readRows(path, columns: [symbolColumn, Column("start", ["start_date", "from", "added", "date_added"]),
                                     Column("end", ["end_date", "to", "removed", "date_removed"], optional: true)]) { line, cells, at in
            let symbol = cells[0]
            guard !symbol.isEmpty else { throw DataError.malformed(file: path, line: line, column: at[0], message: "empty symbol") }
            let start = try date(cells[1], path, line, at[1])
            let end = cells[2].isEmpty ? nil : try date(cells[2], path, line, at[2])
            if let end, end < start {
                throw DataError.malformed(file: path, line: line, column: at[2], message:
                    "end \(cells[2]) comes before start \(cells[1])")
            }
            rows[symbol, default: []].append((Spell(start: start, end: end), line))
        }
        // Sorted by start, spells overlap only where one starts before the previous one ends
        // (a sort, not a comparison of every pair: a hostile file may hold a million rows).
        var out: [String: [Spell]] = [:]
        for (symbol, list) in rows {
            let sorted = list.sorted { $0.spell.start != $1.spell.start ? $0.spell.start < $1.spell.start : $0.line < $1.line }
            for (a, b) in zip(sorted, sorted.dropFirst()) where b.spell.start <= (a.spell.end ?? .max) {
                let (first, second) = a.line < b.line ? (a, b) : (b, a)
                throw DataError.malformed(file: path, line: second.line, message:
                    "\(DataError.clip(symbol))'s membership overlaps the one on line \(first.line)")
            }
            out[symbol] = sorted.map(\.spell)
        }
        return out
    }

    /// Reads a delistings file: `symbol,date,price` (price empty: the last close; 0 for a
    /// bankruptcy). Returns the delistings and the line of each, for later messages.
    public static func readDelistings(_ path: String) throws -> (delistings: [String: Delisting], lines: [String: Int]) {
        var out: [String: Delisting] = [:]
        var lines: [String: Int] = [:]
        try readRows(path, columns: [symbolColumn, Column("date", ["delisted", "delisting_date", "delist_date"]),
                                     Column("price", ["final_price", "delisting_price", "delist_price"], optional: true)]) { line, cells, at in
            let symbol = cells[0]
            guard !symbol.isEmpty else { throw DataError.malformed(file: path, line: line, column: at[0], message: "empty symbol") }
            if let prev = lines[symbol] {
                throw DataError.malformed(file: path, line: line, message: "\(DataError.clip(symbol)) is delisted twice (also on line \(prev))")
            }
            let day = try date(cells[1], path, line, at[1])
            var price: Double? = nil
            if !cells[2].isEmpty {
                guard let p = Double(cells[2]), p.isFinite, p >= 0 else {
                    throw DataError.malformed(file: path, line: line, column: at[2], message:
                        "price '\(DataError.clip(cells[2]))' is not a price ≥ 0 (0 for a bankruptcy, empty for the last close)")
                }
                price = p
            }
            out[symbol] = Delisting(date: day, price: price)
            lines[symbol] = line
        }
        return (out, lines)
    }

    private static func date(_ text: String, _ path: String, _ line: Int, _ column: Int?) throws -> Int64 {
        guard let t = Calendar.parse(Substring(text)) else {
            throw DataError.malformed(file: path, line: line, column: column, message:
                "cannot read date '\(DataError.clip(text))' (expected YYYY-MM-DD)")
        }
        return t
    }

    /// A column of a universe file: its name, the other headers that mean it, and whether it
    /// may be left out (its cells then read as empty).
    struct Column {
        let name: String
        let aliases: [String]
        var optional = false
        init(_ name: String, _ aliases: [String], optional: Bool = false) {
            self.name = name; self.aliases = aliases; self.optional = optional
        }
    }
    static let symbolColumn = Column("symbol", ["ticker"])

    /// Calls `row` with each data line's number, its cells in `columns`' order and the 1-based
    /// CSV column of each (nil for an optional column the file lacks).
    private static func readRows(_ path: String, columns: [Column],
                                 _ row: (Int, [String], [Int?]) throws -> Void) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw DataError.fileNotFound(path) }
        guard let text = String(data: data, encoding: .utf8) else {
            throw DataError.invalid("\(path): not UTF-8 text")
        }
        // "\r\n" is one Character in Swift, so it is a separator of its own.
        var lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }
        if let first = lines.first, first.hasPrefix("\u{FEFF}") { lines[0] = first.dropFirst() }
        guard let header = lines.first, !header.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw DataError.invalid("\(path): the file is empty")
        }
        let names = cells(header).map { $0.lowercased().replacingOccurrences(of: " ", with: "_") }
        var index: [Int?] = []
        for c in columns {
            let i = names.firstIndex(of: c.name) ?? names.firstIndex { c.aliases.contains($0) }
            guard i != nil || c.optional else { throw DataError.missingColumn(file: path, column: c.name) }
            index.append(i)
        }
        for (k, line) in lines.enumerated().dropFirst() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let values = cells(line)
            guard values.count == names.count else {
                throw DataError.malformed(file: path, line: k + 1, message: "expected \(names.count) fields, found \(values.count)")
            }
            try row(k + 1, index.map { $0.map { values[$0] } ?? "" }, index.map { $0.map { $0 + 1 } })
        }
    }

    private static func cells(_ line: Substring) -> [String] {
        line.split(separator: ",", omittingEmptySubsequences: false).map {
            var s = $0.trimmingCharacters(in: .whitespaces)
            if s.count >= 2, s.hasPrefix("\""), s.hasSuffix("\"") { s = String(s.dropFirst().dropLast()) }
            return s
        }
    }
}
