/// Dates: parsing ISO 8601 days / date-times / epoch seconds, formatting, and annualization.
public enum Calendar {
    /// Parses `YYYY-MM-DD`, `YYYYMMDD`, `YYYY-MM-DD[T ]HH:MM[:SS[.fff]][Z|±HH:MM|±HHMM]`, integer
    /// epoch seconds (up to 12 digits) or epoch milliseconds (exactly 13 digits).
    /// Returns UTC epoch seconds, or nil when the text is none of these.
    public static func parse(_ text: Substring) -> Int64? { parseWithOffset(text)?.utc }

    /// Like `parse`, and also the UTC offset written in the text (local − UTC, in seconds; 0
    /// without one), so a reader can tell a local midnight from a UTC one.
    public static func parseWithOffset(_ text: Substring) -> (utc: Int64, offset: Int64)? {
        let b = Array(text.utf8)
        if b.isEmpty { return nil }
        if b.count >= 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-") {
            guard let y = digits(b, 0, 4), let m = digits(b, 5, 2), let d = digits(b, 8, 2),
                  (1...12).contains(m), d >= 1, d <= daysInMonth(y, m) else { return nil }
            var seconds = daysFromCivil(y, m, d) * 86_400
            if b.count == 10 { return (seconds, 0) }
            guard b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: " "), b.count >= 16,
                  let hh = digits(b, 11, 2), let mm = digits(b, 14, 2), b[13] == UInt8(ascii: ":"),
                  hh < 24, mm < 60 else { return nil }
            seconds += Int64(hh * 3600 + mm * 60)
            var i = 16
            if i < b.count, b[i] == UInt8(ascii: ":") {
                guard let ss = digits(b, i + 1, 2), ss < 61 else { return nil }
                seconds += Int64(ss); i += 3
                if i < b.count, b[i] == UInt8(ascii: ".") {   // fractions of a second are dropped
                    i += 1
                    while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }
                }
            }
            if i == b.count { return (seconds, 0) }
            if b[i] == UInt8(ascii: "Z"), i + 1 == b.count { return (seconds, 0) }
            if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"), b.count - i == 6 || b.count - i == 5 {
                let sign: Int64 = b[i] == UInt8(ascii: "+") ? 1 : -1
                guard let oh = digits(b, i + 1, 2), oh < 24 else { return nil }
                if b.count - i == 6 { guard b[i + 3] == UInt8(ascii: ":") else { return nil } }
                let om = b.count - i == 6 ? digits(b, i + 4, 2) : digits(b, i + 3, 2)
                guard let om, om < 60 else { return nil }
                let offset = sign * Int64(oh * 3600 + om * 60)
                return (seconds - offset, offset)
            }
            return nil
        }
        // Digits only: YYYYMMDD (8 digits, as Stooq and MetaStock write days), epoch
        // milliseconds (13 digits), else epoch seconds with an optional sign.
        var i = 0, negative = false
        if b[0] == UInt8(ascii: "-") { negative = true; i = 1 }
        guard i < b.count, b.count - i <= 13 else { return nil }
        var v: Int64 = 0
        while i < b.count {
            guard b[i] >= 48, b[i] <= 57 else { return nil }
            v = v * 10 + Int64(b[i] - 48); i += 1
        }
        if !negative, b.count == 8 {
            let y = Int(v / 10_000), m = Int(v / 100 % 100), d = Int(v % 100)
            guard (1...12).contains(m), d >= 1, d <= daysInMonth(y, m) else { return nil }
            return (daysFromCivil(y, m, d) * 86_400, 0)
        }
        if b.count - (negative ? 1 : 0) == 13 { v = floorDiv(negative ? -v : v, 1000); return (v, 0) }
        return (negative ? -v : v, 0)
    }

    /// A time of day, `HH:MM`, `HH:MM:SS[.fff]` or `HHMMSS` (Stooq), in seconds; nil otherwise.
    public static func parseTimeOfDay(_ text: Substring) -> Int64? {
        let b = Array(text.utf8)
        var hh: Int?, mm: Int?, ss = 0, i = 0
        if b.count >= 5, b[2] == UInt8(ascii: ":") {
            hh = digits(b, 0, 2); mm = digits(b, 3, 2); i = 5
            if i < b.count, b[i] == UInt8(ascii: ":") {
                guard let s = digits(b, 6, 2) else { return nil }
                ss = s; i = 8
                if i < b.count, b[i] == UInt8(ascii: ".") {
                    i += 1
                    while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }
                }
            }
        } else if b.count == 6 {
            hh = digits(b, 0, 2); mm = digits(b, 2, 2)
            guard let s = digits(b, 4, 2) else { return nil }
            ss = s; i = 6
        }
        guard i == b.count, let hh, let mm, hh < 24, mm < 60, ss < 61 else { return nil }
        return Int64(hh * 3600 + mm * 60 + ss)
    }

    /// `YYYY-MM-DD` for a daily calendar, `YYYY-MM-DDTHH:MM:SSZ` otherwise.
    public static func format(_ t: Int64, daily: Bool) -> String {
        let days = floorDiv(t, 86_400)
        let (y, m, d) = civilFromDays(days)
        let date = "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
        if daily { return date }
        let s = Int(t - days * 86_400)
        return date + "T\(pad(s / 3600, 2)):\(pad(s / 60 % 60, 2)):\(pad(s % 60, 2))Z"
    }

    /// Bars per year from the spacing of a calendar.
    ///
    /// Daily-or-coarser data: 252 when the median gap is under 4 days (trading days),
    /// else 365.25 / gap in days (weekly ≈ 52, monthly ≈ 12). Intraday data: 252 × the median
    /// number of bars per calendar day.
    public static func barsPerYear(_ t: [Int64]) -> Double {
        guard t.count >= 2 else { return 252 }
        var gaps = zip(t.dropFirst(), t).map { $0 - $1 }
        gaps.sort()
        let median = Double(gaps[gaps.count / 2])
        if median >= 86_400 {
            let days = median / 86_400
            return days < 4 ? 252 : 365.25 / days
        }
        var perDay: [Int] = []
        var day = floorDiv(t[0], 86_400), n = 0
        for x in t {
            let d = floorDiv(x, 86_400)
            if d != day { perDay.append(n); n = 0; day = d }
            n += 1
        }
        perDay.append(n)
        perDay.sort()
        return 252 * Double(perDay[perDay.count / 2])
    }

    // MARK: - civil-date arithmetic (proleptic Gregorian, days since 1970-01-01)

    public static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int64 {
        let y = Int64(m <= 2 ? y0 - 1 : y0)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64((m + 9) % 12)
        let doy = (153 * mp + 2) / 5 + Int64(d) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public static func civilFromDays(_ z0: Int64) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (Int(yoe + era * 400 + (m <= 2 ? 1 : 0)), Int(m), Int(d))
    }

    /// 0 = Monday … 6 = Sunday.
    public static func weekday(days: Int64) -> Int { Int(((days % 7) + 7 + 3) % 7) }

    static func daysInMonth(_ y: Int, _ m: Int) -> Int {
        switch m {
        case 2: return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// ⌊a / b⌋ for b > 0. `(a + 1) / b − 1` for a negative `a` cannot overflow; `−a + b − 1`
    /// did near Int64.min (a Parquet TIMESTAMP of Int64.min trapped).
    public static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : (a + 1) / b - 1 }

    private static func digits(_ b: [UInt8], _ at: Int, _ n: Int) -> Int? {
        guard at + n <= b.count else { return nil }
        var v = 0
        for i in at ..< at + n {
            guard b[i] >= 48, b[i] <= 57 else { return nil }
            v = v * 10 + Int(b[i] - 48)
        }
        return v
    }

    private static func pad(_ v: Int, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
