import LunarSim

/// The watch loop's summary: each metric now, beside the previous run's, with the change. Values
/// are in each metric's unit (`MetricFormat`); with colour, a change is green when it is better in
/// the metric's own direction, red when worse, and plain for a neutral metric.
public enum ComparisonTable {
    public static func render(current: Metrics, previous: Metrics?, color: Bool) -> String {
        var out = "metric               now           before         change\n"
        for info in Metrics.info {
            let value = info.value(current)
            var line = ConsoleSummary.pad(info.key, 16) + ConsoleSummary.leftPad(MetricFormat.text(info.key, value), 12)
            if let previous {
                let before = info.value(previous)
                line += "  " + ConsoleSummary.leftPad(MetricFormat.text(info.key, before), 14)
                if let (text, verdict) = MetricFormat.change(info.key, from: before, to: value) {
                    line += "  " + paint(text, verdict, color: color)
                }
            }
            out += line + "\n"
        }
        return out
    }

    static func paint(_ text: String, _ verdict: MetricChange, color: Bool) -> String {
        guard color else { return text }
        switch verdict {
        case .better: return "\u{1B}[32m" + text + "\u{1B}[0m"
        case .worse: return "\u{1B}[31m" + text + "\u{1B}[0m"
        case .changed, .same: return text
        }
    }
}
