import LunarSim

/// How every report shows a metric: by its unit (`MetricInfo.unit`). Fractions as percentages
/// with 2 decimals, ratios with 3, money with 2, counts and bars as whole numbers; NaN is "n/a",
/// infinities are "∞" and "−∞".
public enum MetricFormat {
    /// The metric `key`'s value `v` in its unit; `digits` overrides the unit's decimals.
    /// An unknown key is shown as a ratio.
    public static func text(_ key: String, _ v: Double, digits: Int? = nil) -> String {
        text(v, unit: Metrics.info(key)?.unit ?? .ratio, digits: digits)
    }

    /// `v` shown in `unit`.
    public static func text(_ v: Double, unit: MetricUnit, digits: Int? = nil) -> String {
        guard v.isFinite else { return v.isNaN ? "n/a" : (v > 0 ? "∞" : "−∞") }
        let d = digits ?? defaultDigits(unit)
        switch unit {
        case .fraction: return ConsoleSummary.fixed(v * 100, d) + " %"
        case .ratio, .money, .count: return ConsoleSummary.fixed(v, d)
        case .bars: return ConsoleSummary.fixed(v, d) + (d == 0 && abs(v) == 1 ? " bar" : " bars")
        }
    }

    /// A mean of the metric `key` over several runs: as `text`, with one decimal for counts and bars.
    public static func mean(_ key: String, _ v: Double) -> String {
        let unit = Metrics.info(key)?.unit ?? .ratio
        return text(v, unit: unit, digits: unit.isInteger ? 1 : nil)
    }

    /// How the metric `key` ranks, in words ("larger is better"); empty for an unknown key.
    public static func ranking(_ key: String) -> String { Metrics.info(key)?.direction.phrase ?? "" }

    /// Decimals shown for a unit (of a fraction: of its percentage).
    public static func defaultDigits(_ unit: MetricUnit) -> Int {
        switch unit {
        case .fraction, .money: return 2
        case .ratio: return 3
        case .count, .bars: return 0
        }
    }

    /// The change of metric `key` from `before` to `after`: "↑ 1.20 %" (the size in the metric's
    /// unit), and whether it is better or worse in the metric's direction. Nil when either value
    /// is not finite.
    public static func change(_ key: String, from before: Double, to after: Double) -> (text: String, verdict: MetricChange)? {
        let delta = after - before
        guard delta.isFinite else { return nil }
        let direction = Metrics.info(key)?.direction ?? .neutral
        if delta == 0 { return ("=", .same) }
        return ((delta > 0 ? "↑ " : "↓ ") + text(key, abs(delta)), direction.judge(from: before, to: after))
    }

    /// summary.json's text for the metric: whole numbers for counts and bars, null for NaN and
    /// infinities, else the shortest Double that reads back.
    public static func json(_ key: String, _ v: Double) -> String {
        guard v.isFinite else { return "null" }
        return Metrics.info(key)?.unit.isInteger == true ? String(Int(v)) : "\(v)"
    }
}
