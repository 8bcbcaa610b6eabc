/// The portfolio's equity and the equal-weight benchmark summed tile by tile (a run under
/// `--memory-budget` sees a few symbols at a time), to the same bits as `Simulator.sumEquity`
/// and `Metrics.equalWeightBenchmark` over the whole universe. Both sum fixed groups of
/// symbols, then add the groups' sums in order starting from zero; so a tile made of whole
/// groups adds each group's sum to the running total as it completes, and the order of every
/// addition is unchanged. Tiles must be multiples of `tileMultiple` symbols (the last may be
/// shorter) and come in symbol order.
public struct StreamingSums: Sendable {
    /// Both group sizes divide it.
    public static let tileMultiple = 32
    public let bars: Int
    public private(set) var equity: [Double]
    private var holdings: [Double]
    /// Symbols with a valid close so far (the benchmark's divisor).
    private var used = 0
    public private(set) var symbols = 0

    public init(bars: Int) {
        self.bars = bars
        equity = [Double](repeating: 0, count: bars)
        holdings = [Double](repeating: 0, count: bars)
    }

    /// Adds a tile's sub-accounts (their equity curves), group by group.
    public mutating func add(runs: [SymbolRun]) {
        let T = bars, group = Simulator.equityGroup
        var partial = [Double](repeating: 0, count: T)
        for start in stride(from: 0, to: runs.count, by: group) {
            for t in 0 ..< T { partial[t] = 0 }
            partial.withUnsafeMutableBufferPointer { p in
                for s in start ..< min(runs.count, start + group) {
                    runs[s].equity.withUnsafeBufferPointer { Simulator.addEquity($0, into: p.baseAddress!) }
                }
            }
            for t in 0 ..< T { equity[t] += partial[t] }
        }
    }

    /// Adds a tile's closes (symbol-major, `count × bars`) to the equal-weight benchmark.
    public mutating func add(closes close: [Double], count: Int) {
        let T = bars, group = Metrics.benchmarkGroup
        var partial = [Double](repeating: 0, count: T)
        close.withUnsafeBufferPointer { c in
            for start in stride(from: 0, to: count, by: group) {
                for t in 0 ..< T { partial[t] = 0 }
                partial.withUnsafeMutableBufferPointer { p in
                    for s in start ..< min(count, start + group) {
                        let row = c.baseAddress! + s * T
                        let first = Metrics.firstValid(row, bars: T)
                        if first >= 0 { used += 1 }
                        Metrics.addHolding(row, from: first, bars: T, into: p.baseAddress!)
                    }
                }
                for t in 0 ..< T { holdings[t] += partial[t] }
            }
        }
        symbols += count
    }

    /// The equal-weight benchmark of every close added (value starts at 1).
    public var benchmark: [Double] {
        guard used > 0 else { return [Double](repeating: 0, count: bars) }
        let d = Double(used)
        return holdings.map { $0 / d }
    }
}
