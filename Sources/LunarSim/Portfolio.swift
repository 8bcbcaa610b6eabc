import LunarData

/// The shared-cash portfolio: one cash account, target weights traded across symbols at
/// rebalance bars. Runs bar by bar (a rebalance needs every symbol's price at that bar).
enum Portfolio {
    static func runShared(panel: Panel, inputs: SignalInputs, options o: SimulationOptions,
                          events: UniverseEvents) throws -> SimulationResult {
        let N = panel.symbolCount, T = panel.barCount
        let close = panel.fields["close"]!, open = panel.fields["open"] ?? close
        let slice = o.capital / Double(max(N, 1))
        // Per-symbol ledgers: each starts at an equal slice and the shared cash is their sum, so a
        // ledger's value minus its slice is exactly that symbol's P&L.
        var accounts = (0 ..< N).map { Account(symbol: $0, cash: slice, options: o) }
        var cash = o.capital
        var last = [Double](repeating: .nan, count: N)
        var equity = [Double](repeating: o.capital, count: T)
        var symbolEquity = [[Double]](repeating: [Double](repeating: slice, count: T), count: N)
        let schedule = o.rebalance.schedule(panel.timestamps)
        var target = [Double](repeating: 0, count: N), previous = [Double](repeating: .nan, count: N)
        var pending = false, rebalances = 0
        var order = [Int](repeating: 0, count: N)   // scratch for ranking scores

        /// Fills `target` with the bar's weights; false when no symbol has one.
        func weights(at t: Int) throws -> Bool {
            if let w = inputs.weight {
                var any = false, gross = 0.0
                for s in 0 ..< N {
                    let x = w[s * T + t]
                    if x.isNaN { target[s] = 0 } else { target[s] = x; any = true; gross += abs(x) }
                }
                if gross > 1 + 1e-9 {
                    throw SimulationError.badInput("weights at bar \(t) add up to \(gross) (Σ|w| must be ≤ 1 in a shared portfolio)")
                }
                return any
            }
            // score + top: the best `top` scores (NaN excluded) of the symbols that may be
            // entered (listed members) at equal weight 1/top.
            let score = inputs.score!, top = o.top ?? N
            var n = 0
            for s in 0 ..< N where !score[s * T + t].isNaN && eligible(s, t) { order[n] = s; n += 1 }
            for s in 0 ..< N { target[s] = 0 }
            if n == 0 { return false }
            // Ties go to the lower symbol index, so results do not depend on the sort's stability.
            order[0 ..< n].sort { a, b in
                let x = score[a * T + t], y = score[b * T + t]
                return x != y ? x > y : a < b
            }
            let k = min(top, n)
            for i in 0 ..< k { target[order[i]] = 1 / Double(top) }
            return true
        }

        /// Whether symbol s may be picked on bar t: it has a close there (listed, not halted) and
        /// is a member. A symbol without a price could not be bought, and its slot would idle.
        func eligible(_ s: Int, _ t: Int) -> Bool {
            !close[s * T + t].isNaN && (events.isQuiet || events.symbols[s].mayEnter(t))
        }

        /// Trades every symbol to its target at `prices` (reference prices of this bar).
        func rebalance(bar t: Int, prices: [Double]) {
            var value = cash
            for s in 0 ..< N where accounts[s].q != 0 {
                let p = prices[s].isNaN ? last[s] : prices[s]
                value += accounts[s].q * p
            }
            guard value > 0 else { return }
            var goal = [Double](repeating: 0, count: N)   // once per rebalance, not per bar
            for s in 0 ..< N {
                let p = prices[s]
                if p.isNaN || p <= 0 { goal[s] = accounts[s].q; continue }   // no price: not traded
                var g = target[s] * value / (p * (1 + o.fees))
                if o.integerUnits { g = g.rounded(.towardZero) }
                goal[s] = target[s] == 0 ? 0 : g
                // A symbol that may not be entered only moves toward flat.
                if !events.isQuiet && !events.symbols[s].mayEnter(t) {
                    goal[s] = SymbolEvents.towardFlat(goal[s], held: accounts[s].q)
                }
            }
            // Sells first, so that buys can use their proceeds.
            for pass in 0 ..< 2 {
                for s in 0 ..< N {
                    let p = prices[s]
                    if p.isNaN || p <= 0 { continue }
                    var acct = accounts[s]
                    var delta = goal[s] == 0 ? -acct.q : goal[s] - acct.q
                    if delta == 0 || (goal[s] != 0 && abs(delta) * p < 1e-9 * value) { continue }
                    let reducing = (delta < 0) == (acct.q > 0) && acct.q != 0 && abs(delta) <= abs(acct.q)
                    let isSell = delta < 0
                    if pass == 0 ? !(isSell || reducing) : (isSell || reducing) { continue }
                    let px = acct.slipped(p, buy: delta > 0)
                    if delta > 0 && goal[s] > 0 {
                        let afford = max(0, (cash - o.fixedFee) / (px * (1 + o.fees)))
                        let maxDelta = afford + max(0, -acct.q)
                        if delta > maxDelta { delta = o.integerUnits ? maxDelta.rounded(.down) : maxDelta }
                        if delta <= 0 { continue }
                    }
                    let fee = acct.fee(delta, at: px)
                    let before = acct.cash
                    acct.fill(delta, price: px, fee: fee, bar: t, reason: .rebalance)
                    cash += acct.cash - before
                    accounts[s] = acct
                }
            }
            rebalances += 1
        }

        var prices = [Double](repeating: .nan, count: N)
        for t in 0 ..< T {
            // Corporate actions on their ex-date, before anything trades.
            if !events.isQuiet {
                for s in 0 ..< N where accounts[s].q != 0 {
                    let ev = events.symbols[s]
                    let r = ev.splitRatio(t)
                    if r != 1 { accounts[s].split(r); last[s] /= r }
                    let d = ev.dividend(t)
                    if d != 0 { let before = accounts[s].cash; accounts[s].dividend(d); cash += accounts[s].cash - before }
                }
            }
            if pending {
                for s in 0 ..< N { prices[s] = open[s * T + t] }
                for s in 0 ..< N where accounts[s].q != 0 && (prices[s].isNaN || prices[s] <= 0) { accounts[s].skipped += 1 }
                rebalance(bar: t, prices: prices)
                pending = false
            }
            for s in 0 ..< N { let c = close[s * T + t]; prices[s] = c; if !c.isNaN { last[s] = c } }
            // Targets are read only where they can be traded: scheduled bars, or every bar for "change".
            let onChange = o.rebalance == .onChange
            let has = (schedule[t] || onChange) ? try weights(at: t) : false
            var changed = false
            if has && onChange {
                for s in 0 ..< N where target[s] != previous[s] { changed = true; break }
            }
            if has && (schedule[t] || changed) {
                for s in 0 ..< N { previous[s] = target[s] }
                if o.fill == .nextOpen {
                    if t + 1 < T { pending = true }
                } else {
                    rebalance(bar: t, prices: prices)
                }
            }
            // Delisted or no longer a member: closed at this close; the cash returns to the pool.
            if !events.isQuiet {
                for s in 0 ..< N where accounts[s].q != 0 {
                    let c = close[s * T + t]
                    if c.isNaN { continue }
                    let before = accounts[s].cash
                    _ = Simulator.leave(events.symbols[s], bar: t, close: c, &accounts[s])
                    cash += accounts[s].cash - before
                }
            }
            var v = cash
            for s in 0 ..< N {
                let q = accounts[s].q
                if q != 0 { v += q * last[s]; accounts[s].barsInMarket += 1 }
                symbolEquity[s][t] = q == 0 ? accounts[s].cash : accounts[s].cash + q * last[s]
            }
            equity[t] = v
        }
        var runs: [SymbolRun] = []
        runs.reserveCapacity(N)
        for s in 0 ..< N {
            var a = accounts[s]
            a.finish(lastPrice: last[s], lastBar: T - 1)
            // A symbol's curve is the whole capital plus its own P&L, so its "total return" is its
            // contribution to the portfolio's return (a slice-relative return would be meaningless
            // for a symbol held at 5 % of a shared account).
            var curve = symbolEquity[s]
            for t in 0 ..< T { curve[t] += o.capital - slice }
            var r = SymbolRun(equity: curve, trades: a.trades, initialCapital: o.capital)
            r.feesPaid = a.fees; r.tradedValue = a.traded; r.barsInMarket = a.barsInMarket; r.skippedOrders = a.skipped
            runs.append(r)
        }
        return SimulationResult(runs: runs, equity: equity, mode: .shared, rebalances: rebalances)
    }
}
