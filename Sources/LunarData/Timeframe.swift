/// The coarser timeframes a strategy can ask for (`bars:timeframe(tf)`), by the names the DSL
/// and the docs use. Intraday buckets need intraday data; days, weeks, months, quarters and
/// years work on intraday and daily data alike.
public enum Timeframe: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Buckets of this many minutes within a local day, counted from the session's start (or
    /// from local midnight without a session): "5m" "15m" "30m" "1h" "4h".
    case minutes(Int)
    /// A local calendar day: the session on intraday data, the bar itself on daily data.
    case day
    /// A trading week, Monday to Sunday (ISO 8601).
    case week
    case month
    case quarter
    case year

    /// Every accepted name, finest first.
    public static let names = ["5m", "15m", "30m", "1h", "4h", "1D", "1W", "1M", "1Q", "1Y"]

    public init(_ text: String) throws {
        switch text {
        case "5m": self = .minutes(5)
        case "15m": self = .minutes(15)
        case "30m": self = .minutes(30)
        case "1h": self = .minutes(60)
        case "4h": self = .minutes(240)
        case "1D": self = .day
        case "1W": self = .week
        case "1M": self = .month
        case "1Q": self = .quarter
        case "1Y": self = .year
        default:
            let s = closestMatches(to: text, in: Timeframe.names)
            throw TimeframeError(message: "unknown timeframe '\(DataError.clip(text))'; " +
                (s.isEmpty ? "timeframes are \(Timeframe.names.joined(separator: ", "))" : "did you mean \(s.map { "'\($0)'" }.joined(separator: ", "))?"))
        }
    }

    public var description: String {
        switch self {
        case .minutes(let m): return m % 60 == 0 ? "\(m / 60)h" : "\(m)m"
        case .day: return "1D"
        case .week: return "1W"
        case .month: return "1M"
        case .quarter: return "1Q"
        case .year: return "1Y"
        }
    }

    /// Order from finest to coarsest (intraday buckets by length).
    private var rank: Int {
        switch self {
        case .minutes(let m): return m
        case .day: return 100_000
        case .week: return 100_001
        case .month: return 100_002
        case .quarter: return 100_003
        case .year: return 100_004
        }
    }
    public static func < (a: Timeframe, b: Timeframe) -> Bool { a.rank < b.rank }
}

/// A timeframe that does not exist or does not fit the data (an hourly bucket of daily bars).
public struct TimeframeError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

/// How the bars of one coarser period become one bar: `open` first, `high` max, `low` min,
/// `close` last, `volume` sum, any other field last. NaN cells (a symbol without that bar) are
/// skipped; a period without any value is NaN.
public enum Aggregation: String, Sendable, Hashable {
    case first, max, min, last, sum

    public static func of(field: String) -> Aggregation {
        switch field {
        case "open": return .first
        case "high": return .max
        case "low": return .min
        case "volume": return .sum
        default: return .last
        }
    }

    /// The aggregate of `values[range]`.
    @inline(__always)
    public func reduce(_ values: UnsafePointer<Double>, _ range: Range<Int>) -> Double {
        switch self {
        case .first:
            for i in range where !values[i].isNaN { return values[i] }
            return .nan
        case .last:
            for i in range.reversed() where !values[i].isNaN { return values[i] }
            return .nan
        case .max, .min, .sum:
            var acc = Double.nan
            for i in range where !values[i].isNaN {
                let v = values[i]
                if acc.isNaN { acc = v; continue }
                switch self {
                case .max: acc = Swift.max(acc, v)
                case .min: acc = Swift.min(acc, v)
                default: acc += v
                }
            }
            return acc
        }
    }
}
