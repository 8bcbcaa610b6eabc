/// Which way a metric is better. Sweeps rank by it, walk-forward chooses by it, and the reports
/// colour and name changes by it.
public enum MetricDirection: String, Sendable, CaseIterable {
    /// A larger value is better.
    case higher
    /// A smaller value is better.
    case lower
    /// Neither is better (how much the strategy trades or how it moves with the benchmark):
    /// ranks larger first, and a change is neither an improvement nor a deterioration.
    case neutral

    /// The direction in words, as the reports say it.
    public var phrase: String {
        switch self {
        case .higher: return "larger is better"
        case .lower: return "smaller is better"
        case .neutral: return "neither is better, larger first"
        }
    }

    /// Whether `a` ranks before `b` (best first; NaN is the caller's business).
    public func ranksBefore(_ a: Double, _ b: Double) -> Bool { self == .lower ? a < b : a > b }

    /// What a change from `before` to `after` is, in this direction.
    public func judge(from before: Double, to after: Double) -> MetricChange {
        guard before != after else { return .same }
        guard !before.isNaN, !after.isNaN, self != .neutral else { return .changed }
        return ranksBefore(after, before) ? .better : .worse
    }
}

/// A change of one metric between two runs, judged in the metric's direction.
public enum MetricChange: String, Sendable {
    case better, worse
    /// Different, but neither better nor worse (a neutral metric, or a value that became NaN).
    case changed
    case same
}

/// What a metric's number measures, and so how it is shown.
public enum MetricUnit: String, Sendable, CaseIterable {
    /// A fraction, shown as a percentage (0.25 → 25.00 %).
    case fraction
    /// A plain number: a ratio or multiple (Sharpe, profit factor, beta, turnover).
    case ratio
    /// A whole number of things (trades).
    case count
    /// A whole number of bars.
    case bars
    /// An amount of cash, in the account's currency.
    case money

    /// Whether the values are whole numbers (summary.json writes them without a fraction).
    public var isInteger: Bool { self == .count || self == .bars }
}

/// One metric: its summary.json key, which way is better, its unit and its definition.
/// `Metrics.info` is the one table of them; `Metrics.fields`, `Metrics.names`,
/// `Metrics.integerKeys`, sweep ranking and every report are derived from it.
public struct MetricInfo: Sendable {
    public let key: String
    public let direction: MetricDirection
    public let unit: MetricUnit
    /// The definition, in Markdown (docs/semantics.md's metrics table is generated from it).
    public let doc: String
    /// The metric's value in a `Metrics`.
    public let value: @Sendable (Metrics) -> Double
    /// Sets the metric in a `Metrics`: how a result read back from a file (a shard's partial
    /// result) becomes the same `Metrics` it was written from.
    public let assign: @Sendable (inout Metrics, Double) -> Void

    init(_ key: String, _ direction: MetricDirection, _ unit: MetricUnit, _ doc: String,
         _ path: WritableKeyPath<Metrics, Double> & Sendable) {
        self.key = key; self.direction = direction; self.unit = unit; self.doc = doc
        value = { $0[keyPath: path] }
        assign = { $0[keyPath: path] = $1 }
    }

    /// A whole-number metric (a count, bars), stored as an `Int`.
    init(_ key: String, _ direction: MetricDirection, _ unit: MetricUnit, _ doc: String,
         _ path: WritableKeyPath<Metrics, Int> & Sendable) {
        self.key = key; self.direction = direction; self.unit = unit; self.doc = doc
        value = { Double($0[keyPath: path]) }
        assign = { $0[keyPath: path] = Int(exactly: $1) ?? 0 }
    }
}

extension Metrics {
    /// The info of the metric named `key` (a summary.json key), or nil.
    public static func info(_ key: String) -> MetricInfo? { infoIndex[key].map { info[$0] } }

    static let infoIndex: [String: Int] = Dictionary(uniqueKeysWithValues: info.enumerated().map { ($0.element.key, $0.offset) })

    /// docs/semantics.md's metrics table, generated from `Metrics.info`.
    public static func markdownTable() -> String {
        func cell(_ s: String) -> String { String(s.flatMap { $0 == "|" ? ["\\", "|"] : [$0] }) }
        var md = "| key | definition | better | unit |\n| --- | --- | --- | --- |\n"
        for m in info {
            md += "| `\(m.key)` | \(cell(m.doc)) | \(m.direction.rawValue) | \(m.unit.rawValue) |\n"
        }
        return md
    }
}
