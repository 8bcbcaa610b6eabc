extension Metrics {
    /// The metric names, as in summary.json (`Metrics.info`'s keys, in report order).
    public static var names: [String] { info.map(\.key) }

    /// A metric by its summary.json name (NaN when unknown).
    public func value(_ name: String) -> Double { Metrics.info(name)?.value(self) ?? .nan }
}
