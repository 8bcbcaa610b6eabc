import Foundation

/// The Probability of Backtest Overfitting by combinatorially symmetric cross-validation
/// (Bailey, Borwein, López de Prado & Zhu 2016, "The probability of backtest overfitting").
///
/// The T × N matrix of per-period returns (one column per trial) is cut into S equal blocks of
/// rows (the last T mod S rows are left out). For each of the C(S, S/2) ways to pick half the
/// blocks as in-sample, the trial with the best in-sample Sharpe ratio is found, and its
/// out-of-sample Sharpe ratio ranked among all trials' (ranks 1…N, ties averaged): ω = rank /
/// (N + 1), λ = ln(ω / (1 − ω)). PBO is the share of splits with λ ≤ 0 — the best in-sample
/// trial is no better than the median out of sample.
public struct BacktestOverfitting: Sendable {
    /// One λ per split, in the order of the combinations (lexicographic in the block indices).
    public let logits: [Double]
    /// Per split: the chosen trial's in-sample and out-of-sample Sharpe ratio (per period).
    public let degradation: [(inSample: Double, outOfSample: Double)]
    public let blocks: Int

    public var probability: Double { Double(logits.filter { $0 <= 0 }.count) / Double(logits.count) }

    /// - Parameter returns: column-major, `returns[trial][period]`; every trial the same length.
    public init(returns: [[Double]], blocks S: Int = 16) throws {
        let N = returns.count, T = returns.first?.count ?? 0
        guard S >= 2, S % 2 == 0 else { throw StatsError("PBO needs an even number of blocks ≥ 2, got \(S)") }
        guard N >= 2 else { throw StatsError("PBO needs at least 2 trials, got \(N)") }
        guard returns.allSatisfy({ $0.count == T }) else { throw StatsError("PBO: every trial needs the same number of returns") }
        guard T >= 2 * S else { throw StatsError("PBO with \(S) blocks needs at least \(2 * S) returns per trial, got \(T)") }
        let size = T / S
        // Per block and trial: the sums a Sharpe ratio needs, so each split adds blocks up.
        var sum = [[Double]](repeating: [Double](repeating: 0, count: N), count: S)
        var squares = sum
        for b in 0 ..< S {
            for n in 0 ..< N {
                for t in b * size ..< (b + 1) * size { let r = returns[n][t]; sum[b][n] += r; squares[b][n] += r * r }
            }
        }
        let rows = Double(S / 2 * size)
        func sharpe(_ chosen: [Int], _ n: Int) -> Double {
            var s = 0.0, q = 0.0
            for b in chosen { s += sum[b][n]; q += squares[b][n] }
            let mean = s / rows, variance = (q - rows * mean * mean) / (rows - 1)
            return variance > 0 ? mean / variance.squareRoot() : .nan
        }
        var logits: [Double] = [], degradation: [(Double, Double)] = []
        for inSample in Self.combinations(S, S / 2) {
            let outSample = (0 ..< S).filter { !inSample.contains($0) }
            let isSharpe = (0 ..< N).map { sharpe(inSample, $0) }, osSharpe = (0 ..< N).map { sharpe(outSample, $0) }
            var best = 0
            for n in 1 ..< N where isSharpe[n] > isSharpe[best] || (isSharpe[best].isNaN && !isSharpe[n].isNaN) { best = n }
            let x = osSharpe[best]
            let below = osSharpe.filter { $0 < x }.count, equal = osSharpe.filter { $0 == x }.count
            let rank = Double(below) + Double(equal + 1) / 2   // average rank among ties, 1-based
            let omega = rank / Double(N + 1)
            logits.append(log(omega / (1 - omega)))
            degradation.append((isSharpe[best], x))
        }
        self.logits = logits; self.degradation = degradation; blocks = S
    }

    /// Every k-subset of 0..<n, lexicographic.
    static func combinations(_ n: Int, _ k: Int) -> [[Int]] {
        var out: [[Int]] = [], current: [Int] = []
        func walk(_ start: Int) {
            if current.count == k { out.append(current); return }
            guard start < n else { return }
            for i in start ..< n where n - i >= k - current.count {
                current.append(i); walk(i + 1); current.removeLast()
            }
        }
        walk(0)
        return out
    }
}

public struct StatsError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
