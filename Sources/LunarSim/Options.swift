import LunarData

/// Where an order decided on bar t is filled.
public enum FillPrice: String, Sendable, CaseIterable {
    /// At `close[t]`, the signal bar's close (vectorbt's default).
    case close
    /// At `open[t+1]` (backtesting.py's default); an order decided on the last bar never fills.
    case nextOpen = "next_open"
}

/// How many units an entry buys (or sells short).
public enum Sizing: Sendable, Equatable, CustomStringConvertible {
    /// All the sub-account's cash (vectorbt's `size=inf`).
    case allIn
    /// This fraction of the account's equity, at most its cash.
    case equityFraction(Double)
    /// This much cash (fees included), at most the account's cash.
    case cash(Double)
    /// This many units, fewer when the cash does not cover them.
    case units(Double)

    /// `all`, `fraction:F` (or a bare number F ≤ 1), `cash:X`, `units:N`.
    public init(parsing text: String) throws {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        if t == "all" || t == "all_in" || t == "allin" { self = .allIn; return }
        let parts = t.split(separator: ":", maxSplits: 1).map(String.init)
        func number(_ s: String) throws -> Double {
            guard let v = Double(s), v.isFinite, v > 0 else {
                throw SimulationError.badOption("sizing '\(text)': the amount must be a positive number")
            }
            return v
        }
        if parts.count == 1, let v = Double(parts[0]) {
            guard v > 0, v <= 1 else { throw SimulationError.badOption("sizing '\(text)': a bare number is a fraction of equity in (0, 1]") }
            self = .equityFraction(v); return
        }
        guard parts.count == 2 else {
            throw SimulationError.badOption("sizing '\(text)': expected all, fraction:F, cash:X or units:N")
        }
        let v = try number(parts[1])
        switch parts[0] {
        case "fraction", "percent", "equity":
            guard v <= 1 else { throw SimulationError.badOption("sizing '\(text)': the fraction must be in (0, 1]") }
            self = .equityFraction(v)
        case "cash", "value": self = .cash(v)
        case "units", "shares", "size": self = .units(v)
        default: throw SimulationError.badOption("sizing '\(text)': expected all, fraction:F, cash:X or units:N")
        }
    }

    public var description: String {
        switch self {
        case .allIn: return "all"
        case .equityFraction(let f): return "fraction:\(short(f))"
        case .cash(let c): return "cash:\(short(c))"
        case .units(let u): return "units:\(short(u))"
        }
    }
}

/// When target positions or weights are traded.
public enum Rebalance: Sendable, Equatable, CustomStringConvertible {
    /// Whenever the target differs from the previous bar's target.
    case onChange
    /// Every bar (the drift from price moves is traded away each bar).
    case every
    /// The first bar of each calendar week (ISO, Monday-based) and month.
    case weekly, monthly
    /// Every N bars, counted from bar 0.
    case bars(Int)

    /// `change`, `every`, `weekly`, `monthly` or a number of bars.
    public init(parsing text: String) throws {
        switch text.trimmingCharacters(in: .whitespaces).lowercased() {
        case "change", "on_change": self = .onChange
        case "every", "daily", "bar": self = .every
        case "weekly", "week": self = .weekly
        case "monthly", "month": self = .monthly
        default:
            guard let n = Int(text), n >= 1 else {
                throw SimulationError.badOption("rebalance '\(text)': expected every, weekly, monthly, change or a number of bars ≥ 1")
            }
            self = .bars(n)
        }
    }

    public var description: String {
        switch self {
        case .onChange: return "change"
        case .every: return "every"
        case .weekly: return "weekly"
        case .monthly: return "monthly"
        case .bars(let n): return String(n)
        }
    }

    /// Scheduled bars (true = rebalance) for a calendar; `.onChange` schedules none.
    public func schedule(_ timestamps: [Int64]) -> [Bool] {
        let T = timestamps.count
        switch self {
        case .onChange: return [Bool](repeating: false, count: T)
        case .every: return [Bool](repeating: true, count: T)
        case .bars(let n): return (0 ..< T).map { $0 % n == 0 }
        case .weekly, .monthly:
            var out = [Bool](repeating: false, count: T)
            var lastKey: Int64 = .min
            for t in 0 ..< T {
                let days = floorDiv(timestamps[t], 86_400)
                let key: Int64
                if self == .weekly {
                    key = floorDiv(days + 3, 7)   // 1970-01-01 was a Thursday: weeks start on Monday
                } else {
                    let (y, m, _) = Calendar.civilFromDays(days)
                    key = Int64(y * 12 + m)
                }
                out[t] = key != lastKey
                lastKey = key
            }
            return out
        }
    }
}

/// How the capital is organised across symbols.
public enum CapitalMode: String, Sendable, CaseIterable {
    /// Each symbol trades its own sub-account; the capital is split equally.
    case independent
    /// One cash account; `weight` (or `score` + `top`) targets are rebalanced across symbols.
    case shared
}

/// Execution and sizing rules. See docs/semantics.md, "Simulator".
public struct SimulationOptions: Sendable {
    /// Total starting capital (split equally across symbols in `.independent` mode).
    public var capital: Double = 100_000
    /// Fee as a fraction of traded value, paid on every order (entry and exit).
    public var fees: Double = 0
    /// A fixed fee per order, in cash.
    public var fixedFee: Double = 0
    /// Slippage as a fraction of the price, against the trader (buys higher, sells lower).
    public var slippage: Double = 0
    public var fill: FillPrice = .close
    public var sizing: Sizing = .allIn
    /// Whole units only (rounded toward zero), as backtesting.py does.
    public var integerUnits = false
    /// An opposite entry while in a position closes it and opens the other side; when false it is ignored.
    public var reverse = false
    /// Stop-loss, take-profit and trailing stop as fractions of the entry price; nil = none.
    /// A per-bar series from the strategy overrides these.
    public var stopLoss: Double? = nil
    public var takeProfit: Double? = nil
    public var trailingStop: Double? = nil
    /// When target positions/weights are traded.
    public var rebalance: Rebalance = .onChange
    /// nil: `.shared` when the strategy gives `weight` or `score`, else `.independent`.
    public var capitalMode: CapitalMode? = nil
    /// With a `score` series: hold the `top` best-scored symbols, equal weight.
    public var top: Int? = nil
    public var threads: Int = defaultThreadCount

    public init(capital: Double = 100_000, fees: Double = 0, threads: Int = defaultThreadCount) {
        self.capital = capital; self.fees = fees; self.threads = threads
    }

    public func validate() throws {
        guard capital.isFinite, capital > 0 else { throw SimulationError.badOption("capital must be a positive number, got \(capital)") }
        guard fees.isFinite, fees >= 0, fees < 1 else { throw SimulationError.badOption("fees must be a fraction in [0, 1), got \(fees)") }
        guard fixedFee.isFinite, fixedFee >= 0 else { throw SimulationError.badOption("fixed fee must be ≥ 0, got \(fixedFee)") }
        guard slippage.isFinite, slippage >= 0, slippage < 1 else {
            throw SimulationError.badOption("slippage must be a fraction in [0, 1), got \(slippage)")
        }
        for (name, v) in [("stop_loss", stopLoss), ("take_profit", takeProfit), ("trailing_stop", trailingStop)] {
            if let v { guard v.isFinite, v > 0 else { throw SimulationError.badOption("\(name) must be a positive fraction, got \(v)") } }
        }
        if let v = stopLoss, v >= 1 { throw SimulationError.badOption("stop_loss must be below 1 (a fraction of the entry price), got \(v)") }
        if let v = trailingStop, v >= 1 { throw SimulationError.badOption("trailing_stop must be below 1, got \(v)") }
        if let top, top < 1 { throw SimulationError.badOption("top must be ≥ 1, got \(top)") }
        if case .bars(let n) = rebalance, n < 1 { throw SimulationError.badOption("rebalance must be ≥ 1 bar") }
        switch sizing {
        case .allIn: break
        case .equityFraction(let f): guard f > 0, f <= 1 else { throw SimulationError.badOption("sizing fraction must be in (0, 1], got \(f)") }
        case .cash(let x), .units(let x): guard x.isFinite, x > 0 else { throw SimulationError.badOption("sizing amount must be positive, got \(x)") }
        }
        guard threads >= 1 else { throw SimulationError.badOption("threads must be ≥ 1") }
    }

    /// Sets one option from its strategy-table / CLI name and text value (`fill`, `fees`,
    /// `fixed_fee`, `slippage`, `sizing`, `integer`, `reverse`, `stop_loss`, `take_profit`,
    /// `trailing_stop`, `rebalance`, `portfolio`, `top`, `capital`).
    public mutating func set(_ key: String, _ value: String) throws {
        func number() throws -> Double {
            guard let v = Double(value.trimmingCharacters(in: .whitespaces)) else {
                throw SimulationError.badOption("\(key) takes a number, got '\(value)'")
            }
            return v
        }
        func flag() throws -> Bool {
            switch value.lowercased() {
            case "true", "1", "yes": return true
            case "false", "0", "no": return false
            default: throw SimulationError.badOption("\(key) takes true or false, got '\(value)'")
            }
        }
        func stop() throws -> Double? {
            let v = value.lowercased()
            return v == "none" || v == "off" || v == "false" ? nil : try number()
        }
        switch key {
        case "fill":
            guard let f = FillPrice(rawValue: value) else {
                throw SimulationError.badOption("fill '\(value)': expected close or next_open")
            }
            fill = f
        case "fees": fees = try number()
        case "fixed_fee": fixedFee = try number()
        case "slippage": slippage = try number()
        case "capital": capital = try number()
        case "sizing": sizing = try Sizing(parsing: value)
        case "integer", "integer_units": integerUnits = try flag()
        case "reverse": reverse = try flag()
        case "stop_loss": stopLoss = try stop()
        case "take_profit": takeProfit = try stop()
        case "trailing_stop": trailingStop = try stop()
        case "rebalance": rebalance = try Rebalance(parsing: value)
        case "portfolio":
            guard let m = CapitalMode(rawValue: value) else {
                throw SimulationError.badOption("portfolio '\(value)': expected independent or shared")
            }
            capitalMode = m
        case "top":
            let v = try number()
            guard v >= 1, v == v.rounded() else { throw SimulationError.badOption("top must be a whole number ≥ 1, got \(value)") }
            top = Int(v)
        default: throw SimulationError.badOption("unknown simulation option '\(key)'")
        }
    }

    /// The names `set(_:_:)` accepts.
    public static let settingNames = ["fill", "fees", "fixed_fee", "slippage", "capital", "sizing", "integer", "reverse",
                                      "stop_loss", "take_profit", "trailing_stop", "rebalance", "portfolio", "top"]
}

public enum SimulationError: Error, CustomStringConvertible {
    case badOption(String)
    case badInput(String)
    public var description: String {
        switch self { case .badOption(let m), .badInput(let m): return m }
    }
}

@inline(__always) func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }

/// A number without a trailing ".0" when it is whole.
func short(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v) }
