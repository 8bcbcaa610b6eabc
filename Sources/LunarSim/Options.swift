import LunarData

/// Where an order decided on bar t is filled.
public enum FillPrice: String, Sendable, CaseIterable {
    /// At `close[t]`, the signal bar's close (vectorbt's default).
    case close
    /// At `open[t+1]` (backtesting.py's default); an order decided on the last bar never fills.
    case nextOpen = "next_open"
}

/// How many units an entry buys (or sells short).
public enum Sizing: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// All the sub-account's cash (vectorbt's `size=inf`).
    case allIn
    /// This fraction of the account's equity, at most its cash.
    case equityFraction(Double)
    /// This much cash (fees included), at most the account's cash.
    case cash(Double)
    /// This many units, fewer when the cash does not cover them.
    case units(Double)

    /// `all`, `fraction:F`, `cash:X` or `units:N` (a bare fraction is a number setting,
    /// see `Setting.all`); nil for anything else.
    public init?(text: String) {
        if text == "all" { self = .allIn; return }
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, let v = Double(parts[1]), v.isFinite, v > 0 else { return nil }
        switch parts[0] {
        case "fraction": guard v <= 1 else { return nil }; self = .equityFraction(v)
        case "cash": self = .cash(v)
        case "units": self = .units(v)
        default: return nil
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
public enum Rebalance: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Whenever the target differs from the previous bar's target.
    case onChange
    /// Every bar (the drift from price moves is traded away each bar).
    case every
    /// The first bar of each calendar week (ISO, Monday-based) and month.
    case weekly, monthly
    /// Every N bars, counted from bar 0.
    case bars(Int)

    /// `change`, `every`, `weekly` or `monthly` (a number of bars is a number setting); nil otherwise.
    public init?(text: String) {
        switch text {
        case "change": self = .onChange
        case "every": self = .every
        case "weekly": self = .weekly
        case "monthly": self = .monthly
        default: return nil
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

/// What happens to an open position when its symbol leaves the universe (membership list).
public enum UniverseExit: String, Sendable, CaseIterable {
    /// Closed at the close of the first bar it is no member.
    case close
    /// Kept until its own exit; no new entries meanwhile.
    case hold
}

/// How the capital is organised across symbols.
/// When every position is closed whatever the signals say.
public enum FlatAt: String, Sendable, CaseIterable {
    /// Never: positions are held across sessions.
    case never = "none"
    /// At the close of each session's last bar (intraday data).
    case sessionEnd = "session_end"
}

public enum CapitalMode: String, Sendable, CaseIterable {
    /// Each symbol trades its own sub-account; the capital is split equally.
    case independent
    /// One cash account; `weight` (or `score` + `top`) targets are rebalanced across symbols.
    case shared
}

/// Execution and sizing rules. See docs/semantics.md, "Simulator". Each field but `threads` is
/// a setting of `Setting.all`, which names, checks, documents and records it.
public struct SimulationOptions: Sendable, Equatable {
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
    /// Which price series the run trades and its indicators read (see `PriceMode`).
    public var prices: PriceMode = .split
    /// When a symbol leaves the universe: close its position, or hold it until its own exit.
    public var universeExit: UniverseExit = .close
    /// The exchange's IANA time zone: which local day (session, week, month) an intraday bar
    /// belongs to.
    public var timezone = "UTC"
    /// Regular trading hours in that zone; bars outside are dropped. nil: every bar.
    public var session: SessionHours? = nil
    public var flatAt: FlatAt = .never
    /// The benchmark symbol for alpha, beta and excess return; nil = the universe's equal-weight
    /// buy-and-hold. The simulator ignores it; the metrics read it.
    public var benchmark: String? = nil
    /// The zone and session together: how the run's view of the data reads its clock.
    public var hours: TradingHours { TradingHours(timezone: timezone, session: session) }
    /// Not a setting: results are the same bits for every thread count.
    public var threads: Int = defaultThreadCount
    /// The number of sub-accounts `capital` is split among in `.independent` mode; nil: every
    /// symbol of the panel. A shard of a run (`lunar run --shard`) simulates a slice of the
    /// universe with the whole universe's split, so each sub-account is the one a whole run has.
    public var splitAmong: Int? = nil
    /// The capital of one independent sub-account of a panel of `symbols` symbols.
    public func subAccountCapital(symbols: Int) -> Double { capital / Double(max(splitAmong ?? symbols, 1)) }

    public init(capital: Double = 100_000, fees: Double = 0, threads: Int = defaultThreadCount) {
        self.capital = capital; self.fees = fees; self.threads = threads
    }

    /// Checks every field with the rules of its setting (a value set through the Swift API
    /// must pass the same checks as the strategy table and the flags).
    public func validate() throws {
        var probe = SimulationOptions()
        for s in Setting.all { try s.apply(s.value(in: self), to: &probe) }
        guard threads >= 1 else { throw SimulationError.badOption("threads must be ≥ 1") }
    }
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
