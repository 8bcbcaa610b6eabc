import Foundation
import LunarData

/// A tree-structured Parzen estimator (Bergstra, Bardenet, Bengio & Kégl 2011) over a sweep's
/// grid, seeded and reproducible. No Swift library offers one, so it is written here.
///
/// After `startup` random combinations, each round splits the scored ones at the `gamma`
/// quantile into good and bad, models each parameter independently under both — a Gaussian
/// Parzen window over the positions of an ordered (numeric) axis, smoothed counts over a choice
/// list — draws candidates from the good model and proposes the `batch` with the largest
/// l(x)/g(x) that satisfy the constraint and were not tried — the untried grid neighbours of
/// the best few compete with the draws on the same ratio, since on a grid the good model's
/// mode is often one step from a tried point. Batches are scored together, so the fused
/// engine still shares work across a batch's combinations.
public struct TPESearch: Sendable {
    public var space: [ParamSpace]
    public var trials: Int
    public var seed: UInt64
    public var startup = 10
    public var batch = 8
    public var gamma = 0.15
    public var candidates = 64

    public init(space: [ParamSpace], trials: Int, seed: UInt64) {
        self.space = space; self.trials = trials; self.seed = seed
    }

    /// Runs the search. `allowed` is the `--where` constraint; `score` evaluates a batch and
    /// returns one value per combination, larger better (NaN: worst). Returns every combination
    /// tried, in order, with its score.
    public func run(allowed: ([(name: String, value: String)]) throws -> Bool,
                    score: ([[(name: String, value: String)]]) throws -> [Double]) throws -> [(combo: [Int], score: Double)] {
        var rng = SplitMix64(seed: seed)
        let sizes = space.map(\.values.count)
        let total = sizes.reduce(1.0) { $0 * Double($1) }
        let numeric = space.map { p in p.values.allSatisfy { Double($0) != nil } }
        var tried: [(combo: [Int], score: Double)] = []
        var seen = Set<[Int]>()
        func named(_ c: [Int]) -> [(name: String, value: String)] { zip(space, c).map { (name: $0.name, value: $0.values[$1]) } }
        /// A fresh allowed combination drawn by `draw`, or nil after many misses (grid exhausted).
        func fresh(_ draw: () -> [Int]) throws -> [Int]? {
            for _ in 0 ..< 2000 {
                let c = draw()
                if seen.contains(c) { continue }
                if try allowed(named(c)) { return c }
                seen.insert(c)   // refused by the constraint: never ask again
            }
            return nil
        }
        while tried.count < trials && Double(seen.count) < total {
            let want = min(batch, trials - tried.count)
            var proposals: [[Int]] = []
            if tried.count < startup {
                for _ in 0 ..< want {
                    guard let c = try fresh({ sizes.map { rng.below($0) } }) else { break }
                    seen.insert(c); proposals.append(c)
                }
            } else {
                let ranked = tried.sorted { a, b in a.score.isNaN != b.score.isNaN ? !a.score.isNaN : a.score > b.score }
                let nGood = max(1, Int((gamma * Double(ranked.count)).rounded(.up)))
                let good = ranked.prefix(nGood).map(\.combo), bad = ranked.dropFirst(nGood).map(\.combo)
                let l = space.indices.map { d in density(good.map { $0[d] }, size: sizes[d], ordered: numeric[d]) }
                let g = space.indices.map { d in density(bad.map { $0[d] }, size: sizes[d], ordered: numeric[d]) }
                var pool: [(combo: [Int], ratio: Double)] = []
                func consider(_ c: [Int]) {
                    let ratio = space.indices.reduce(0.0) { $0 + log(l[$1][c[$1]]) - log(g[$1][c[$1]]) }
                    if !pool.contains(where: { $0.combo == c }) { pool.append((c, ratio)) }
                }
                for _ in 0 ..< candidates * want {
                    guard let c = try fresh({ l.map { sample($0, &rng) } }) else { break }
                    consider(c)
                }
                // On a grid the good model's mode is often one step from a tried point: the
                // untried neighbours of the best few compete on the same l/g ratio.
                for best in good.prefix(3) {
                    for d in space.indices {
                        for step in [-1, 1] where best[d] + step >= 0 && best[d] + step < sizes[d] {
                            var c = best; c[d] += step
                            if !seen.contains(c), try allowed(named(c)) { consider(c) }
                        }
                    }
                }
                for p in pool.sorted(by: { $0.ratio > $1.ratio }).prefix(want) { seen.insert(p.combo); proposals.append(p.combo) }
            }
            guard !proposals.isEmpty else { break }
            let scores = try score(proposals.map(named))
            tried += zip(proposals, scores).map { ($0, $1) }
        }
        return tried
    }

    /// A density over 0..<size from observed positions: for an ordered axis, Gaussian kernels
    /// whose width is the distance to the neighbouring observations (at least size/min(100, n+1))
    /// plus a flat prior of one observation's weight; for a choice list, counts plus one.
    func density(_ xs: [Int], size: Int, ordered: Bool) -> [Double] {
        var p = [Double](repeating: 1, count: size)    // the prior
        if ordered && size > 1 {
            let sorted = xs.sorted()
            let floor = Double(size - 1) / Double(min(100, xs.count + 1))
            for (i, x) in sorted.enumerated() {
                let left = i > 0 ? Double(x - sorted[i - 1]) : Double(x)
                let right = i + 1 < sorted.count ? Double(sorted[i + 1] - x) : Double(size - 1 - x)
                let sigma = min(Double(size - 1), max(floor, max(left, right), 0.5))
                var w = [Double](repeating: 0, count: size)
                for k in 0 ..< size { let z = (Double(k) - Double(x)) / sigma; w[k] = exp(-0.5 * z * z) }
                let s = w.reduce(0, +)
                for k in 0 ..< size { p[k] += Double(size) * w[k] / s }
            }
        } else {
            for x in xs { p[x] += Double(size) }
        }
        let total = p.reduce(0, +)
        return p.map { $0 / total }
    }

    func sample(_ p: [Double], _ rng: inout SplitMix64) -> Int {
        var u = rng.nextUnit(), k = 0
        while k < p.count - 1 && u >= p[k] { u -= p[k]; k += 1 }
        return k
    }
}
