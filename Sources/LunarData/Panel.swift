/// N symbols × T bars of aligned OHLCV data on one calendar.
///
/// Every field is stored symbol-major (`values[s * barCount + t]`), so one symbol's history is
/// contiguous: the layout per-symbol time-series kernels want. A symbol without a bar on a date
/// of the calendar holds NaN there.
public struct Panel: Sendable {
    public static let standardFields = ["open", "high", "low", "close", "volume"]
    /// Fields that hold bools (1/0): `member`, which every run adds (`runView`).
    public static let boolFields: Set<String> = ["member"]

    public var symbols: [String] { symbolsStorage }
    private var symbolsStorage: [String]
    /// The calendar: Unix epoch seconds (UTC), strictly increasing.
    public let timestamps: [Int64]
    /// True when every timestamp is midnight UTC, i.e. the data are daily (or coarser) bars.
    public let isDaily: Bool
    /// Field name (lower case) → symbol-major values. Always holds the five standard fields.
    public private(set) var fields: [String: [Double]]
    /// Values derived from the data (see `derived`); replaced whenever a field changes.
    private(set) var memo = PanelMemo()
    /// Membership and delistings (see `Universe`); empty: every listed symbol is a member.
    /// Set it with `attach` to have it checked against the data.
    public var universe = Universe() { didSet { memo = PanelMemo() } }
    /// Set on the panel a run reads (`runView`): the price mode its prices are adjusted for.
    /// Panels cut from it (`selecting`, `slicing`) keep it, so they are never adjusted twice.
    public var viewMode: PriceMode? = nil
    /// The exchange's time zone and session, which fix the days, weeks and sessions of the
    /// coarser timeframes (`resampling`); set by `runView`.
    public var hours = TradingHours() { didSet { memo = PanelMemo() } }
    /// The data a run view was made from (itself for data as loaded): what the run history
    /// fingerprints, so a rerun compares like with like.
    public var data: Panel { origin?.panel ?? self }
    var origin: Origin? = nil
    /// Holds the data without their memo: the memo holds the view, so the view holding the memo
    /// back would be a cycle that never frees either.
    final class Origin: Sendable {
        let panel: Panel
        init(_ panel: Panel) { var p = panel; p.memo = PanelMemo(); self.panel = p }
    }

    /// An outline holds no values (`fields` is empty): see `outline(of:lifecycle:fingerprint:)`.
    public private(set) var isOutline = false
    /// An outline's data fingerprint, computed while its values streamed by.
    public private(set) var outlineFingerprint: String? = nil
    private(set) var outlineLifecycle: [SymbolLifecycle]? = nil

    /// The outline of a panel too large to hold: its symbols, calendar, universe, hours and
    /// price mode (from `like`, any tile of it) and each symbol's lifecycle, without values.
    /// What a result made tile by tile (`--memory-budget`) keeps of its data, so reports can
    /// name symbols, dates and delistings.
    public static func outline(symbols: [String], timestamps: [Int64], like tile: Panel, lifecycle: [SymbolLifecycle],
                               fingerprint: String?) -> Panel {
        var p = tile
        p.fields = [:]
        p.origin = nil
        p.isOutline = true
        p.outlineFingerprint = fingerprint
        p.symbolsStorage = symbols
        p.memo = PanelMemo()
        // The lifecycles cannot be derived without the closes: they are given.
        p.outlineLifecycle = lifecycle
        return p
    }

    public var symbolCount: Int { symbols.count }
    public var barCount: Int { timestamps.count }

    public init(symbols: [String], timestamps: [Int64], fields: [String: [Double]]) throws {
        let cells = symbols.count * timestamps.count
        for name in Panel.standardFields where fields[name] == nil {
            throw DataError.missingColumn(file: "panel", column: name)
        }
        for (name, values) in fields where values.count != cells {
            throw DataError.invalid("field '\(name)' holds \(values.count) values, expected \(cells)")
        }
        for i in timestamps.indices.dropFirst() where timestamps[i] <= timestamps[i - 1] {
            throw DataError.invalid("calendar is not strictly increasing at index \(i)")
        }
        self.symbolsStorage = symbols
        self.timestamps = timestamps
        self.fields = fields
        self.isDaily = timestamps.allSatisfy { $0 % 86_400 == 0 }
    }

    public func values(_ field: String) -> [Double]? { fields[field.lowercased()] }

    /// Names of the extra (non-OHLCV) fields, sorted.
    public var extraFields: [String] {
        fields.keys.filter { !Panel.standardFields.contains($0) }.sorted()
    }

    /// One symbol's values of a field, as a contiguous slice.
    /// A programming error (like an array index out of range) when the field or symbol is not there.
    public func series(_ field: String, symbol s: Int) -> ArraySlice<Double> {
        guard let all = fields[field] else { preconditionFailure("the panel has no field '\(field)'; it has \(fields.keys.sorted())") }
        precondition(s >= 0 && s < symbolCount, "symbol index \(s) outside 0..<\(symbolCount)")
        return all[s * barCount ..< (s + 1) * barCount]
    }

    /// Replaces or adds a field (used by `--adjust` and by tests).
    public mutating func setField(_ name: String, _ values: [Double]) throws {
        guard values.count == symbolCount * barCount else {
            throw DataError.invalid("field '\(name)' holds \(values.count) values, expected \(symbolCount * barCount)")
        }
        fields[name.lowercased()] = values
        memo = PanelMemo()
    }

    public func symbolIndex(_ name: String) -> Int? { symbols.firstIndex(of: name) }

    /// A panel restricted to some symbols (in the given order).
    public func selecting(symbols indices: [Int]) -> Panel {
        var out: [String: [Double]] = [:]
        for (name, values) in fields {
            var sub = [Double]()
            sub.reserveCapacity(indices.count * barCount)
            for s in indices { sub.append(contentsOf: values[s * barCount ..< (s + 1) * barCount]) }
            out[name] = sub
        }
        // The calendar and sizes are unchanged, so this cannot fail.
        var panel = try! Panel(symbols: indices.map { symbols[$0] }, timestamps: timestamps, fields: out)
        panel.universe = universe
        panel.viewMode = viewMode
        panel.hours = hours
        return panel
    }

    /// Bars per year implied by the calendar's spacing (see docs/semantics.md, "Annualization").
    public var barsPerYear: Double { Calendar.barsPerYear(timestamps) }

    /// Total bytes of all field arrays.
    public var byteCount: Int { fields.count * symbolCount * barCount * MemoryLayout<Double>.stride }
}

public enum DataError: Error, CustomStringConvertible, Equatable {
    /// A cell or name as an error message quotes it: at most 80 characters, then "…", so a
    /// 10 MB cell cannot flood the terminal.
    public static func clip(_ s: some StringProtocol, _ limit: Int = 80) -> String {
        s.count <= limit ? String(s) : String(s.prefix(limit)) + "…"
    }

    case fileNotFound(String)
    case missingColumn(file: String, column: String)
    /// A bad line; `column` is the 1-based field of the CSV row when one field is at fault.
    case malformed(file: String, line: Int, column: Int? = nil, message: String)
    case invalid(String)
    /// A bad row of a file without lines (Parquet): its 1-based row, and the column by name.
    case row(file: String, row: Int, column: String?, message: String)

    public var description: String {
        switch self {
        case .fileNotFound(let path): return "data not found: \(path)"
        case .missingColumn(let file, let column): return "\(file):1: missing column '\(column)'"
        case .malformed(let file, let line, let column, let message):
            return "\(file):\(line):" + (column.map { "\($0):" } ?? "") + " \(message)"
        case .invalid(let message): return message
        case .row(let file, let row, let column, let message):
            return "\(file): row \(row)" + (column.map { ", column '\(DataError.clip($0))'" } ?? "") + ": \(message)"
        }
    }
}
