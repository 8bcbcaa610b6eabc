import LunarData

/// Execution and sizing rules. See docs/semantics.md, "Simulator".
public struct SimulationOptions: Sendable {
    /// Total starting capital, split equally across symbols.
    public var capital: Double = 100_000
    /// Fee as a fraction of traded value, paid on entry and on exit.
    public var fees: Double = 0
    public var threads: Int = defaultThreadCount

    public init(capital: Double = 100_000, fees: Double = 0, threads: Int = defaultThreadCount) {
        self.capital = capital; self.fees = fees; self.threads = threads
    }

    public func validate() throws {
        guard capital.isFinite, capital > 0 else { throw SimulationError.badOption("capital must be a positive number, got \(capital)") }
        guard fees.isFinite, fees >= 0, fees < 1 else { throw SimulationError.badOption("fees must be a fraction in [0, 1), got \(fees)") }
    }
}

public enum SimulationError: Error, CustomStringConvertible {
    case badOption(String)
    public var description: String {
        switch self { case .badOption(let m): return m }
    }
}

/// One round trip (or an open position at the end of the data).
public struct Trade: Sendable, Equatable {
    public var symbol: Int
    public var entryBar: Int
    /// The exit bar; for an open trade, the last bar (where it is marked to market).
    public var exitBar: Int
    public var entryPrice: Double
    /// The exit fill; for an open trade, the last valid close.
    public var exitPrice: Double
    public var size: Double
    public var entryFees: Double
    public var exitFees: Double
    /// Net of both fees.
    public var pnl: Double
    /// pnl / entry value (size × entry price), as vectorbt reports it.
    public var returnFraction: Double
    public var isOpen: Bool
}

/// The result for one symbol: its sub-account's value at each bar and its trades.
public struct SymbolRun: Sendable {
    public var equity: [Double]
    public var trades: [Trade]
    public var initialCapital: Double
}

public enum Simulator {
    /// Simulates every symbol's sub-account (in parallel) from entry and exit signals.
    ///
    /// - Parameters:
    ///   - close: symbol-major closes, `symbols × bars`.
    ///   - entries, exits: symbol-major bool series (1 = true; 0 or NaN = false).
    public static func run(close: [Double], entries: [Double], exits: [Double],
                           symbols: Int, bars: Int, options: SimulationOptions) -> [SymbolRun] {
        precondition(close.count == symbols * bars && entries.count == close.count && exits.count == close.count)
        let slice = options.capital / Double(max(symbols, 1))
        var runs = [SymbolRun?](repeating: nil, count: symbols)
        runs.withUnsafeMutableBufferPointer { out in
            let results = SharedBuffer(out.baseAddress!, count: symbols)
            close.withUnsafeBufferPointer { c in
                entries.withUnsafeBufferPointer { en in
                    exits.withUnsafeBufferPointer { ex in
                        let cp = SharedBuffer(UnsafeMutablePointer(mutating: c.baseAddress!), count: c.count)
                        let ep = SharedBuffer(UnsafeMutablePointer(mutating: en.baseAddress!), count: en.count)
                        let xp = SharedBuffer(UnsafeMutablePointer(mutating: ex.baseAddress!), count: ex.count)
                        let chunk = 16
                        parallelFor(chunks: (symbols + chunk - 1) / chunk, threads: options.threads) { k in
                            for s in k * chunk ..< min(symbols, (k + 1) * chunk) {
                                let o = s * bars
                                results[s] = simulateLong(
                                    symbol: s,
                                    close: UnsafeBufferPointer(start: cp.base + o, count: bars),
                                    entries: UnsafeBufferPointer(start: ep.base + o, count: bars),
                                    exits: UnsafeBufferPointer(start: xp.base + o, count: bars),
                                    capital: slice, fees: options.fees)
                            }
                        }
                    }
                }
            }
        }
        return runs.map { $0! }
    }

    /// One symbol, long only, all-in fractional sizing, fills at the signal bar's close.
    ///
    /// An entry while long and an exit while flat are ignored; a bar with both signals takes
    /// neither (vectorbt's default); a bar whose close is NaN takes no order.
    public static func simulateLong(symbol: Int, close: UnsafeBufferPointer<Double>,
                                    entries: UnsafeBufferPointer<Double>, exits: UnsafeBufferPointer<Double>,
                                    capital: Double, fees: Double) -> SymbolRun {
        let T = close.count
        var equity = [Double](repeating: capital, count: T)
        var trades: [Trade] = []
        var cash = capital, shares = 0.0
        var lastPrice = Double.nan
        var open = Trade(symbol: symbol, entryBar: 0, exitBar: 0, entryPrice: 0, exitPrice: 0, size: 0,
                         entryFees: 0, exitFees: 0, pnl: 0, returnFraction: 0, isOpen: true)
        equity.withUnsafeMutableBufferPointer { eq in
            for t in 0 ..< T {
                let price = close[t]
                if !price.isNaN {
                    lastPrice = price
                    let enter = entries[t] == 1, exit = exits[t] == 1
                    if enter != exit {
                        if enter && shares == 0 {
                            let spend = cash / (1 + fees)
                            let fee = cash - spend
                            shares = spend / price
                            cash = 0
                            open = Trade(symbol: symbol, entryBar: t, exitBar: t, entryPrice: price, exitPrice: price,
                                         size: shares, entryFees: fee, exitFees: 0, pnl: 0, returnFraction: 0, isOpen: true)
                        } else if exit && shares > 0 {
                            let proceeds = shares * price
                            let fee = proceeds * fees
                            cash += proceeds - fee
                            open.exitBar = t; open.exitPrice = price; open.exitFees = fee; open.isOpen = false
                            settle(&open)
                            trades.append(open)
                            shares = 0
                        }
                    }
                }
                eq[t] = shares == 0 ? cash : cash + shares * lastPrice
            }
        }
        if shares > 0 {   // marked to market at the last valid close, no exit fee
            open.exitBar = T - 1; open.exitPrice = lastPrice; open.exitFees = 0
            settle(&open)
            trades.append(open)
        }
        return SymbolRun(equity: equity, trades: trades, initialCapital: capital)
    }

    private static func settle(_ t: inout Trade) {
        let cost = t.size * t.entryPrice
        t.pnl = t.size * t.exitPrice - cost - t.entryFees - t.exitFees
        t.returnFraction = t.pnl / cost
    }
}
