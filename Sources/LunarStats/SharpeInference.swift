import Foundation

/// The moments of a return series the Sharpe-ratio tests read. Sample mean and standard
/// deviation (divisor n − 1), and the biased (population) skewness and Pearson kurtosis
/// (3 for a normal), as in Bailey & López de Prado (2012) and scipy's `skew`/`kurtosis(fisher=False)`.
public struct ReturnMoments: Sendable, Equatable {
    public let count: Int
    public let mean: Double
    public let std: Double
    public let skewness: Double
    public let kurtosis: Double
    /// mean / std, per period (not annualized).
    public var sharpe: Double { mean / std }

    /// NaN values are skipped.
    public init(_ returns: [Double]) {
        let r = returns.filter { !$0.isNaN }
        let n = Double(r.count)
        count = r.count
        mean = r.reduce(0, +) / n
        var m2 = 0.0, m3 = 0.0, m4 = 0.0
        for x in r { let d = x - mean; m2 += d * d; m3 += d * d * d; m4 += d * d * d * d }
        std = (m2 / (n - 1)).squareRoot()
        let pop = m2 / n
        skewness = (m3 / n) / pow(pop, 1.5)
        kurtosis = (m4 / n) / (pop * pop)
    }
}

/// The Probabilistic and Deflated Sharpe Ratios.
public enum SharpeInference {
    /// PSR(SR*) = Φ((SR̂ − SR*)·√(n − 1) / √(1 − γ₃·SR̂ + (γ₄ − 1)/4·SR̂²)) — the probability
    /// that the true Sharpe ratio exceeds `benchmark` (per period, like SR̂), given the sample's
    /// skewness γ₃ and kurtosis γ₄ (Bailey & López de Prado 2012, eq. 11).
    public static func probabilistic(_ m: ReturnMoments, benchmark: Double = 0) -> Double {
        let sr = m.sharpe
        let spread = 1 - m.skewness * sr + (m.kurtosis - 1) / 4 * sr * sr
        guard m.count > 1, sr.isFinite, spread > 0 else { return .nan }
        return Normal.cdf((sr - benchmark) * Double(m.count - 1).squareRoot() / spread.squareRoot())
    }

    /// The expected maximum Sharpe ratio of `trials` independent trials whose estimated Sharpe
    /// ratios have variance `variance`, under the null of no skill:
    /// SR₀ = √V·((1 − γ)·Φ⁻¹(1 − 1/N) + γ·Φ⁻¹(1 − 1/(N·e))), γ the Euler–Mascheroni constant
    /// (Bailey & López de Prado 2014, eq. 2). 0 for a single trial.
    public static func expectedMaximum(trials: Int, variance: Double) -> Double {
        guard trials > 1 else { return 0 }
        let gamma = 0.5772156649015329, n = Double(trials)
        return variance.squareRoot() * ((1 - gamma) * Normal.quantile(1 - 1 / n) + gamma * Normal.quantile(1 - 1 / (n * M_E)))
    }

    /// DSR = PSR(SR₀): the chosen trial's PSR against the Sharpe ratio the best of `trials`
    /// unskilled trials would reach by luck.
    public static func deflated(_ m: ReturnMoments, trials: Int, variance: Double) -> Double {
        probabilistic(m, benchmark: expectedMaximum(trials: trials, variance: variance))
    }

    /// The sample variance (divisor n − 1) of the trials' per-period Sharpe ratios.
    public static func variance(ofSharpes sharpes: [Double]) -> Double {
        let s = sharpes.filter(\.isFinite)
        guard s.count > 1 else { return 0 }
        let mean = s.reduce(0, +) / Double(s.count)
        return s.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(s.count - 1)
    }
}
