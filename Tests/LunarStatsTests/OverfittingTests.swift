import Foundation
import LunarTestSupport
import Testing
import LunarData
@testable import LunarStats

/// PSR, DSR, PBO and the bootstrap's block length against tools/golden/overfitting_golden.py
/// (numpy/scipy from the papers' formulas, and the `arch` package; pinned), plus the
/// bootstrap's coverage by simulation and the plateau score by hand.
@Suite("Overfitting statistics")
struct OverfittingTests {
    static let folder = Fixtures.path("Tests/Fixtures/golden/overfitting")

    static func rows(_ file: String) throws -> [[String: String]] {
        let lines = try String(contentsOfFile: folder + "/" + file, encoding: .utf8).split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: ",").map(String.init)
        return lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0.split(separator: ",").map(String.init))) }
    }

    static func series(_ name: String) throws -> [Double] {
        try String(contentsOfFile: folder + "/series/\(name).csv", encoding: .utf8).split(separator: "\n").map { Double($0)! }
    }

    static func near(_ a: Double, _ b: Double, _ rel: Double = 1e-9) -> Bool { abs(a - b) <= rel * max(abs(a), abs(b), 1e-300) }

    @Test func normalQuantileInvertsTheCDF() {
        #expect(Self.near(Normal.quantile(0.975), 1.959963984540054, 1e-13))
        #expect(Self.near(Normal.quantile(0.001), -3.090232306167813, 1e-12))
        for p in stride(from: 1e-6, to: 1, by: 0.0371) { #expect(Self.near(Normal.cdf(Normal.quantile(p)), p, 1e-12), "\(p)") }
        #expect(Normal.quantile(0) == -.infinity && Normal.quantile(1) == .infinity)
    }

    @Test func probabilisticAndDeflatedSharpeRatiosMatchTheScript() throws {
        let golden = try Self.rows("psr_dsr.csv")
        #expect(golden.count == 18)
        for row in golden {
            let m = ReturnMoments(try Self.series(row["series"]!))
            let benchmark = Double(row["benchmark"]!)!, trials = Int(row["trials"]!)!, variance = Double(row["variance"]!)!
            #expect(Self.near(SharpeInference.probabilistic(m, benchmark: benchmark), Double(row["psr"]!)!), "\(row)")
            let e = SharpeInference.expectedMaximum(trials: trials, variance: variance)
            #expect(Self.near(e, Double(row["expected_max"]!)!, 1e-12) || e == 0, "\(row)")
            #expect(Self.near(SharpeInference.probabilistic(m, benchmark: e), Double(row["dsr"]!)!), "\(row)")
            if benchmark == 0 { #expect(Self.near(SharpeInference.deflated(m, trials: trials, variance: variance), Double(row["dsr"]!)!)) }
        }
    }

    /// quantstats' `probabilistic_sharpe_ratio` is not the paper's: it takes pandas'
    /// bias-corrected skewness G₁ and excess kurtosis G₂ and uses (G₂ − 3)/4, subtracting 3
    /// twice. Its numbers are reproduced from that definition; Lunar keeps the paper's.
    @Test func quantstatsDiffersFromThePaperAndWhy() throws {
        let paper = Dictionary(uniqueKeysWithValues: try Self.rows("psr_dsr.csv")
            .filter { $0["benchmark"] == "0.0" && $0["trials"] == "1" }.map { ($0["series"]!, Double($0["psr"]!)!) })
        for row in try Self.rows("quantstats_psr.csv") {
            let r = try Self.series(row["series"]!), n = Double(r.count)
            let m = ReturnMoments(r), sr = m.sharpe
            let g1 = m.skewness * (n * (n - 1)).squareRoot() / (n - 2)
            let g2 = ((n + 1) * (m.kurtosis - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))
            let theirs = Normal.cdf(sr / ((1 + 0.5 * sr * sr - g1 * sr + (g2 - 3) / 4 * sr * sr) / (n - 1)).squareRoot())
            #expect(Self.near(theirs, Double(row["quantstats_psr"]!)!, 1e-9), "\(row)")
            #expect(Self.near(SharpeInference.probabilistic(m), paper[row["series"]!]!, 1e-9))
        }
    }

    @Test func deflationGrowsWithTheNumberOfTrials() throws {
        let m = ReturnMoments(try Self.series("fat"))
        let d = [1, 10, 100, 10_000].map { SharpeInference.deflated(m, trials: $0, variance: 0.0004) }
        #expect(zip(d, d.dropFirst()).allSatisfy { $0 > $1 })
    }

    static func matrix(_ name: String) throws -> [[Double]] {
        let rows = try String(contentsOfFile: folder + "/series/pbo_\(name).csv", encoding: .utf8).split(separator: "\n")
            .map { $0.split(separator: ",").map { Double($0)! } }
        return (0 ..< rows[0].count).map { n in rows.map { $0[n] } }   // trial-major
    }

    @Test func pboMatchesTheScriptOnNoiseAndOnAPlantedEdge() throws {
        for row in try Self.rows("pbo.csv") {
            let r = try BacktestOverfitting(returns: try Self.matrix(row["case"]!), blocks: Int(row["blocks"]!)!)
            #expect(Self.near(r.probability, Double(row["pbo"]!)!, 1e-12), "\(row)")
            let mean = r.logits.reduce(0, +) / Double(r.logits.count)
            #expect(Self.near(mean, Double(row["logit_mean"]!)!, 1e-9), "\(row)")
            #expect(Self.near(r.logits.min()!, Double(row["logit_min"]!)!) && Self.near(r.logits.max()!, Double(row["logit_max"]!)!))
        }
        // The papers' reading: noise overfits about half the time, a real edge almost never.
        let noise = try BacktestOverfitting(returns: try Self.matrix("noise"))
        let edge = try BacktestOverfitting(returns: try Self.matrix("edge"))
        #expect(noise.probability > 0.3 && edge.probability < 0.05)
        #expect(noise.logits.count == 12_870 && noise.degradation.count == 12_870)   // C(16, 8)
        #expect(throws: StatsError.self) { try BacktestOverfitting(returns: [[1, 2, 3]], blocks: 16) }
    }

    /// The splits run in parallel; the logits are the same bits for any number of workers.
    @Test func pboDoesNotDependOnTheThreadCount() throws {
        var rng = SplitMix64(seed: 5)
        let returns = (0 ..< 37).map { _ in (0 ..< 203).map { _ in Double(rng.next() % 2001) / 1e5 - 0.01 } }
        let one = try BacktestOverfitting(returns: returns, blocks: 10, threads: 1)
        for threads in [2, 3, 8] {
            let many = try BacktestOverfitting(returns: returns, blocks: 10, threads: threads)
            #expect(many.logits.map(\.bitPattern) == one.logits.map(\.bitPattern))
            #expect(many.degradation.map(\.outOfSample.bitPattern) == one.degradation.map(\.outOfSample.bitPattern))
        }
    }

    @Test func automaticBlockLengthMatchesArch() throws {
        for row in try Self.rows("block.csv") {
            let b = StationaryBootstrap.optimalBlock(try Self.series(row["series"]!))
            #expect(Self.near(b, Double(row["block"]!)!, 1e-9), "\(row["series"]!): \(b) vs arch \(row["block"]!)")
        }
    }

    /// 1,000 seeded series with a known Sharpe ratio: the 90 % interval covers it in 85–95 %.
    @Test func bootstrapIntervalsCoverTheTrueSharpe() {
        var rng = SplitMix64(seed: 2016)
        func gaussian() -> Double {
            let u = max(rng.nextUnit(), 1e-300), v = rng.nextUnit()
            return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
        }
        let mu = 0.05, sigma = 1.0, truth = mu / sigma
        var covered = 0
        for trial in 0 ..< 1000 {
            let r = (0 ..< 200).map { _ in mu + sigma * gaussian() }
            let boot = StationaryBootstrap(block: StationaryBootstrap.optimalBlock(r), seed: UInt64(trial))
            let ci = boot.interval(r, level: 0.9, resamples: 200) { ReturnMoments($0).sharpe }
            if ci.low <= truth && truth <= ci.high { covered += 1 }
        }
        #expect((850 ... 950).contains(covered), "covered \(covered) of 1000")
    }

    @Test func resamplesAreSeededAndMadeOfBlocks() {
        let a = StationaryBootstrap(block: 10, seed: 7).indices(n: 100, count: 3)
        #expect(a == StationaryBootstrap(block: 10, seed: 7).indices(n: 100, count: 3))
        #expect(a != StationaryBootstrap(block: 10, seed: 8).indices(n: 100, count: 3))
        // With mean block 10, about 9 in 10 steps continue the block (wrapping at the end).
        let steps = a.flatMap { idx in zip(idx, idx.dropFirst()).map { $1 == ($0 + 1) % 100 } }
        let share = Double(steps.filter { $0 }.count) / Double(steps.count)
        #expect(share > 0.82 && share < 0.97, "\(share)")
    }

    @Test func plateauByHand() {
        // A 5 × 5 grid. A hill: the best (1.2) in the middle, its ring of neighbours at 1.0–1.1,
        // the outer ring at 0; then the same grid flat at 0 but for a spike of 3 in the middle.
        let coords = (0 ..< 5).flatMap { i in (0 ..< 5).map { j in [i, j] } }
        func grid(_ value: (Int, Int) -> Double) -> [Double] { coords.map { value($0[0], $0[1]) } }
        let hill = grid { i, j in i == 2 && j == 2 ? 1.2 : max(abs(i - 2), abs(j - 2)) == 1 ? (i == 2 || j == 2 ? 1.1 : 1.0) : 0 }
        let p = Plateau(coordinates: coords, metric: hill, best: 12)
        #expect(p.neighbours == 8 && abs(p.score - (1.2 + 4 * 1.1 + 4 * 1.0) / 9) < 1e-12 && p.best == 1.2 && !p.isolated)
        let spike = grid { i, j in i == 2 && j == 2 ? 3 : 0 }
        let q = Plateau(coordinates: coords, metric: spike, best: 12)
        #expect(q.neighbours == 8 && abs(q.score - 3.0 / 9) < 1e-12 && q.isolated)
        // At a corner the neighbourhood is 4 points, the best included.
        #expect(Plateau(coordinates: coords, metric: spike, best: 0).neighbours == 3)
    }
}
