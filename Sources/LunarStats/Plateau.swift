/// How much of a sweep's best score its neighbours share: the metric averaged over the best
/// combination's neighbourhood in the grid (every combination at most one step away along
/// each parameter, the best included). A best point far above its neighbours is an isolated
/// peak — a fit to noise more often than an edge.
public struct Plateau: Sendable, Equatable {
    /// The neighbourhood's mean metric.
    public let score: Double
    public let best: Double
    public let neighbours: Int
    /// True when the neighbourhood's mean is below the midpoint between the grid's median and
    /// the best: most of the best's advantage over a typical combination is its own.
    public let isolated: Bool

    /// - Parameters:
    ///   - coordinates: per combination, the index of its value along each parameter's axis.
    ///   - metric: per combination; NaN counts as missing.
    ///   - best: the chosen combination.
    public init(coordinates: [[Int]], metric: [Double], best: Int) {
        let here = coordinates[best]
        let near = coordinates.indices.filter { c in
            coordinates[c].count == here.count && zip(coordinates[c], here).allSatisfy { abs($0 - $1) <= 1 } && !metric[c].isNaN
        }
        score = near.reduce(0) { $0 + metric[$1] } / Double(near.count)
        self.best = metric[best]
        neighbours = near.count - 1
        let sorted = metric.filter { !$0.isNaN }.sorted()
        let median = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        isolated = neighbours > 0 && score < median + 0.5 * (self.best - median)
    }
}
