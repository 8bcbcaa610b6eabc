import LunarData

/// The one vocabulary of simulation settings. Every place that names a setting — the
/// strategy table's checks, the command-line flags, the console and report settings line, the
/// run history and docs/semantics.md's table — reads this table instead of listing names again,
/// so a setting added here is accepted, documented, shown and recorded everywhere at once.

/// A setting's value as a strategy table or a flag gives it: Lua's number, string or boolean.
public enum SettingValue: Sendable, Equatable, Hashable, Codable, CustomStringConvertible,
                          ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral, ExpressibleByStringLiteral,
                          ExpressibleByBooleanLiteral {
    case number(Double)
    case text(String)
    case flag(Bool)

    public init(floatLiteral v: Double) { self = .number(v) }
    public init(integerLiteral v: Int) { self = .number(Double(v)) }
    public init(stringLiteral v: String) { self = .text(v) }
    public init(booleanLiteral v: Bool) { self = .flag(v) }

    public var description: String {
        switch self {
        case .number(let v): return short(v)
        case .text(let s): return s
        case .flag(let b): return String(b)
        }
    }

    /// Stored as the plain JSON scalar, so a recorded run reads like the strategy table.
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) { self = .flag(b) }
        else if let v = try? c.decode(Double.self) { self = .number(v) }
        else { self = .text(try c.decode(String.self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .number(let v): try c.encode(v)
        case .text(let s): try c.encode(s)
        case .flag(let b): try c.encode(b)
        }
    }
}

/// A setting given a value it does not take: which setting (or the flag the user typed), what it
/// got, what it takes. The usage error of the strategy table, the flags and the Swift API alike.
public struct SettingError: Error, CustomStringConvertible, Equatable {
    public let setting: String
    public let value: String
    public let expected: String
    /// Close matches among the values it takes, where they are a known list (time zones).
    public var suggestions: [String] = []
    public init(setting: String, value: String, expected: String, suggestions: [String] = []) {
        self.setting = setting; self.value = value; self.expected = expected; self.suggestions = suggestions
    }
    public var description: String {
        "\(setting) '\(value)': expected \(expected)"
            + (suggestions.isEmpty ? "" : "; did you mean \(suggestions.map { "'\($0)'" }.joined(separator: ", "))?")
    }
}

/// A name that is not a setting, with the closest ones.
public struct UnknownSettingError: Error, CustomStringConvertible, Equatable {
    public let name: String
    public let suggestions: [String]
    public var description: String {
        "unknown setting '\(name)'" + (suggestions.isEmpty
            ? "; settings are \(Setting.all.map(\.name).joined(separator: ", "))"
            : "; did you mean \(suggestions.map { "'\($0)'" }.joined(separator: ", "))?")
    }
}

/// One simulation setting: its names, what it takes, its default, its doc line, where it lives
/// in `SimulationOptions`, and how to read and write it there.
public struct Setting: Sendable {
    /// The strategy-table key, the history key and the Swift API's override key (`stop_loss`).
    public let name: String
    /// The command-line flag without dashes (`stop-loss`).
    public let flag: String
    /// What it takes, in words used by errors, `--help` and the docs.
    public let expected: String
    /// The field it sets, for readers of the docs and the Swift API.
    public let field: String
    public let doc: String
    /// A boolean setting is a switch on the command line (`--reverse` / `--no-reverse`).
    public let isSwitch: Bool
    let write: @Sendable (inout SimulationOptions, SettingValue) -> Bool
    let read: @Sendable (SimulationOptions) -> SettingValue
    /// Close matches for a value it does not take, where the values are a known list.
    var suggest: (@Sendable (String) -> [String])? = nil
    /// What it takes as a LuaLS / EmmyLua type (`number`, `"close"|"next_open"`, …), for the
    /// editor annotations of the strategy table (`lunar types`).
    public var luaType = "string"

    /// The default, as the strategy table would write it.
    public var defaultValue: SettingValue { read(SimulationOptions()) }

    /// Sets this setting on `options`; throws `SettingError` for a value it does not take.
    public func apply(_ value: SettingValue, to options: inout SimulationOptions) throws {
        guard write(&options, value) else {
            throw SettingError(setting: name, value: value.description, expected: expected,
                               suggestions: suggest?(value.description) ?? [])
        }
    }

    /// The value `options` holds, in the form `apply` reads back (`apply(value(in: o))` is a no-op).
    public func value(in options: SimulationOptions) -> SettingValue { read(options) }

    /// Reads command-line or history text: a number where it parses as one and the setting
    /// takes numbers, true/false for switches, text otherwise.
    public func parse(_ text: String) -> SettingValue {
        let t = text.trimmingCharacters(in: .whitespaces)
        if isSwitch {
            switch t.lowercased() {
            case "true": return .flag(true)
            case "false": return .flag(false)
            default: return .text(t)
            }
        }
        if let v = Double(t) {
            var probe = SimulationOptions()
            if write(&probe, .number(v)) { return .number(v) }
        }
        return .text(t)
    }

    // MARK: - lookup

    public static func named(_ name: String) throws -> Setting {
        if let s = byName[name] { return s }
        throw UnknownSettingError(name: name, suggestions: closestMatches(to: name, in: all.map(\.name)))
    }

    /// A setting of the built-in table, by a name the caller knows is there.
    public static func builtIn(_ name: String) -> Setting {
        guard let s = byName[name] else { preconditionFailure("no setting named '\(name)' in Setting.all") }
        return s
    }

    private static let byName = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })
}

extension SimulationOptions {
    /// Sets one setting by its name (see `Setting.all`); unknown names and bad values throw.
    public mutating func set(_ name: String, _ value: SettingValue) throws {
        try Setting.named(name).apply(value, to: &self)
    }

    /// Every setting's value, by name: the complete, replayable form of these options.
    public var settings: [String: SettingValue] {
        Dictionary(uniqueKeysWithValues: Setting.all.map { ($0.name, $0.value(in: self)) })
    }

    /// Options made of the defaults and `settings` (a run record's), applied in table order.
    public init(settings: [String: SettingValue]) throws {
        self.init()
        for (k, _) in settings where (try? Setting.named(k)) == nil { _ = try Setting.named(k) }
        for s in Setting.all { if let v = settings[s.name] { try s.apply(v, to: &self) } }
    }

    /// The settings that differ from the defaults, in table order, as `name value` pairs.
    public var changedSettings: [(name: String, value: SettingValue)] {
        Setting.all.compactMap { s in
            let v = s.value(in: self)
            return v == s.defaultValue ? nil : (s.name, v)
        }
    }
}

// MARK: - the table

extension Setting {
    /// Every setting, in the order docs and summaries list them.
    public static let all: [Setting] = [
        number("capital", "capital", "a positive amount of cash", \.capital, field: "capital", check: { $0 > 0 },
               doc: "Starting capital; split equally across symbols unless the portfolio is shared."),
        number("fees", "fees", "a fraction in [0, 1)", \.fees, field: "fees", check: { $0 >= 0 && $0 < 1 },
               doc: "Fee as a fraction of traded value, paid on every order."),
        number("fixed_fee", "fixed-fee", "an amount of cash ≥ 0", \.fixedFee, field: "fixedFee", check: { $0 >= 0 },
               doc: "A fixed fee per order, in cash."),
        number("slippage", "slippage", "a fraction in [0, 1)", \.slippage, field: "slippage", check: { $0 >= 0 && $0 < 1 },
               doc: "Slippage as a fraction of the price, against the trader."),
        choice("fill", "fill", \.fill, field: "fill", doc: "Fill orders at the signal bar's close or the next bar's open."),
        Setting(name: "sizing", flag: "sizing", expected: "all, fraction:F, cash:X, units:N or a fraction in (0, 1]",
                field: "sizing", doc: "How much an entry buys.", isSwitch: false,
                write: { o, v in
                    switch v {
                    case .number(let f): guard f > 0, f <= 1 else { return false }; o.sizing = .equityFraction(f)
                    case .text(let t): guard let s = Sizing(text: t) else { return false }; o.sizing = s
                    case .flag: return false
                    }
                    return true
                },
                read: { o in .text(o.sizing.description) }, luaType: "number|string"),   // a bare fraction reads back as fraction:F
        switchSetting("integer", "whole-units", \.integerUnits, field: "integerUnits", doc: "Trade whole units only (rounded toward zero)."),
        switchSetting("reverse", "reverse", \.reverse, field: "reverse", doc: "An opposite entry while in a position reverses it (otherwise it is ignored)."),
        stop("stop_loss", "stop-loss", \.stopLoss, field: "stopLoss", below1: true, doc: "Stop-loss as a fraction below the entry price."),
        stop("take_profit", "take-profit", \.takeProfit, field: "takeProfit", below1: false, doc: "Take-profit as a fraction above the entry price."),
        stop("trailing_stop", "trailing-stop", \.trailingStop, field: "trailingStop", below1: true, doc: "Trailing stop as a fraction below the peak since entry."),
        Setting(name: "rebalance", flag: "rebalance", expected: "every, weekly, monthly, change or a whole number of bars ≥ 1",
                field: "rebalance", doc: "When target positions or weights are traded.", isSwitch: false,
                write: { o, v in
                    switch v {
                    case .number(let n): guard n >= 1, n == n.rounded(), n < 1e9 else { return false }; o.rebalance = .bars(Int(n))
                    case .text(let t): guard let r = Rebalance(text: t) else { return false }; o.rebalance = r
                    case .flag: return false
                    }
                    return true
                },
                read: { o in if case .bars(let n) = o.rebalance { return .number(Double(n)) }; return .text(o.rebalance.description) },
                luaType: "\"every\"|\"weekly\"|\"monthly\"|\"change\"|integer"),
        Setting(name: "portfolio", flag: "portfolio", expected: "auto, independent or shared", field: "capitalMode",
                doc: "Independent sub-accounts (equal split) or one shared cash account; auto: shared when signals give weight or score.",
                isSwitch: false,
                write: { o, v in
                    guard case .text(let t) = v else { return false }
                    if t == "auto" { o.capitalMode = nil; return true }
                    guard let m = CapitalMode(rawValue: t) else { return false }
                    o.capitalMode = m; return true
                },
                read: { o in .text(o.capitalMode?.rawValue ?? "auto") }, luaType: "\"auto\"|\"independent\"|\"shared\""),
        Setting(name: "top", flag: "top", expected: "none or a whole number ≥ 1", field: "top",
                doc: "With a score series: hold the N best-scored symbols at equal weight.", isSwitch: false,
                write: { o, v in
                    switch v {
                    case .number(let n): guard n >= 1, n == n.rounded(), n < 1e9 else { return false }; o.top = Int(n)
                    case .text("none"): o.top = nil
                    default: return false
                    }
                    return true
                },
                read: { o in o.top.map { .number(Double($0)) } ?? .text("none") }, luaType: "integer|\"none\""),
        choice("prices", "prices", \.prices, field: "prices",
               doc: "Price series: raw (printed; splits change held units, dividends paid in cash), split (back-adjusted for splits; dividends in cash) or total (adjusted for splits and dividends; no cash flows)."),
        choice("universe_exit", "universe-exit", \.universeExit, field: "universeExit",
               doc: "When a symbol leaves the universe: close its position at the close of its first bar out, or hold it until its own exit."),
        Setting(name: "timezone", flag: "timezone", expected: "an IANA time zone name such as America/New_York, or UTC",
                field: "timezone", doc: "The exchange's time zone: which day, week and month an intraday bar belongs to (daily data carry dates and are not moved).",
                isSwitch: false,
                write: { o, v in
                    guard case .text(let t) = v, TradingHours.isKnownZone(t) else { return false }
                    o.timezone = t; return true
                },
                read: { o in .text(o.timezone) }, suggest: { TradingHours.zoneSuggestions($0) }),
        Setting(name: "session", flag: "session", expected: "none or HH:MM-HH:MM in local time, ending after it starts",
                field: "session", doc: "Regular trading hours: intraday bars starting outside them are dropped before anything is computed.",
                isSwitch: false,
                write: { o, v in
                    guard case .text(let t) = v else { return false }
                    if t == "none" { o.session = nil; return true }
                    guard let h = SessionHours(t) else { return false }
                    o.session = h; return true
                },
                read: { o in .text(o.session?.description ?? "none") }),
        choice("flat_at", "flat-at", \.flatAt, field: "flatAt",
               doc: "session_end: close every position at the close of each session's last bar, and open none on it (intraday data)."),
        Setting(name: "benchmark", flag: "benchmark", expected: "a symbol of the data, or equal-weight", field: "benchmark",
                doc: "What alpha, beta and excess return are measured against; equal-weight: buy-and-hold of the whole universe.",
                isSwitch: false,
                write: { o, v in
                    guard case .text(let t) = v, !t.isEmpty else { return false }
                    o.benchmark = t == "equal-weight" ? nil : t
                    return true
                },
                read: { o in .text(o.benchmark ?? "equal-weight") }),
    ]

    private static func number(_ name: String, _ flag: String, _ expected: String,
                               _ key: WritableKeyPath<SimulationOptions, Double> & Sendable, field: String,
                               check: @escaping @Sendable (Double) -> Bool, doc: String) -> Setting {
        Setting(name: name, flag: flag, expected: expected, field: field, doc: doc, isSwitch: false,
                write: { o, v in
                    guard case .number(let x) = v, x.isFinite, check(x) else { return false }
                    o[keyPath: key] = x; return true
                },
                read: { o in .number(o[keyPath: key]) }, luaType: "number")
    }

    private static func switchSetting(_ name: String, _ flag: String, _ key: WritableKeyPath<SimulationOptions, Bool> & Sendable,
                                      field: String, doc: String) -> Setting {
        Setting(name: name, flag: flag, expected: "true or false", field: field, doc: doc, isSwitch: true,
                write: { o, v in
                    guard case .flag(let b) = v else { return false }
                    o[keyPath: key] = b; return true
                },
                read: { o in .flag(o[keyPath: key]) }, luaType: "boolean")
    }

    private static func stop(_ name: String, _ flag: String, _ key: WritableKeyPath<SimulationOptions, Double?> & Sendable,
                             field: String, below1: Bool, doc: String) -> Setting {
        Setting(name: name, flag: flag, expected: below1 ? "none or a fraction in (0, 1)" : "none or a fraction > 0",
                field: field, doc: doc, isSwitch: false,
                write: { o, v in
                    switch v {
                    case .number(let x): guard x.isFinite, x > 0, !below1 || x < 1 else { return false }; o[keyPath: key] = x
                    case .text("none"): o[keyPath: key] = nil
                    default: return false
                    }
                    return true
                },
                read: { o in o[keyPath: key].map { .number($0) } ?? .text("none") }, luaType: "number|\"none\"")
    }

    private static func choice<C: RawRepresentable & CaseIterable & Sendable>(
        _ name: String, _ flag: String, _ key: WritableKeyPath<SimulationOptions, C> & Sendable, field: String, doc: String
    ) -> Setting where C.RawValue == String {
        Setting(name: name, flag: flag, expected: C.allCases.map(\.rawValue).joined(separator: ", ").replacingLastComma(),
                field: field, doc: doc, isSwitch: false,
                write: { o, v in
                    guard case .text(let t) = v, let f = C(rawValue: t) else { return false }
                    o[keyPath: key] = f; return true
                },
                read: { o in .text(o[keyPath: key].rawValue) },
                luaType: C.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: "|"))
    }

}

private extension String {
    /// `a, b, c` → `a, b or c`.
    func replacingLastComma() -> String {
        let parts = split(separator: ",").map { $0.trimmingPrefix(" ") }
        guard parts.count > 1 else { return self }
        return parts.dropLast().joined(separator: ", ") + " or " + parts.last!
    }
}
