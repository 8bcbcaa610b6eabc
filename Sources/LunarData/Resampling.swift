/// One coarser clock over a panel's calendar: which base bars make up each coarser bar
/// (period), and how many periods are complete at each base bar's close.
///
/// A period is complete at its last bar in the calendar (a week with a Friday holiday is
/// complete at Thursday's close), so alignment never shows a period still forming. The data's
/// last period is complete only when its bars reach the period's end (an intraday bucket or
/// session whose last bar closes at its end; a week, month, quarter or year with no trading
/// day left after its last bar); otherwise it is still forming when the data stop.
/// Periods are shared by every symbol: a symbol without bars in a period gets NaN there.
public struct Resampling: Sendable {
    public let timeframe: Timeframe
    /// Base bars `starts[p] ..< ends[p]` make up period p.
    public let starts: [Int]
    public let ends: [Int]
    /// Per base bar t: how many periods are complete at t's close. The aligned value at t is
    /// period `completed[t] - 1`'s (none while it is 0).
    public let completed: [Int32]
    /// Whether the last period is complete (see above).
    public let lastIsComplete: Bool

    public var periodCount: Int { starts.count }

    /// The periods of `tf` over `timestamps` (UTC epoch seconds), read in `hours`' time zone.
    public init(_ tf: Timeframe, timestamps: [Int64], daily: Bool, hours: TradingHours) throws {
        timeframe = tf
        let T = timestamps.count
        let local = hours.localSeconds(timestamps, daily: daily)
        let spacing = daily ? 86_400 : Resampling.typicalSpacing(local)
        let anchor = hours.session?.start ?? 0
        let dayEnd = hours.session?.end ?? 86_400
        if case .minutes(let m) = tf {
            guard !daily else { throw TimeframeError(message: "timeframe \(tf) needs intraday data; these bars are daily") }
            guard Int64(m * 60) >= spacing else {
                throw TimeframeError(message: "timeframe \(tf) is finer than the data's \(spacing / 60)-minute bars")
            }
            guard Int64(m * 60) % spacing == 0 else {
                throw TimeframeError(message: "timeframe \(tf) is not a whole number of the data's \(spacing / 60)-minute bars")
            }
        }
        func day(_ s: Int64) -> Int64 { Calendar.floorDiv(s, 86_400) }
        func key(_ s: Int64) -> Int64 {
            let d = day(s)
            switch tf {
            case .minutes(let m): return d * 10_000 + Calendar.floorDiv(s - d * 86_400 - anchor, Int64(m * 60))
            case .day: return d
            case .week: return d - Int64(Calendar.weekday(days: d))
            case .month, .quarter, .year:
                let (y, mo, _) = Calendar.civilFromDays(d)
                return tf == .month ? Int64(y * 12 + mo - 1) : tf == .quarter ? Int64(y * 4 + (mo - 1) / 3) : Int64(y)
            }
        }
        var starts: [Int] = [], ends: [Int] = []
        var previous: Int64? = nil
        for t in 0 ..< T {
            let k = key(local[t])
            if k != previous {
                if !starts.isEmpty { ends.append(t) }
                starts.append(t); previous = k
            }
        }
        if !starts.isEmpty { ends.append(T) }

        // Is the last period complete when the data stop?
        var lastComplete = false
        if let last = local.last {
            let barEnd = last + spacing
            let d = day(last)
            switch tf {
            case .minutes(let m):
                let bucket = Calendar.floorDiv(last - d * 86_400 - anchor, Int64(m * 60))
                lastComplete = barEnd >= min(d * 86_400 + anchor + (bucket + 1) * Int64(m * 60), d * 86_400 + dayEnd)
            default:
                let dayDone = daily || barEnd >= d * 86_400 + dayEnd
                // Weekend days count as trading days only when the calendar has some.
                let weekends = local.contains { Calendar.weekday(days: day($0)) >= 5 }
                var next = d + 1, later = false
                while tf != .day, key(next * 86_400) == key(last) {
                    if weekends || Calendar.weekday(days: next) < 5 { later = true; break }
                    next += 1
                }
                lastComplete = dayDone && !later
            }
        }
        let completable = lastComplete ? ends.count : max(0, ends.count - 1)
        var completed = [Int32](repeating: 0, count: T)
        var done = 0
        for t in 0 ..< T {
            while done < completable && ends[done] - 1 <= t { done += 1 }
            completed[t] = Int32(done)
        }
        self.starts = starts; self.ends = ends; self.completed = completed
        self.lastIsComplete = lastComplete
    }

    /// The usual distance between consecutive bars of one day (the median), in seconds.
    static func typicalSpacing(_ local: [Int64]) -> Int64 {
        var gaps: [Int64] = []
        for i in local.indices.dropFirst() where Calendar.floorDiv(local[i], 86_400) == Calendar.floorDiv(local[i - 1], 86_400) {
            gaps.append(local[i] - local[i - 1])
        }
        guard !gaps.isEmpty else { return 60 }
        gaps.sort()
        return max(1, gaps[gaps.count / 2])
    }
}

/// Values of the calendar itself, one per base bar, the same for every symbol.
public enum CalendarSeries: Hashable, Sendable, CustomStringConvertible {
    /// Minutes since local midnight at the bar's start (0 on daily data).
    case timeOfDay
    /// ISO weekday of the bar's local day: 1 = Monday … 7 = Sunday.
    case dayOfWeek
    /// 1 on the first bar of each period of the timeframe, else 0 (anchors `ta.vwap`).
    case periodStart(Timeframe)
    /// 1 on the bar at which a period completes, else 0 (`flat_at = "session_end"`).
    case periodEnd(Timeframe)

    public var description: String {
        switch self {
        case .timeOfDay: return "time_of_day"
        case .dayOfWeek: return "day_of_week"
        case .periodStart(let tf): return "period_start(\(tf))"
        case .periodEnd(let tf): return "period_end(\(tf))"
        }
    }
}

extension Panel {
    /// The periods of `tf` over this panel's calendar, in its trading hours' zone; computed
    /// once per panel.
    public func resampling(_ tf: Timeframe) throws -> Resampling {
        try derived("clock:\(tf)|\(hours)") { try Resampling(tf, timestamps: timestamps, daily: isDaily, hours: hours) }
    }

    /// `series` at every base bar (T values); computed once per panel.
    public func calendarValues(_ series: CalendarSeries) throws -> [Double] {
        try derived("calendar:\(series)|\(hours)") { () throws -> [Double] in
            switch series {
            case .timeOfDay, .dayOfWeek:
                let local = hours.localSeconds(timestamps, daily: isDaily)
                return local.map { s in
                    let d = Calendar.floorDiv(s, 86_400)
                    return series == .timeOfDay ? Double((s - d * 86_400) / 60) : Double(Calendar.weekday(days: d) + 1)
                }
            case .periodStart(let tf):
                var out = [Double](repeating: 0, count: barCount)
                for s in try resampling(tf).starts { out[s] = 1 }
                return out
            case .periodEnd(let tf):
                let r = try resampling(tf)
                var out = [Double](repeating: 0, count: barCount)
                for p in r.ends.indices where p < r.periodCount - 1 || r.lastIsComplete { out[r.ends[p] - 1] = 1 }
                return out
            }
        }
    }
}
