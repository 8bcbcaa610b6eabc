import Foundation
import LunarData

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
    /// - Parameter threads: workers over the splits (the result does not depend on it).
    public init(returns: [[Double]], blocks S: Int = 16, threads: Int = defaultThreadCount) throws {
        let N = returns.count, T = returns.first?.count ?? 0
        guard S >= 2, S % 2 == 0 else { throw StatsError("PBO needs an even number of blocks ≥ 2, got \(S)") }
        guard N >= 2 else { throw StatsError("PBO needs at least 2 trials, got \(N)") }
        guard returns.allSatisfy({ $0.count == T }) else { throw StatsError("PBO: every trial needs the same number of returns") }
        guard T >= 2 * S else { throw StatsError("PBO with \(S) blocks needs at least \(2 * S) returns per trial, got \(T)") }
        let size = T / S
        // Per block and trial: the sums a Sharpe ratio needs, so each split adds blocks up.
        // Flat, block-major (`b * N + n`): a split reads its blocks' rows in trial order.
        var sum = [Double](repeating: 0, count: S * N), squares = sum
        for b in 0 ..< S {
            for n in 0 ..< N {
                var s = 0.0, q = 0.0
                for t in b * size ..< (b + 1) * size { let r = returns[n][t]; s += r; q += r * r }
                sum[b * N + n] = s; squares[b * N + n] = q
            }
        }
        let rows = Double(S / 2 * size)
        let splits = Self.combinations(S, S / 2)
        // The splits are independent: each worker fills its own slots, so the result is the same
        // for any thread count (and the same bits as summing split by split).
        var logits = [Double](repeating: 0, count: splits.count)
        var chosen = [(Double, Double)](repeating: (0, 0), count: splits.count)
        sum.withUnsafeBufferPointer { sumBuf in
        squares.withUnsafeBufferPointer { sqBuf in
        logits.withUnsafeMutableBufferPointer { lb in
        chosen.withUnsafeMutableBufferPointer { cb in
            let sums = SharedBuffer(UnsafeMutablePointer(mutating: sumBuf.baseAddress!), count: sumBuf.count)
            let sqs = SharedBuffer(UnsafeMutablePointer(mutating: sqBuf.baseAddress!), count: sqBuf.count)
            let outL = SharedBuffer(lb.baseAddress!, count: lb.count), outC = SharedBuffer(cb.baseAddress!, count: cb.count)
            let groups = min(splits.count, 64)
            parallelFor(chunks: groups, threads: threads) { g in
                var isSharpe = [Double](repeating: 0, count: N), osSharpe = isSharpe
                for k in stride(from: g, to: splits.count, by: groups) {
                    let inSample = splits[k]
                    var member = [Bool](repeating: false, count: S)
                    for b in inSample { member[b] = true }
                    let outSample = (0 ..< S).filter { !member[$0] }
                    func sharpe(_ blocks: [Int], _ n: Int) -> Double {
                        var s = 0.0, q = 0.0
                        for b in blocks { s += sums[b * N + n]; q += sqs[b * N + n] }
                        let mean = s / rows, variance = (q - rows * mean * mean) / (rows - 1)
                        return variance > 0 ? mean / variance.squareRoot() : .nan
                    }
                    for n in 0 ..< N { isSharpe[n] = sharpe(inSample, n); osSharpe[n] = sharpe(outSample, n) }
                    var best = 0
                    for n in 1 ..< N where isSharpe[n] > isSharpe[best] || (isSharpe[best].isNaN && !isSharpe[n].isNaN) { best = n }
                    let x = osSharpe[best]
                    var below = 0, equal = 0
                    for v in osSharpe { if v < x { below += 1 } else if v == x { equal += 1 } }
                    let rank = Double(below) + Double(equal + 1) / 2   // average rank among ties, 1-based
                    let omega = rank / Double(N + 1)
                    outL[k] = log(omega / (1 - omega))
                    outC[k] = (isSharpe[best], x)
                }
            }
        }
        }
        }
        }
        self.logits = logits; degradation = chosen.map { (inSample: $0.0, outOfSample: $0.1) }; blocks = S
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
