import Testing
@testable import LunarData

@Suite struct CalendarTests {
    @Test func parsesISODays() {
        #expect(Calendar.parse("1970-01-01") == 0)
        #expect(Calendar.parse("2020-02-29") == Calendar.daysFromCivil(2020, 2, 29) * 86_400)
        #expect(Calendar.parse("2021-02-29") == nil)   // not a leap year
        #expect(Calendar.parse("2021-13-01") == nil)
    }

    @Test func parsesDateTimesAndOffsets() {
        let day = Calendar.daysFromCivil(2024, 3, 5) * 86_400
        #expect(Calendar.parse("2024-03-05T09:30:00") == day + 9 * 3600 + 30 * 60)
        #expect(Calendar.parse("2024-03-05 09:30") == day + 9 * 3600 + 30 * 60)
        #expect(Calendar.parse("2024-03-05T09:30:00Z") == day + 9 * 3600 + 30 * 60)
        #expect(Calendar.parse("2024-03-05T09:30:00.250Z") == day + 9 * 3600 + 30 * 60)
        #expect(Calendar.parse("2024-03-05T09:30:00+01:00") == day + 8 * 3600 + 30 * 60)
        #expect(Calendar.parse("2024-03-05T09:30:00-0500") == day + 14 * 3600 + 30 * 60)
        #expect(Calendar.parse("2024-03-05T25:00") == nil)
    }

    @Test func parsesEpochSeconds() {
        #expect(Calendar.parse("1700000000") == 1_700_000_000)
        #expect(Calendar.parse("12a") == nil)
        #expect(Calendar.parse("") == nil)
    }

    @Test func formatsBothWays() {
        let t = Calendar.parse("2024-03-05T09:30:07Z")!
        #expect(Calendar.format(t, daily: false) == "2024-03-05T09:30:07Z")
        #expect(Calendar.format(Calendar.parse("1999-12-31")!, daily: true) == "1999-12-31")
        #expect(Calendar.format(Calendar.parse("1969-07-20")!, daily: true) == "1969-07-20")
    }

    @Test func annualizationFollowsSpacing() {
        let daily = Synthetic.calendar(bars: 300)
        #expect(Calendar.barsPerYear(daily) == 252)
        let weekly = (0 ..< 100).map { Int64($0) * 7 * 86_400 }
        #expect(abs(Calendar.barsPerYear(weekly) - 365.25 / 7) < 1e-9)
        // Hourly bars, 7 a day on business days: 252 × 7.
        var hourly: [Int64] = []
        for d in Synthetic.calendar(bars: 20) { for h in 0 ..< 7 { hourly.append(d + Int64(14 + h) * 3600) } }
        #expect(Calendar.barsPerYear(hourly) == 252 * 7)
    }

    @Test func weekdays() {
        #expect(Calendar.weekday(days: 0) == 3)   // 1970-01-01 was a Thursday
        #expect(Calendar.weekday(days: Calendar.daysFromCivil(2024, 11, 25)) == 0)   // a Monday
    }
}
