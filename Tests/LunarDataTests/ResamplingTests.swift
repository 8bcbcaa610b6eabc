import LunarData
import Testing

/// The calendars `bars:timeframe(tf)` meets in real data, each with its expected periods
/// written out by hand: which bars make up each coarser bar, and at which bar it is complete.
@Suite("Resampling calendars")
struct ResamplingTests {
    static func day(_ y: Int, _ m: Int, _ d: Int) -> Int64 { Calendar.daysFromCivil(y, m, d) * 86_400 }
    /// A UTC instant from a date and a UTC time of day.
    static func at(_ y: Int, _ m: Int, _ d: Int, _ h: Int, _ min: Int = 0) -> Int64 { day(y, m, d) + Int64(h * 3600 + min * 60) }

    static func periods(_ r: Resampling) -> [Range<Int>] { zip(r.starts, r.ends).map { $0 ..< $1 } }

    static func panel(_ timestamps: [Int64], closes: [[Double]]? = nil, hours: TradingHours = TradingHours()) throws -> Panel {
        let rows = closes ?? [timestamps.indices.map { Double($0 + 1) }]
        let close = rows.flatMap { $0 }
        var fields: [String: [Double]] = ["volume": close.map { $0.isNaN ? .nan : 1 }]
        for f in ["open", "high", "low", "close"] { fields[f] = close }
        var p = try Panel(symbols: rows.indices.map { "S\($0)" }, timestamps: timestamps, fields: fields)
        p.hours = hours
        return p
    }

    @Test func aHolidayWeekIsCompleteOnItsLastTradingDay() throws {
        // Good Friday 2024-03-29 is a holiday: that week ends on Thursday's close.
        let days = [Self.day(2024, 3, 25), Self.day(2024, 3, 26), Self.day(2024, 3, 27), Self.day(2024, 3, 28),
                    Self.day(2024, 4, 1), Self.day(2024, 4, 2), Self.day(2024, 4, 3), Self.day(2024, 4, 4), Self.day(2024, 4, 5), Self.day(2024, 4, 8)]
        let r = try Resampling(.week, timestamps: days, daily: true, hours: TradingHours())
        #expect(Self.periods(r) == [0 ..< 4, 4 ..< 9, 9 ..< 10])
        #expect(r.completed == [0, 0, 0, 1, 1, 1, 1, 1, 2, 2])
        // Monday 8 April's week is still forming when the data stop.
        #expect(!r.lastIsComplete)
    }

    @Test func aMonthWhoseLastTradingDayIsThe28th() throws {
        // June 2024 ends on a weekend: Friday the 28th completes it.
        let days = [Self.day(2024, 6, 26), Self.day(2024, 6, 27), Self.day(2024, 6, 28), Self.day(2024, 7, 1), Self.day(2024, 7, 2)]
        let r = try Resampling(.month, timestamps: days, daily: true, hours: TradingHours())
        #expect(Self.periods(r) == [0 ..< 3, 3 ..< 5])
        #expect(r.completed == [0, 0, 1, 1, 1])
        // Data ending on 28 June: June is complete (no weekday left in it).
        let june = try Resampling(.month, timestamps: Array(days.prefix(3)), daily: true, hours: TradingHours())
        #expect(june.lastIsComplete && june.completed == [0, 0, 1])
        let q = try Resampling(.quarter, timestamps: days, daily: true, hours: TradingHours())
        #expect(Self.periods(q) == [0 ..< 3, 3 ..< 5] && q.completed[2] == 1)
        let y = try Resampling(.year, timestamps: days, daily: true, hours: TradingHours())
        #expect(Self.periods(y) == [0 ..< 5] && !y.lastIsComplete)
    }

    @Test func weeksEndingOnFridayOrMidweek() throws {
        let full = (0 ..< 5).map { Self.day(2024, 5, 6 + $0) }          // Mon 6 … Fri 10 May
        #expect(try Resampling(.week, timestamps: full, daily: true, hours: TradingHours()).lastIsComplete)
        #expect(try !Resampling(.week, timestamps: Array(full.prefix(3)), daily: true, hours: TradingHours()).lastIsComplete)
        // A calendar with weekend bars (crypto) counts Saturday and Sunday as trading days.
        let crypto = (0 ..< 5).map { Self.day(2024, 5, 6 + $0) } + [Self.day(2024, 5, 11)]
        let r = try Resampling(.week, timestamps: crypto, daily: true, hours: TradingHours())
        #expect(!r.lastIsComplete)
    }

    @Test func aSymbolWithGapsGetsNaNWhereItHasNoBars() throws {
        // Two weeks; S1 misses week 1's Friday and all of week 2.
        let days = (0 ..< 5).map { Self.day(2024, 5, 6 + $0) } + (0 ..< 5).map { Self.day(2024, 5, 13 + $0) }
        let a = (1 ... 10).map(Double.init)
        let b: [Double] = [1, 2, 3, 4, .nan, .nan, .nan, .nan, .nan, .nan]
        let panel = try Self.panel(days, closes: [a, b])
        let r = try panel.resampling(.week)
        let close = panel.values("close")!
        func week(_ s: Int, _ p: Int, _ rule: Aggregation) -> Double {
            close.withUnsafeBufferPointer { rule.reduce($0.baseAddress! + s * 10, r.starts[p] ..< r.ends[p]) }
        }
        #expect(week(0, 0, .last) == 5 && week(1, 0, .last) == 4)   // S1's week closes on Thursday
        #expect(week(1, 0, .first) == 1 && week(1, 0, .max) == 4 && week(1, 0, .sum) == 10)
        #expect(week(1, 1, .last).isNaN && week(1, 1, .sum).isNaN)  // no bars: no value, not a stale one
        #expect(r.completed == [0, 0, 0, 0, 1, 1, 1, 1, 1, 2])
    }

    @Test func aHalfDaySessionEndsAtItsLastBar() throws {
        // New York, 30-minute bars 09:30–16:00; 3 July 2024 closes at 13:00 (EDT = UTC−4).
        let ny = TradingHours(timezone: "America/New_York", session: SessionHours("09:30-16:00"))
        func session(_ d: Int, bars: Int) -> [Int64] { (0 ..< bars).map { Self.at(2024, 7, d, 13, 30) + Int64($0 * 1800) } }
        let t = session(2, bars: 13) + session(3, bars: 7) + session(5, bars: 13)
        let r = try Resampling(.day, timestamps: t, daily: false, hours: ny)
        #expect(Self.periods(r) == [0 ..< 13, 13 ..< 20, 20 ..< 33])
        #expect(r.completed[12] == 1 && r.completed[18] == 1 && r.completed[19] == 2)
        #expect(r.lastIsComplete)                                   // 15:30 + 30 min reaches 16:00
        // Data ending on the half day: its end cannot be told from a bar cut short, so it forms.
        #expect(try !Resampling(.day, timestamps: Array(t.prefix(20)), daily: false, hours: ny).lastIsComplete)
        // Hourly buckets from the session's start: 09:30, 10:30, … 15:30 (a half bucket).
        let h = try Resampling(.minutes(60), timestamps: session(2, bars: 13), daily: false, hours: ny)
        #expect(Self.periods(h) == [0 ..< 2, 2 ..< 4, 4 ..< 6, 6 ..< 8, 8 ..< 10, 10 ..< 12, 12 ..< 13])
        #expect(h.lastIsComplete)
    }

    @Test func newYorkDaylightSavingSpring() throws {
        // Friday 8 March 2024 09:30 EST = 14:30 UTC; Monday 11 March 09:30 EDT = 13:30 UTC.
        let ny = TradingHours(timezone: "America/New_York", session: SessionHours("09:30-16:00"))
        let t = (0 ..< 13).map { Self.at(2024, 3, 8, 14, 30) + Int64($0 * 1800) } + (0 ..< 13).map { Self.at(2024, 3, 11, 13, 30) + Int64($0 * 1800) }
        let r = try Resampling(.day, timestamps: t, daily: false, hours: ny)
        #expect(Self.periods(r) == [0 ..< 13, 13 ..< 26] && r.lastIsComplete)
        let local = ny.localSeconds(t, daily: false)
        #expect(local[0] % 86_400 == 34_200 && local[13] % 86_400 == 34_200)  // both open at 09:30 local
        // 24-hour data around the change: Sunday 10 March has 23 local hours.
        let hourly = (0 ..< 72).map { Self.at(2024, 3, 9, 5) + Int64($0 * 3600) }   // from 00:00 EST on the 9th
        let d = try Resampling(.day, timestamps: hourly, daily: false, hours: TradingHours(timezone: "America/New_York"))
        #expect(Self.periods(d).map(\.count) == [24, 23, 24, 1])
        let four = try Resampling(.minutes(240), timestamps: Array(hourly[24 ..< 47]), daily: false, hours: TradingHours(timezone: "America/New_York"))
        #expect(Self.periods(four).map(\.count) == [3, 4, 4, 4, 4, 4])   // 00–04 local lost 02:00
    }

    @Test func newYorkDaylightSavingAutumn() throws {
        // Friday 1 November 2024 09:30 EDT = 13:30 UTC; Monday 4 November 09:30 EST = 14:30 UTC.
        let ny = TradingHours(timezone: "America/New_York", session: SessionHours("09:30-16:00"))
        let t = (0 ..< 13).map { Self.at(2024, 11, 1, 13, 30) + Int64($0 * 1800) } + (0 ..< 13).map { Self.at(2024, 11, 4, 14, 30) + Int64($0 * 1800) }
        let r = try Resampling(.day, timestamps: t, daily: false, hours: ny)
        #expect(Self.periods(r) == [0 ..< 13, 13 ..< 26])
        let panel = try Self.panel(t, hours: ny)
        let minutes = try panel.calendarValues(.timeOfDay)
        #expect(minutes[0] == 570 && minutes[13] == 570 && minutes[25] == 960 - 30)
        #expect(try panel.calendarValues(.dayOfWeek)[0] == 5 && panel.calendarValues(.dayOfWeek)[13] == 1)
        // 24-hour data: Sunday 3 November has 25 local hours (01:00 twice).
        let hourly = (0 ..< 73).map { Self.at(2024, 11, 2, 4) + Int64($0 * 3600) }   // from 00:00 EDT on the 2nd
        let d = try Resampling(.day, timestamps: hourly, daily: false, hours: TradingHours(timezone: "America/New_York"))
        #expect(Self.periods(d).map(\.count) == [24, 25, 24])
        #expect(d.lastIsComplete)
    }

    @Test func calendarSeriesMarkPeriodStartsAndEnds() throws {
        let days = (0 ..< 5).map { Self.day(2024, 5, 6 + $0) } + [Self.day(2024, 5, 13)]
        let panel = try Self.panel(days)
        #expect(try panel.calendarValues(.periodStart(.week)) == [1, 0, 0, 0, 0, 1])
        #expect(try panel.calendarValues(.periodEnd(.week)) == [0, 0, 0, 0, 1, 0])   // the forming week has no end yet
        #expect(try panel.calendarValues(.dayOfWeek) == [1, 2, 3, 4, 5, 1])
        #expect(try panel.calendarValues(.timeOfDay) == [0, 0, 0, 0, 0, 0])
    }

    @Test func timeframesThatDoNotFitTheDataAreErrors() throws {
        let days = (0 ..< 5).map { Self.day(2024, 5, 6 + $0) }
        #expect(throws: TimeframeError.self) { try Resampling(.minutes(60), timestamps: days, daily: true, hours: TradingHours()) }
        let quarterHours = (0 ..< 8).map { Self.at(2024, 5, 6, 14) + Int64($0 * 900) }
        let finer = #expect(throws: TimeframeError.self) { try Resampling(.minutes(5), timestamps: quarterHours, daily: false, hours: TradingHours()) }
        #expect(finer?.message.contains("finer than the data's 15-minute bars") == true)
        let odd = (0 ..< 8).map { Self.at(2024, 5, 6, 14) + Int64($0 * 2400) }   // 40-minute bars
        #expect(throws: TimeframeError.self) { try Resampling(.minutes(60), timestamps: odd, daily: false, hours: TradingHours()) }
    }

    @Test func sessionsDropBarsOutsideRegularHours() throws {
        let ny = TradingHours(timezone: "America/New_York", session: SessionHours("09:30-16:00"))
        // 08:00 … 17:30 local on 6 May 2024 (EDT), every 30 minutes.
        let t = (0 ..< 20).map { Self.at(2024, 5, 6, 12) + Int64($0 * 1800) }
        let view = try Self.panel(t).runView(prices: .raw, hours: ny)
        #expect(view.barCount == 13)
        #expect(view.timestamps.first == Self.at(2024, 5, 6, 13, 30) && view.timestamps.last == Self.at(2024, 5, 6, 19, 30))
        #expect(view.hours == ny)
        #expect(throws: DataError.self) { try Self.panel((0 ..< 3).map { Self.day(2024, 5, 6 + $0) }).runView(prices: .raw, hours: ny) }
        // A session that keeps nothing (a wrong zone, say) is an error, not an empty run.
        let night = TradingHours(timezone: "America/New_York", session: SessionHours("02:00-03:00"))
        let none = #expect(throws: DataError.self) { try Self.panel(t).runView(prices: .raw, hours: night) }
        #expect("\(none!)".contains("keeps none of the 20 bars"))
    }
}

@Suite("Timeframe names and trading hours")
struct TimeframeTests {
    @Test func namesRoundTripAndSortFinestFirst() throws {
        let all = try Timeframe.names.map { try Timeframe($0) }
        #expect(all.map(\.description) == Timeframe.names)
        #expect(all == all.sorted())
    }

    @Test func unknownNamesSuggestTheClosest() {
        let e = #expect(throws: TimeframeError.self) { try Timeframe("1w") }
        #expect(e?.message.contains("'1W'") == true)
        let far = #expect(throws: TimeframeError.self) { try Timeframe("fortnight") }
        #expect(far?.message.contains("5m, 15m, 30m, 1h, 4h, 1D, 1W, 1M, 1Q, 1Y") == true)
    }

    @Test func aggregationRulesPerField() {
        #expect(Aggregation.of(field: "open") == .first && Aggregation.of(field: "high") == .max)
        #expect(Aggregation.of(field: "low") == .min && Aggregation.of(field: "close") == .last)
        #expect(Aggregation.of(field: "volume") == .sum && Aggregation.of(field: "vwap") == .last)
        let v: [Double] = [.nan, 3, 1, .nan, 2, .nan]
        v.withUnsafeBufferPointer { p in
            let b = p.baseAddress!
            #expect(Aggregation.first.reduce(b, 0 ..< 6) == 3 && Aggregation.last.reduce(b, 0 ..< 6) == 2)
            #expect(Aggregation.max.reduce(b, 0 ..< 6) == 3 && Aggregation.min.reduce(b, 0 ..< 6) == 1)
            #expect(Aggregation.sum.reduce(b, 0 ..< 6) == 6 && Aggregation.sum.reduce(b, 5 ..< 6).isNaN)
        }
    }

    @Test func sessionsAndZonesParse() {
        #expect(SessionHours("09:30-16:00")?.description == "09:30-16:00")
        #expect(SessionHours("16:00-09:30") == nil && SessionHours("9:30-16:00") == nil && SessionHours("09:30") == nil)
        #expect(TradingHours.isKnownZone("America/New_York") && TradingHours.isKnownZone("UTC"))
        #expect(!TradingHours.isKnownZone("America/New_Yrok"))
        #expect(TradingHours.zoneSuggestions("America/New_Yrok").first == "America/New_York")
    }
}
