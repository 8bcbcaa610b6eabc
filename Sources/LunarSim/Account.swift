// The ledger every fill goes through, in the vectorized loops, the shared portfolio and the
// per-bar path alike: sizing, fees, slippage and trade booking live only here.

/// One symbol's ledger: cash, signed units, the open trade's running sums and the closed trades.
struct Account {
    let symbol: Int
    var cash: Double
    var q = 0.0
    let rate: Double, fixed: Double, slip: Double, integer: Bool, sizing: Sizing
    var trades: [Trade] = []
    var fees = 0.0, traded = 0.0, barsInMarket = 0, skipped = 0
    // The open trade.
    var entryBar = 0, isShort = false
    var entryUnits = 0.0, entryGross = 0.0, entryFees = 0.0
    var exitUnits = 0.0, exitGross = 0.0, exitFees = 0.0
    /// Dividends of the open trade, and of the whole account.
    var tradeDividends = 0.0, dividends = 0.0

    init(symbol: Int, cash: Double, options o: SimulationOptions) {
        self.symbol = symbol; self.cash = cash
        rate = o.fees; fixed = o.fixedFee; slip = o.slippage; integer = o.integerUnits; sizing = o.sizing
    }

    /// Buys (delta > 0) or sells `|delta|` units at `price` paying `fee`, and books the trade.
    mutating func fill(_ delta: Double, price: Double, fee: Double, bar: Int, reason: ExitReason) {
        cash -= delta * price + fee
        fees += fee
        traded += abs(delta) * price
        if q == 0 {
            begin(delta, price: price, fee: fee, bar: bar)
            return
        }
        if (delta > 0) == (q > 0) {   // adding to the position
            entryUnits += abs(delta); entryGross += abs(delta) * price; entryFees += fee
            q += delta
            return
        }
        let closing = min(abs(delta), abs(q))
        let share = closing / abs(delta)
        exitUnits += closing; exitGross += closing * price; exitFees += fee * share
        let before = q
        q += delta
        // Orders that close a position exactly pass delta = −q; guard against a last ulp anyway.
        if abs(q) <= 1e-12 * entryUnits { q = 0 }
        if q == 0 || (q > 0) != (before > 0) {
            let rest = q
            q = 0
            book(exitBar: bar, open: false, reason: reason)
            if rest != 0 { begin(rest, price: price, fee: fee * (1 - share), bar: bar) }
        }
    }

    private mutating func begin(_ delta: Double, price: Double, fee: Double, bar: Int) {
        q = delta; isShort = delta < 0; entryBar = bar
        entryUnits = abs(delta); entryGross = abs(delta) * price; entryFees = fee
        exitUnits = 0; exitGross = 0; exitFees = 0; tradeDividends = 0
    }

    /// Appends the trade; its exit sums must cover all entered units.
    private mutating func book(exitBar: Int, open: Bool, reason: ExitReason) {
        let size = entryUnits
        let entryPrice = entryGross / entryUnits
        let exitPrice = exitGross / exitUnits
        // Same order of operations as vectorbt: (size·exit − size·entry) − fees.
        let gross = isShort ? size * entryPrice - size * exitPrice : size * exitPrice - size * entryPrice
        let pnl = gross - entryFees - exitFees + tradeDividends
        var trade = Trade(symbol: symbol, entryBar: entryBar, exitBar: exitBar, entryPrice: entryPrice, exitPrice: exitPrice,
                          size: size, isShort: isShort, entryFees: entryFees, exitFees: exitFees, pnl: pnl,
                          returnFraction: pnl / (size * entryPrice), isOpen: open, exitReason: reason)
        trade.dividends = tradeDividends
        trades.append(trade)
    }

    /// A split of `ratio` on its ex-date: held units × ratio, and the open trade's unit counts
    /// likewise (its cash amounts stay, so its average prices divide by the ratio).
    mutating func split(_ ratio: Double) {
        guard q != 0 else { return }
        q *= ratio; entryUnits *= ratio; exitUnits *= ratio
    }

    /// Cash per unit on an ex-date: held units receive it, short units pay it.
    mutating func dividend(_ perUnit: Double) {
        guard q != 0 else { return }
        let flow = q * perUnit
        cash += flow; dividends += flow; tradeDividends += flow
    }

    /// The price after slippage for a buy (up) or a sell (down).
    @inline(__always) func slipped(_ ref: Double, buy: Bool) -> Double { slip == 0 ? ref : ref * (buy ? 1 + slip : 1 - slip) }

    /// The fee of an order of `delta` units at `px`. Selling units held long never costs more
    /// than the sale brings in, so a fixed fee above a small position's value cannot push the
    /// cash below zero without shorts (the fee then takes the whole proceeds).
    @inline(__always) func fee(_ delta: Double, at px: Double) -> Double {
        let f = abs(delta) * px * rate + fixed
        return delta < 0 && q > 0 ? min(f, min(-delta, q) * px) : f
    }

    /// Closes the whole position at `ref` (before slippage).
    mutating func close(ref: Double, bar: Int, reason: ExitReason) {
        guard q != 0 else { return }
        let px = slipped(ref, buy: q < 0)
        fill(-q, price: px, fee: fee(-q, at: px), bar: bar, reason: reason)
    }

    /// Closes the whole position at `price` without fees or slippage: a delisting's cash-out.
    mutating func settle(at price: Double, bar: Int, reason: ExitReason) {
        guard q != 0 else { return }
        fill(-q, price: price, fee: 0, bar: bar, reason: reason)
    }

    /// The target fraction a symbol that may not enter trades toward instead of `x`
    /// (`SymbolEvents.towardFlat`); nil when that is what it holds: no trade.
    func reducing(toward x: Double, ref: Double) -> Double? {
        guard q != 0 else { return nil }
        let equity = cash + q * ref
        guard equity > 0 else { return 0 }
        let held = q * ref / equity
        let allowed = SymbolEvents.towardFlat(x, held: held)
        return allowed == held ? nil : allowed
    }

    /// Opens a position sized by the sizing rule; false when the cash buys nothing.
    mutating func openPosition(long: Bool, ref: Double, bar: Int, equity: Double) -> Bool {
        let px = slipped(ref, buy: long)
        let avail = cash
        guard avail > fixed, px > 0 else { return false }
        var units: Double, fee: Double
        if case .units(let u) = sizing {
            units = integer ? u.rounded(.down) : u
            if units * px * (1 + rate) + fixed > avail { units = (avail - fixed) / (px * (1 + rate)) }
            if integer { units = units.rounded(.down) }
            fee = units * px * rate + fixed
        } else {
            let budget: Double
            switch sizing {
            case .allIn, .units: budget = avail
            case .equityFraction(let f): budget = min(f * equity, avail)
            case .cash(let x): budget = min(x, avail)
            }
            let net = budget - fixed
            guard net > 0 else { return false }
            if integer {
                units = (net / (px * (1 + rate))).rounded(.down)
                fee = units * px * rate + fixed
            } else {
                // vectorbt's form: the fee is what the budget keeps back, so the cash ends at 0.
                let req = net / (1 + rate)
                units = req / px
                fee = budget - req
            }
        }
        guard units > 0 else { return false }
        fill(long ? units : -units, price: px, fee: fee, bar: bar, reason: .signal)
        return true
    }

    /// Trades toward `x` × equity of exposure (x in −1…1) at `ref`.
    mutating func trade(toFraction x: Double, ref: Double, bar: Int) {
        let equity = cash + q * ref
        var goal = x == 0 || equity <= 0 ? 0 : x * equity / (ref * (1 + rate))
        if integer { goal = goal.rounded(.towardZero) }
        var delta = x == 0 ? -q : goal - q
        if delta == 0 || (x != 0 && abs(delta) * ref < 1e-12 * equity) { return }
        let buy = delta > 0
        let px = slipped(ref, buy: buy)
        // A buy that adds exposure is limited by the cash (shorts' proceeds included).
        if buy && goal > 0 {
            let spend = cash - fixed
            let afford = max(0, spend / (px * (1 + rate)))
            let maxDelta = afford + max(0, -q)
            if delta > maxDelta { delta = integer ? maxDelta.rounded(.down) : maxDelta }
            if delta <= 0 { return }
        }
        fill(delta, price: px, fee: fee(delta, at: px), bar: bar, reason: .rebalance)
    }

    /// The finished account as a symbol's result.
    func symbolRun(equity: [Double], capital: Double) -> SymbolRun {
        var run = SymbolRun(equity: equity, trades: trades, initialCapital: capital)
        run.feesPaid = fees; run.tradedValue = traded
        run.barsInMarket = barsInMarket; run.skippedOrders = skipped; run.dividends = dividends
        return run
    }

    /// Marks an open position at the last valid close and lists it as an open trade.
    mutating func finish(lastPrice: Double, lastBar: Int) {
        guard q != 0 else { return }
        let held = abs(q)
        exitUnits += held; exitGross += held * lastPrice
        book(exitBar: lastBar, open: true, reason: .open)
    }
}
