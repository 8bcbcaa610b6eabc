import Foundation
import LunarData

/// Intraday data on a New York clock for the timeframe tests: 30-minute bars from 08:00 to
/// 17:30 local (pre- and after-market included, so `session = "09:30-16:00"` has bars to
/// drop), weekdays from Monday 4 March 2024, so the run crosses the spring DST change of
/// 10 March; Good Friday (29 March) is a holiday. Seeded random walks.
public enum Intraday {
    public static let timezone = "America/New_York"
    public static let session = "09:30-16:00"

    /// UTC timestamps of every bar.
    public static func timestamps(days: Int) -> [Int64] {
        var out: [Int64] = []
        var d = Calendar.daysFromCivil(2024, 3, 4)
        var sessions = 0
        while sessions < days {
            defer { d += 1 }
            if Calendar.weekday(days: d) >= 5 || d == Calendar.daysFromCivil(2024, 3, 29) { continue }
            // Eastern time is UTC−5 until 10 March, UTC−4 after.
            let offset: Int64 = d < Calendar.daysFromCivil(2024, 3, 10) ? 5 : 4
            for k in 0 ..< 20 { out.append(d * 86_400 + (8 + offset) * 3600 + Int64(k * 1800)) }
            sessions += 1
        }
        return out
    }

    public static func panel(symbols: Int = 3, days: Int = 20, seed: UInt64 = 7) -> Panel {
        let t = timestamps(days: days)
        var rng = SplitMix64(seed: seed)
        var fields: [String: [Double]] = [:]
        for f in Panel.standardFields { fields[f] = [] }
        for _ in 0 ..< symbols {
            var p = 50 + 50 * rng.nextUnit()
            for _ in t {
                let o = p
                p *= 1 + 0.004 * rng.nextGaussian()
                fields["open"]!.append(o); fields["close"]!.append(p)
                fields["high"]!.append(max(o, p) * (1 + 0.002 * rng.nextUnit()))
                fields["low"]!.append(min(o, p) * (1 - 0.002 * rng.nextUnit()))
                fields["volume"]!.append(Double(100 + Int(rng.nextUnit() * 900)))
            }
        }
        return try! Panel(symbols: (0 ..< symbols).map { "I\($0)" }, timestamps: t, fields: fields)
    }

    /// `panel` as a long CSV in `dir` (for runs replayed from their recorded data path).
    public static func csv(in dir: String, symbols: Int = 3, days: Int = 20) -> String {
        let p = panel(symbols: symbols, days: days)
        var text = "symbol,date,open,high,low,close,volume\n"
        for s in 0 ..< p.symbolCount {
            for t in 0 ..< p.barCount {
                let i = s * p.barCount + t
                text += "\(p.symbols[s]),\(Calendar.format(p.timestamps[t], daily: false))"
                for f in Panel.standardFields { text += ",\(p.values(f)![i])" }
                text += "\n"
            }
        }
        return Fixtures.write(text, "intraday.csv", in: dir)
    }
}
