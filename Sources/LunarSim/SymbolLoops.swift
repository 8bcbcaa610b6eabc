// One symbol's sub-account simulated over all bars: the lean loop for long signals at the
// close, the general loop, and the action both execute through the ledger.

/// What a bar's signals decide, executed by `Simulator.act`. No raw values: a payload-free
/// enum is one byte, and `Optional` of it too (nil is a spare bit pattern).
enum SignalAction {
    /// Opens a position of that side, closing an opposite one first (a reversal).
    case goLong, goShort
    case close
}

/// An order decided at a bar's close that waits for the next bar's open (`fill = next_open`).
enum PendingOrder {
    case signal(SignalAction)
    /// Trades toward the target the loop keeps beside it (as a payload it would make this nine bytes).
    case target
}

extension Simulator {
    /// Long entries (and exits) filled at the close, with no shorts, targets or stops: the case
    /// `simulateLongSignals` handles.
    /// `streamed`: the entries come apart from the inputs, as bytes.
    static func isPlainLong(_ inputs: SignalInputs, _ options: SimulationOptions, streamed: Bool = false) -> Bool {
        (streamed || inputs.entries != nil) && inputs.shortEntries == nil && inputs.shortExits == nil && inputs.position == nil &&
            inputs.weight == nil && inputs.stopLoss == nil && inputs.takeProfit == nil && inputs.trailingStop == nil &&
            options.stopLoss == nil && options.takeProfit == nil && options.trailingStop == nil && options.fill == .close
    }

    /// Long entries and exits filled at the close, no stops: what `simulateSymbol` does for
    /// such inputs, without the branches for shorts, targets, stops and next-open fills.
    /// Generic over the signals' cells (numbers, or bytes from a fused run) and specialized
    /// for each: the same decisions.
    ///
    /// The curve is written span by span rather than bar by bar: between two orders the
    /// position does not change, so a flat span is the cash on every bar and a long span is
    /// cash + units × the last price. Each span ends at the next bar that trades (`nextOrder`),
    /// found by scanning the signals alone; the values, the drawdown and the bars in the market
    /// are those of the bar-by-bar loop (`simulateSymbol`), bit for bit.
    static func simulateLongSignals<Cell: SignalCell>(symbol: Int, bars T: Int, close: UnsafePointer<Double>, entries: UnsafePointer<Cell>,
                                    exits: UnsafePointer<Cell>?, capital: Double, options o: SimulationOptions) -> SymbolRun {
        var acct = Account(symbol: symbol, cash: capital, options: o)
        var lastPrice = Double.nan
        // Tracked here, where it costs little: each span's values are in cache as they are written.
        var drawdown = Drawdown()
        // Every bar is written below, so the curve starts uninitialized.
        let equity = [Double](unsafeUninitializedCapacity: T) { eq, count in
            count = T
            guard let e = eq.baseAddress else { return }   // no bars
            var t = 0
            while t < T {
                let long = acct.q != 0
                // Flat, the next order is an entry without an exit on its bar; long, an exit
                // without an entry (both on one bar cancel, as in vectorbt).
                let end = long ? nextOrder(from: t, bars: T, close: close, signal: exits, unless: entries)
                               : nextOrder(from: t, bars: T, close: close, signal: entries, unless: exits)
                if long {
                    let cash = acct.cash, q = acct.q
                    // Every close a number (the common case): one vectorized pass; a span with
                    // a missing close is redone with the last price carried over it.
                    // (`c != c`, not `isNaN`: a float compare vectorizes, the bit test did not.)
                    var missing = 0, i = t
                    while i < end { let c = close[i]; e[i] = cash + q * c; missing &+= c != c ? 1 : 0; i &+= 1 }
                    if missing == 0 {
                        if end > t { lastPrice = close[end - 1] }
                    } else {
                        var last = lastPrice
                        for i in t ..< end {
                            let c = close[i]
                            last = c.isNaN ? last : c
                            e[i] = cash + q * last
                        }
                        lastPrice = last
                    }
                    acct.barsInMarket += end - t
                    drawdown.add(UnsafePointer(e), bars: t ..< end)
                } else if t < end {
                    let cash = acct.cash
                    for i in t ..< end { e[i] = cash }
                    lastPrice = lastValid(close, t ..< end) ?? lastPrice
                    drawdown.add(constant: cash, bars: t ..< end)
                }
                if end == T { break }
                // The order's bar: its close is a number.
                let c = close[end]
                lastPrice = c
                _ = act(long ? .close : .goLong, ref: c, bar: end, &acct)
                if acct.q != 0 { acct.barsInMarket += 1 }
                e[end] = acct.q == 0 ? acct.cash : acct.cash + acct.q * c
                drawdown.add(e[end], bar: end)
                t = end + 1
            }
        }
        acct.finish(lastPrice: lastPrice, lastBar: T - 1)
        var run = acct.symbolRun(equity: equity, capital: capital)
        run.drawdown = drawdown
        return run
    }

    /// The first bar from `t` on where `signal` is true, `unless` is not and the close is a
    /// number (a bar the lean loop trades on), or `T`. Scans the signal for its next true cell
    /// and checks the other two only there.
    @inline(__always)
    static func nextOrder<Cell: SignalCell>(from t: Int, bars T: Int, close: UnsafePointer<Double>, signal: UnsafePointer<Cell>?,
                                            unless other: UnsafePointer<Cell>?) -> Int {
        guard let signal else { return T }
        var i = t
        while true {
            i = Cell.nextTrue(signal, from: i, to: T)
            if i == T { return T }
            if !(other.map { $0[i].isTrue } ?? false) && !close[i].isNaN { return i }
            i += 1
        }
    }

    /// The last close of `range` that is a number.
    @inline(__always)
    static func lastValid(_ close: UnsafePointer<Double>, _ range: Range<Int>) -> Double? {
        var i = range.upperBound
        while i > range.lowerBound { i -= 1; if !close[i].isNaN { return close[i] } }
        return nil
    }

    /// One symbol's sub-account over all bars. Allocation-free per bar (trades are appended).
    static func simulateSymbol(symbol: Int, bars T: Int, prices: [UnsafePointer<Double>?], signals: [UnsafePointer<Double>?],
                               capital: Double, options o: SimulationOptions, schedule: [Bool],
                               events ev: SymbolEvents = .none) -> SymbolRun {
        let open = prices[0]!, high = prices[1]!, low = prices[2]!, close = prices[3]!
        let en = signals[0], ex = signals[1], sen = signals[2], sex = signals[3], target = signals[4]
        let slSeries = signals[5], tpSeries = signals[6], trSeries = signals[7]
        var acct = Account(symbol: symbol, cash: capital, options: o)
        var equity = [Double](repeating: capital, count: T)
        var lastPrice = Double.nan
        let nextOpen = o.fill == .nextOpen
        // A decided order waiting for the next open.
        var pending: PendingOrder? = nil
        var pendingTarget = 0.0
        var lastTarget = Double.nan
        var stop = StopState()
        // Stops decided with the pending entry.
        var pendingStops = (Double.nan, Double.nan, Double.nan)
        let stopSource = StopSource(sl: slSeries, tp: tpSeries, tr: trSeries,
                                    scalars: (o.stopLoss ?? .nan, o.takeProfit ?? .nan, o.trailingStop ?? .nan))
        // Helpers are static functions and small structs rather than nested closures that
        // capture the loop's state, so that state can stay in registers.

        equity.withUnsafeMutableBufferPointer { eq in
            for t in 0 ..< T {
                let c = close[t]
                // 0. Corporate actions on their ex-date, before anything trades.
                if !ev.isQuiet { applyActions(ev, bar: t, &acct, &stop, &lastPrice) }
                // 1. The order decided on the previous bar fills at this bar's open.
                if nextOpen, let order = pending {
                    let px = open[t]
                    if !(px.isNaN || px <= 0) { lastPrice = px }   // the latest known price, should the close be NaN
                    if px.isNaN || px <= 0 {
                        acct.skipped += 1
                    } else {
                        switch order {
                        case .target:
                            if let x = ev.mayEnter(t) ? pendingTarget : acct.reducing(toward: pendingTarget, ref: px) {
                                acct.trade(toFraction: x, ref: px, bar: t)
                            }
                            if acct.q != 0 && acct.entryBar == t { stop.arm(px, from: t, pendingStops) }
                        case .signal(let action):
                            // Filled at the open, so this bar's whole range comes after the entry:
                            // its stops are live on this same bar.
                            if let action = allowed(action, ev, bar: t, acct),
                               act(action, ref: px, bar: t, &acct) { stop.arm(px, from: t, pendingStops) }
                        }
                    }
                    pending = nil
                }
                if c.isNaN {
                    eq[t] = acct.q == 0 ? acct.cash : acct.cash + acct.q * lastPrice
                    if acct.q != 0 { acct.barsInMarket += 1 }
                    continue
                }
                lastPrice = c
                // 2. Stops, before the bar's signals; a bar with a stop exit takes no other order.
                var stopped = false
                if acct.q != 0 && t >= stop.armedFrom && stop.any {
                    let op = open[t].isNaN ? c : open[t]
                    let hi = high[t].isNaN ? max(op, c) : high[t]
                    let lo = low[t].isNaN ? min(op, c) : low[t]
                    if let (px, reason) = checkStops(long: acct.q > 0, open: op, high: hi, low: lo, base: stop.base,
                                                     extreme: stop.extreme, sl: stop.sl, tp: stop.tp, tr: stop.tr) {
                        acct.close(ref: px, bar: t, reason: reason)
                        stopped = true
                    } else if !stop.tr.isNaN {
                        // The bar's own extreme counts only after its check (vectorbt).
                        stop.extreme = acct.q > 0 ? max(stop.extreme, hi) : min(stop.extreme, lo)
                    }
                }
                // 3. This bar's signals or target.
                if !stopped {
                    if let target {
                        let x = target[t]
                        if !x.isNaN && (x != lastTarget || schedule[t]) {
                            lastTarget = x
                            if nextOpen {
                                if t + 1 < T { pending = .target; pendingTarget = x; pendingStops = stopSource[t] }
                            } else if let x = ev.mayEnter(t) ? x : acct.reducing(toward: x, ref: c) {
                                acct.trade(toFraction: x, ref: c, bar: t)
                                if acct.q != 0 && acct.entryBar == t { stop.arm(c, from: t + 1, stopSource[t]) }
                            }
                        }
                    } else {
                        var le = en.map { $0[t] == 1 } ?? false, lx = ex.map { $0[t] == 1 } ?? false
                        var se = sen.map { $0[t] == 1 } ?? false, sx = sex.map { $0[t] == 1 } ?? false
                        // Conflicting signals on one bar cancel (vectorbt: upon_*_conflict = ignore).
                        if le && lx { le = false; lx = false }
                        if se && sx { se = false; sx = false }
                        if le && se { le = false; se = false }
                        let action: SignalAction?
                        if acct.q == 0 {
                            action = le ? .goLong : (se ? .goShort : nil)
                        } else if acct.q > 0 {
                            action = se && o.reverse ? .goShort : (lx ? .close : nil)
                        } else {
                            action = le && o.reverse ? .goLong : (sx ? .close : nil)
                        }
                        if let action = action.flatMap({ allowed($0, ev, bar: t, acct) }) {
                            if nextOpen {
                                if t + 1 < T {
                                    pending = .signal(action)
                                    pendingStops = stopSource[t]
                                }
                            } else {
                                if act(action, ref: c, bar: t, &acct) { stop.arm(c, from: t + 1, stopSource[t]) }
                            }
                        }
                    }
                }
                // 4. Leaving the universe or delisted: the position is closed at this close.
                if !ev.isQuiet && leave(ev, bar: t, close: c, &acct) { pending = nil }
                if acct.q != 0 { acct.barsInMarket += 1 }
                eq[t] = acct.q == 0 ? acct.cash : acct.cash + acct.q * c
            }
        }
        acct.finish(lastPrice: lastPrice, lastBar: T - 1)
        return acct.symbolRun(equity: equity, capital: capital)
    }

    /// A split (units × ratio; the stop levels' base and extreme and the last price ÷ ratio)
    /// and a dividend (cash) on bar t.
    @inline(__always)
    static func applyActions(_ ev: SymbolEvents, bar t: Int, _ acct: inout Account, _ stop: inout StopState,
                             _ lastPrice: inout Double) {
        let r = ev.splitRatio(t)
        if r != 1 { acct.split(r); stop.base /= r; stop.extreme /= r; lastPrice /= r }
        let d = ev.dividend(t)
        if d != 0 { acct.dividend(d) }
    }

    /// `action` as a symbol that may or may not enter on bar t can take it: a new position
    /// needs a member that is not being delisted; a reversal then only closes.
    @inline(__always)
    static func allowed(_ action: SignalAction, _ ev: SymbolEvents, bar t: Int, _ acct: Account) -> SignalAction? {
        if action == .close || ev.mayEnter(t) { return action }
        return acct.q != 0 ? .close : nil
    }

    /// Closes the position of a symbol delisted on bar t (at its final price, no fees: a
    /// cash-out, not an order), no longer a member or at a session's end under `flat_at`
    /// (at the close, an ordinary sale); true
    /// when the bar was one of those, so orders waiting for the next open are dropped.
    @inline(__always)
    static func leave(_ ev: SymbolEvents, bar t: Int, close c: Double, _ acct: inout Account) -> Bool {
        if t == ev.delistBar {
            acct.settle(at: ev.delistingPrice(close: c), bar: t, reason: .delisted)
            return true
        }
        if acct.q != 0 && ev.mustLeave(t) {
            acct.close(ref: c, bar: t, reason: .leftUniverse)
            return true
        }
        if acct.q != 0 && ev.endsSession(t) {
            acct.close(ref: c, bar: t, reason: .sessionEnd)
            return true
        }
        return false
    }

    /// Executes `action` at `ref` on bar t; true when it opened a position (whose stops the
    /// caller then arms).
    @inline(__always)
    static func act(_ action: SignalAction, ref: Double, bar t: Int, _ acct: inout Account) -> Bool {
        switch action {
        case .close:
            acct.close(ref: ref, bar: t, reason: .signal)
            return false
        case .goLong, .goShort:
            if acct.q != 0 { acct.close(ref: ref, bar: t, reason: .reverse) }
            return acct.openPosition(long: action == .goLong, ref: ref, bar: t, equity: acct.cash)
        }
    }
}
