// What a simulation returns: per-symbol runs, their trades, and the portfolio curve.

/// Why a trade ended.
public enum ExitReason: String, Sendable, CaseIterable {
    case signal
    case stopLoss = "sl", stopLossGap = "sl_gap"
    case takeProfit = "tp", takeProfitGap = "tp_gap"
    case trailingStop = "trail", trailingStopGap = "trail_gap"
    /// An opposite entry with `reverse = true`.
    case reverse
    /// A target position or weight brought it back to zero.
    case rebalance
    /// Still open at the end of the data (marked to market).
    case open
    /// The symbol's data ended before the calendar's: closed at its last bar, at the delisting
    /// file's price or that bar's close.
    case delisted
    /// The symbol left the universe (membership list) while the position was open.
    case leftUniverse = "left_universe"
    /// `flat_at = "session_end"`: closed at the close of the session's last bar.
    case sessionEnd = "session_end"
}

/// One round trip from flat to flat (or an open position at the end of the data).
public struct Trade: Sendable, Equatable {
    public var symbol: Int
    public var entryBar: Int
    /// The exit bar; for an open trade, the last bar (where it is marked to market).
    public var exitBar: Int
    /// Average entry fill (Σ units·price / Σ units, as vectorbt reports it).
    public var entryPrice: Double
    /// Average exit fill; for an open trade, the last valid close for what is still held.
    public var exitPrice: Double
    /// Units entered (always positive; see `isShort`).
    public var size: Double
    public var isShort: Bool
    public var entryFees: Double
    public var exitFees: Double
    /// Net of both fees, dividends included.
    public var pnl: Double
    /// pnl / entry value (size × entry price), as vectorbt reports it.
    public var returnFraction: Double
    public var isOpen: Bool
    public var exitReason: ExitReason
    /// Dividends received (paid, for a short) while the trade was open; included in `pnl`.
    public var dividends = 0.0

    public init(symbol: Int, entryBar: Int, exitBar: Int, entryPrice: Double, exitPrice: Double, size: Double,
                isShort: Bool = false, entryFees: Double, exitFees: Double, pnl: Double, returnFraction: Double,
                isOpen: Bool, exitReason: ExitReason = .signal) {
        self.symbol = symbol; self.entryBar = entryBar; self.exitBar = exitBar; self.entryPrice = entryPrice
        self.exitPrice = exitPrice; self.size = size; self.isShort = isShort; self.entryFees = entryFees
        self.exitFees = exitFees; self.pnl = pnl; self.returnFraction = returnFraction; self.isOpen = isOpen
        self.exitReason = exitReason
    }
}

/// The result for one symbol: its (sub-)account's value at each bar and its trades.
public struct SymbolRun: Sendable {
    /// The sub-account's value after each bar; in a shared portfolio, the whole starting capital
    /// plus this symbol's P&L (so its return is its contribution to the portfolio's).
    public var equity: [Double]
    public var trades: [Trade]
    public var initialCapital: Double
    public var feesPaid = 0.0
    /// Σ |units × fill price| over every order.
    public var tradedValue = 0.0
    /// Bars that ended with a non-zero position.
    public var barsInMarket = 0
    /// Orders dropped because their fill price was NaN (see docs/semantics.md).
    public var skippedOrders = 0
    /// Dividends credited (negative: paid on shorts), in cash.
    public var dividends = 0.0
    /// The equity curve's drawdown, when the loop that wrote the curve tracked it.
    var drawdown: Drawdown? = nil

    public init(equity: [Double], trades: [Trade], initialCapital: Double) {
        self.equity = equity; self.trades = trades; self.initialCapital = initialCapital
    }

    public var closedTrades: Int { trades.lazy.filter { !$0.isOpen }.count }
}

/// The whole simulation's result.
public struct SimulationResult: Sendable {
    public var runs: [SymbolRun]
    /// The portfolio's value after each bar.
    public var equity: [Double]
    public var mode: CapitalMode
    /// Bars on which a target portfolio was traded (shared mode).
    public var rebalances: Int
    /// Each symbol's metrics, when `run` was given a `measure` function and could apply it
    /// while the symbol's equity was still in cache (independent sub-accounts).
    public var symbolMetrics: [Metrics]? = nil
}
