import Foundation

/// Where and when the exchange trades: its time zone (which fixes the day a bar belongs to)
/// and, optionally, its regular session (bars outside it are dropped). Daily data carry dates,
/// not instants, so the zone does not move them.
public struct TradingHours: Sendable, Hashable, CustomStringConvertible {
    /// An IANA time zone name ("America/New_York"); "UTC" by default.
    public var timezone: String
    public var session: SessionHours?

    public init(timezone: String = "UTC", session: SessionHours? = nil) {
        self.timezone = timezone; self.session = session
    }

    public var description: String { timezone + (session.map { " \($0)" } ?? "") }

    /// Whether `name` is a time zone this machine knows (the tz database under /usr/share/zoneinfo).
    /// A name is a path into that database, so one that could leave it is refused outright.
    public static func isKnownZone(_ name: String) -> Bool {
        if name == "UTC" { return true }
        guard !name.isEmpty, !name.hasPrefix("/"), !name.contains(".."), name.count <= 64 else { return false }
        return TimeZone(identifier: name) != nil
    }

    /// Close matches for an unknown zone name.
    public static func zoneSuggestions(_ name: String) -> [String] {
        closestMatches(to: name, in: TimeZone.knownTimeZoneIdentifiers + ["UTC"])
    }

    /// Local wall-clock seconds (since 1970-01-01 local) of every timestamp: UTC plus the zone's
    /// offset at that instant (daylight saving included). Daily data are returned unchanged.
    public func localSeconds(_ timestamps: [Int64], daily: Bool) -> [Int64] {
        guard !daily, timezone != "UTC", let zone = TimeZone(identifier: timezone) else { return timestamps }
        var out = [Int64](repeating: 0, count: timestamps.count)
        // The offset only changes at a transition, so it is looked up once per stretch between two.
        var offset: Int64 = 0, validUntil = Int64.min
        for (i, t) in timestamps.enumerated() {
            if t >= validUntil || validUntil == Int64.min {
                let date = Date(timeIntervalSince1970: TimeInterval(t))
                offset = Int64(zone.secondsFromGMT(for: date))
                validUntil = zone.nextDaylightSavingTimeTransition(after: date).map { Int64($0.timeIntervalSince1970) } ?? Int64.max
            }
            out[i] = t + offset
        }
        return out
    }
}

/// Regular trading hours in local time, `HH:MM-HH:MM`; a bar belongs to the session when its
/// start time of day is in [start, end).
public struct SessionHours: Sendable, Hashable, CustomStringConvertible {
    /// Seconds since local midnight.
    public let start: Int64
    public let end: Int64

    /// Parses `09:30-16:00`; nil for anything else, or a session that does not end after it
    /// starts on the same day (overnight sessions are not supported).
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ $0.count == 5 }),
              let a = Calendar.parseTimeOfDay(parts[0].trimmingCharacters(in: .whitespaces)[...]),
              let b = Calendar.parseTimeOfDay(parts[1].trimmingCharacters(in: .whitespaces)[...]) ?? (parts[1] == "24:00" ? 86_400 : nil),
              a < b else { return nil }
        start = a; end = b
    }

    public var description: String {
        func hm(_ s: Int64) -> String { (s / 3600 < 10 ? "0" : "") + "\(s / 3600):" + (s / 60 % 60 < 10 ? "0" : "") + "\(s / 60 % 60)" }
        return "\(hm(start))-\(hm(end))"
    }

    public func contains(timeOfDay s: Int64) -> Bool { s >= start && s < end }
}
