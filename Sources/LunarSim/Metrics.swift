/// Performance figures of one equity curve and its trades. See docs/semantics.md, "Metrics".
public struct Metrics: Sendable, Equatable {
    public var totalReturn: Double
    public var cagr: Double
    public var volatility: Double
    public var sharpe: Double
    /// The deepest fall from a running peak, as a negative fraction (−0.25 = 25 % below the peak).
    public var maxDrawdown: Double
    /// Closed plus open trades (vectorbt's count).
    public var trades: Int
    public var openTrades: Int
    /// Share of closed trades with pnl > 0; NaN without closed trades.
    public var winRate: Double
    public var finalEquity: Double

    /// Name and value of each figure, in report order, keys in snake_case.
    public var fields: [(String, Double)] {
        [("total_return", totalReturn), ("cagr", cagr), ("volatility", volatility), ("sharpe", sharpe),
         ("max_drawdown", maxDrawdown), ("trades", Double(trades)), ("open_trades", Double(openTrades)),
         ("win_rate", winRate), ("final_equity", finalEquity)]
    }

    /// - Parameters:
    ///   - equity: the account value after each bar.
    ///   - initial: the value before the first bar.
    ///   - barsPerYear: annualization factor from the calendar's spacing.
    public static func compute(equity: [Double], initial: Double, trades: [Trade], barsPerYear: Double) -> Metrics {
        let T = equity.count
        let final = equity.last ?? initial
        let total = final / initial - 1
        // Bar returns, the first one against the initial value (as vectorbt does).
        var mean = 0.0, n = 0.0
        var prev = initial
        for v in equity { mean += v / prev - 1; prev = v; n += 1 }
        mean = n > 0 ? mean / n : .nan
        var ss = 0.0
        prev = initial
        for v in equity { let d = (v / prev - 1) - mean; ss += d * d; prev = v }
        let std = n > 1 ? (ss / (n - 1)).squareRoot() : .nan
        let years = Double(T) / barsPerYear
        let cagr = T == 0 ? .nan : (final <= 0 ? -1 : _pow(final / initial, 1 / years) - 1)
        var peak = -Double.infinity, mdd = 0.0
        for v in equity {
            if v > peak { peak = v }
            let dd = v / peak - 1
            if dd < mdd { mdd = dd }
        }
        let closed = trades.filter { !$0.isOpen }
        let wins = closed.filter { $0.pnl > 0 }.count
        return Metrics(
            totalReturn: total,
            cagr: cagr,
            volatility: std * barsPerYear.squareRoot(),
            sharpe: std > 0 ? mean / std * barsPerYear.squareRoot() : .nan,
            maxDrawdown: mdd,
            trades: trades.count,
            openTrades: trades.count - closed.count,
            winRate: closed.isEmpty ? .nan : Double(wins) / Double(closed.count),
            finalEquity: final)
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func _pow(_ a: Double, _ b: Double) -> Double { Glibc.pow(a, b) }
#else
import Darwin
@inline(__always) func _pow(_ a: Double, _ b: Double) -> Double { Darwin.pow(a, b) }
#endif
