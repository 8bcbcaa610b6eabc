/// One symbol's account driven bar by bar: the simulator interface of the per-bar (Lua) path.
///
/// Every fill goes through the vectorized simulator's own ledger (`Account`): the same sizing,
/// fee, slippage and trade-booking code, so both paths account identically. On top of it this
/// type keeps what only the per-bar path has: pending limit/stop orders, absolute price exits
/// and next-open market orders.
///
/// At each bar the runner calls `beginBar` (next-open fills, price exits, pending orders act on
/// the bar's open/high/low), then the strategy submits orders as it decides at the close (a
/// market order fills at once at the close, or queues for the next open), then `endBar`
/// values the account.
public struct BarAccount {
    public enum Fill: String, Sendable { case close, nextOpen = "next_open" }

    /// Raw values are LunarScript's `OrderSide` codes, which the per-bar runner converts.
    public enum Side: Int, Sendable, CaseIterable { case buy, sell, short, cover, close }

    /// An order as `on_bar` places it. `size` nil: the sizing rule (all cash by default) for
    /// buy/short, the whole position for sell/cover. `limit`/`stop` make it a pending order,
    /// good for `bars` bars (nil: until filled or cancelled).
    public struct Order: Sendable {
        public var side: Side
        public var size: Double?
        public var limit: Double?
        public var stop: Double?
        public var bars: Int?
        public var id = 0
        public var placedBar = 0
        var triggered = false    // a stop-limit whose stop has been reached
        public init(side: Side, size: Double? = nil, limit: Double? = nil, stop: Double? = nil, bars: Int? = nil) {
            self.side = side; self.size = size; self.limit = limit; self.stop = stop; self.bars = bars
        }
        var isMarket: Bool { limit == nil && stop == nil }
    }

    public let symbol: Int
    public let fill: Fill
    let open, high, low, close: UnsafeBufferPointer<Double>
    var ledger: Account

    public private(set) var equity: [Double]
    /// Price exits of the open position (absolute prices), and the trailing fraction.
    public var stopLoss = Double.nan, takeProfit = Double.nan, trailFraction = Double.nan
    var trailPeak = Double.nan
    var pending: [Order] = []
    var queued: [Order] = []     // market orders waiting for the next open
    var nextID = 1
    var lastPrice = Double.nan
    var bar = 0
    /// The first bar not valued yet (`endBar` not run): bars a run skipped while the account
    /// was quiet are valued when it is next called (`catchUp`).
    var synced = 0
    /// The run's `stop_loss`, `take_profit` and `trailing_stop` fractions (NaN = off), armed on
    /// every new position from its entry's reference price, as the vectorized simulator does.
    let fractions: (sl: Double, tp: Double, tr: Double)
    /// The bar of the last price exit: like the vectorized simulator, a bar with a price exit
    /// takes no other market order.
    var exitedBar = -1
    /// Whether the position's fraction stops were armed by a fill at this bar's open: then,
    /// as in the vectorized simulator, they are live on the entry bar itself and the trail
    /// starts at the open and follows the entry bar's own extreme.
    var armedAtOpen = false
    /// Membership, delisting and corporate actions of this symbol.
    let events: SymbolEvents

    public init(symbol: Int, capital: Double, options: SimulationOptions,
                open: UnsafeBufferPointer<Double>, high: UnsafeBufferPointer<Double>,
                low: UnsafeBufferPointer<Double>, close: UnsafeBufferPointer<Double>,
                events: SymbolEvents = .none) {
        self.symbol = symbol
        self.events = events
        self.fill = options.fill == .nextOpen ? .nextOpen : .close
        self.open = open; self.high = high; self.low = low; self.close = close
        ledger = Account(symbol: symbol, cash: capital, options: options)
        fractions = (options.stopLoss ?? .nan, options.takeProfit ?? .nan, options.trailingStop ?? .nan)
        equity = [Double](repeating: capital, count: close.count)
        pending.reserveCapacity(8); queued.reserveCapacity(4)
    }

    public var cash: Double { ledger.cash }
    /// Signed units: positive long, negative short.
    public var units: Double { ledger.q }
    /// The open position's average entry price (NaN when flat).
    public var entryPrice: Double { ledger.q == 0 ? .nan : ledger.entryGross / ledger.entryUnits }
    public var trades: [Trade] { ledger.trades }
    /// Value at the last known price.
    /// units, entryPrice, value and cash in one read (what a per-bar ctx shows each bar).
    public var values: (units: Double, entryPrice: Double, value: Double, cash: Double) {
        (units, entryPrice, value, cash)
    }
    public var value: Double { ledger.q == 0 ? ledger.cash : ledger.cash + ledger.q * lastPrice }

    // MARK: - the bar cycle

    /// Whether `beginBar` and `endBar` have nothing to do but value the account at the close:
    /// no order waits, no price exit is armed, the symbol has no events. A run may then skip
    /// both for as long as the account stays quiet; the next call values the skipped bars.
    public var isQuiet: Bool {
        events.isQuiet && queued.isEmpty && pending.isEmpty &&
            (ledger.q == 0 || (stopLoss.isNaN && takeProfit.isNaN && trailFraction.isNaN))
    }

    /// Values the bars a run skipped while the account was quiet (each is `endBar`'s work, which
    /// is all a quiet bar needs) and makes `t` the current bar, as `beginBar` does for a quiet one.
    public mutating func catchUp(to t: Int) {
        if synced < t {
            // A quiet bar only marks the position at its close: `endBar`'s work for it, in a
            // loop of its own (the same expression as `value`, so the same bits).
            let q = ledger.q, cash = ledger.cash
            var last = lastPrice
            equity.withUnsafeMutableBufferPointer { eq in
                for u in synced ..< t {
                    let c = close[u]
                    if !c.isNaN { last = c }
                    eq[u] = q == 0 ? cash : cash + q * last
                }
            }
            if q != 0 { ledger.barsInMarket += t - synced }
            lastPrice = last
            synced = t
        }
        bar = t
    }

    /// Acts on the new bar's open, high and low: queued next-open orders, price exits, pending orders.
    public mutating func beginBar(_ t: Int) {
        catchUp(to: t)   // bars skipped while quiet
        bar = t
        if !events.isQuiet { applyActions(t) }
        let o = open[t], h = high[t], l = low[t]
        if !queued.isEmpty {
            if o.isNaN { ledger.skipped += queued.count } else { for order in queued { execute(order, at: o, atOpen: true) } }
            queued.removeAll(keepingCapacity: true)
        }
        guard !o.isNaN, !h.isNaN, !l.isNaN else { return }
        if ledger.q != 0 && (t > ledger.entryBar || armedAtOpen) { checkPriceExits(o, h, l) }
        if !pending.isEmpty { checkPending(t, o, h, l) }
    }

    /// Values the account at the bar's close, after closing the position of a symbol delisted on
    /// this bar or no longer a member.
    public mutating func endBar(_ t: Int) {
        if !events.isQuiet, !close[t].isNaN {
            if Simulator.leave(events, bar: t, close: close[t], &ledger) {
                clearPriceExits()
                pending.removeAll(); queued.removeAll()
            }
        }
        if !close[t].isNaN {
            lastPrice = close[t]
            // The trail follows the close of the bar it starts on, then each later bar's high
            // (low for shorts), so a bar's own extreme counts only from the next bar (vectorbt's rule).
            if ledger.q != 0, !trailFraction.isNaN {
                let extreme = ledger.q > 0 ? high[t] : low[t]
                if trailPeak.isNaN { trailPeak = close[t] }
                else if t != ledger.entryBar || armedAtOpen, !extreme.isNaN {
                    trailPeak = ledger.q > 0 ? max(trailPeak, extreme) : min(trailPeak, extreme)
                }
            }
        }
        if ledger.q != 0 { ledger.barsInMarket += 1 }
        equity[t] = value
        synced = t + 1
    }

    /// Places an order at bar `t` (decided at its close); returns its id. A market order fills
    /// now at the close, or at the next open.
    @discardableResult
    public mutating func submit(_ order: Order) -> Int {
        var o = order
        o.id = nextID; nextID += 1
        o.placedBar = bar
        if o.isMarket {
            if exitedBar == bar { return o.id }   // a price exit took this bar
            if fill == .close {
                if close[bar].isNaN { ledger.skipped += 1 } else { execute(o, at: close[bar]) }
            } else if bar + 1 < close.count {
                queued.append(o)   // an order decided on the last bar never fills
            }
        } else {
            pending.append(o)
        }
        return o.id
    }

    public mutating func cancel(_ id: Int) { pending.removeAll { $0.id == id } }

    /// A split on bar t: units × ratio, price levels and pending orders' prices ÷ ratio, their
    /// sizes × ratio (as a broker adjusts open orders); a dividend: cash.
    mutating func applyActions(_ t: Int) {
        let r = events.splitRatio(t)
        if r != 1 {
            ledger.split(r)
            stopLoss /= r; takeProfit /= r; trailPeak /= r
            for k in pending.indices {
                pending[k].limit = pending[k].limit.map { $0 / r }
                pending[k].stop = pending[k].stop.map { $0 / r }
                pending[k].size = pending[k].size.map { $0 * r }
            }
            for k in queued.indices { queued[k].size = queued[k].size.map { $0 * r } }
            if !lastPrice.isNaN { lastPrice /= r }
        }
        let d = events.dividend(t)
        if d != 0 { ledger.dividend(d) }
    }

    /// Closes the books: an open position becomes an open trade marked at the last close.
    public mutating func finish() {
        catchUp(to: close.count)
        ledger.finish(lastPrice: lastPrice, lastBar: close.count - 1)
    }

    // MARK: - fills, all through the ledger

    mutating func execute(_ order: Order, at price: Double, reason: ExitReason = .signal, atOpen: Bool = false) {
        let q = ledger.q
        defer { if ledger.q != 0 && (q == 0 || (q > 0) != (ledger.q > 0)) { armFractions(at: price, atOpen: atOpen) } }
        switch order.side {
        case .buy:
            if q < 0 { reduce(order.size, price, reason) } else { add(long: true, order.size, price) }
        case .short:
            if q > 0 { reduce(order.size, price, reason) } else { add(long: false, order.size, price) }
        case .sell: if q > 0 { reduce(order.size, price, reason) }
        case .cover: if q < 0 { reduce(order.size, price, reason) }
        case .close: if q != 0 { reduce(nil, price, reason) }
        }
        if ledger.q == 0 { clearPriceExits() }
    }

    mutating func clearPriceExits() {
        stopLoss = .nan; takeProfit = .nan; trailFraction = .nan; trailPeak = .nan; armedAtOpen = false
    }

    /// A new position: the run's stop fractions become price exits around `ref`, its entry's
    /// reference price (before slippage), for a long or a short.
    mutating func armFractions(at ref: Double, atOpen: Bool) {
        let (sl, tp, tr) = fractions
        guard !sl.isNaN || !tp.isNaN || !tr.isNaN else { return }
        let side = ledger.q > 0 ? 1.0 : -1.0
        if !sl.isNaN { stopLoss = ref * (1 - side * sl) }
        if !tp.isNaN { takeProfit = ref * (1 + side * tp) }
        if !tr.isNaN { trailFraction = tr; trailPeak = atOpen ? ref : .nan }
        armedAtOpen = atOpen
    }

    /// Opens by the sizing rule when flat and no size is given (the vectorized entry, bit for
    /// bit), else buys (sells short) `size` units, cut to what the cash pays for. Nothing when
    /// the symbol may not be entered on this bar (no member, or its delisting bar).
    mutating func add(long: Bool, _ size: Double?, _ price: Double) {
        guard events.mayEnter(bar) else { return }
        if size == nil && ledger.q == 0 {
            _ = ledger.openPosition(long: long, ref: price, bar: bar, equity: ledger.cash)
            return
        }
        let px = ledger.slipped(price, buy: long)
        let budget = long ? ledger.cash : value
        guard px > 0, budget > ledger.fixed else { return }
        let affordable = (budget - ledger.fixed) / (px * (1 + ledger.rate))
        var qty = min(size ?? affordable, affordable)
        if ledger.integer { qty = qty.rounded(.down) }
        guard qty > 0 else { return }
        ledger.fill(long ? qty : -qty, price: px, fee: qty * px * ledger.rate + ledger.fixed, bar: bar, reason: .signal)
    }

    /// Sells (covers) `size` units of the position, or all of it.
    mutating func reduce(_ size: Double?, _ price: Double, _ reason: ExitReason) {
        let q = ledger.q
        guard let size, size < abs(q) else { ledger.close(ref: price, bar: bar, reason: reason); return }
        let px = ledger.slipped(price, buy: q < 0)
        let delta = q > 0 ? -size : size
        ledger.fill(delta, price: px, fee: ledger.fee(delta, at: px), bar: bar, reason: reason)
    }

    /// The simulator's stop rule on absolute levels: the tighter of stop-loss and trailing stop
    /// first, then take-profit; a gap through a level fills at the open.
    mutating func checkPriceExits(_ o: Double, _ h: Double, _ l: Double) {
        let long = ledger.q > 0
        let trailing = trailFraction.isNaN || trailPeak.isNaN ? Double.nan
            : (long ? trailPeak * (1 - trailFraction) : trailPeak * (1 + trailFraction))
        if let (price, reason) = Simulator.checkLevels(long: long, open: o, high: h, low: l, stopLoss: stopLoss,
                                                        trailing: trailing, takeProfit: takeProfit) {
            execute(Order(side: .close), at: price, reason: reason)
            exitedBar = bar
        }
    }

    /// Limit: buy at or below (sell at or above) the limit, at the open when it gaps through;
    /// stop: buy at or above (sell at or below) the stop; stop-limit: the stop arms a limit.
    /// An order never fills on the bar it was placed; expired orders drop out.
    mutating func checkPending(_ t: Int, _ o: Double, _ h: Double, _ l: Double) {
        var i = 0
        while i < pending.count {
            var order = pending[i]
            if let n = order.bars, t - order.placedBar > n { pending.remove(at: i); continue }
            if t <= order.placedBar { i += 1; continue }
            let buying = order.side == .buy || order.side == .cover || (order.side == .close && ledger.q < 0)
            var price = Double.nan
            if let stop = order.stop, !order.triggered {
                if buying ? h >= stop : l <= stop {
                    let base = buying ? max(o, stop) : min(o, stop)
                    if let limit = order.limit {
                        order.triggered = true
                        pending[i] = order
                        if buying ? base <= limit : base >= limit { price = base }
                        else if buying ? l <= limit : h >= limit { price = limit }
                    } else {
                        price = base
                    }
                }
            } else if let limit = order.limit {
                if buying ? o <= limit : o >= limit { price = o }
                else if buying ? l <= limit : h >= limit { price = limit }
            }
            if price.isNaN { i += 1; continue }
            pending.remove(at: i)
            execute(order, at: price)
        }
    }
}

extension SymbolRun {
    /// A finished per-bar account's result.
    public init(account: BarAccount, capital: Double) {
        self = account.ledger.symbolRun(equity: account.equity, capital: capital)
    }

    /// An account that never traded: cash all along.
    public static func idle(capital: Double, bars: Int) -> SymbolRun {
        SymbolRun(equity: [Double](repeating: capital, count: bars), trades: [], initialCapital: capital)
    }
}
