extension Metrics {
    /// The metric names, as in summary.json.
    public static var names: [String] {
        Metrics.compute(equity: [1], initial: 1, trades: [], barsPerYear: 252).fields.map(\.0)
    }

    /// A metric by its summary.json name (NaN when unknown).
    public func value(_ name: String) -> Double { fields.first { $0.0 == name }?.1 ?? .nan }
}
