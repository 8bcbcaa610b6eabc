import LunarSim

/// The watch loop's summary: each metric now, beside the previous run's, with the change.
public enum ComparisonTable {
    public static func render(current: Metrics, previous: Metrics?, color: Bool) -> String {
        let old = previous.map { Dictionary(uniqueKeysWithValues: $0.fields) } ?? [:]
        var out = "metric               now           before         change\n"
        for (key, value) in current.fields {
            let before = old[key]
            var line = ConsoleSummary.pad(key, 16) + ConsoleSummary.leftPad(format(key, value), 12)
            if let before {
                line += "  " + ConsoleSummary.leftPad(format(key, before), 14)
                let delta = value - before
                if delta.isFinite && delta != 0 {
                    let up = delta > 0
                    // Drawdowns are negative: a rise is an improvement for every metric shown.
                    let arrow = up ? "↑" : "↓"
                    let text = "\(arrow) " + format(key, abs(delta), signed: false)
                    line += "  " + (color ? (up ? "\u{1B}[32m" : "\u{1B}[31m") + text + "\u{1B}[0m" : text)
                } else if delta == 0 {
                    line += "  ="
                }
            }
            out += line + "\n"
        }
        return out
    }

    static func format(_ key: String, _ v: Double, signed: Bool = true) -> String {
        switch key {
        case "trades", "open_trades": return v.isFinite ? String(Int(v)) : "n/a"
        case "sharpe": return ConsoleSummary.fixed(v, 3)
        case "final_equity": return ConsoleSummary.fixed(v, 2)
        default: return ConsoleSummary.percent(v)
        }
    }
}
