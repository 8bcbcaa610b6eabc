/// One symbol's account driven bar by bar: the simulator interface of the per-bar (Lua) path.
///
/// At each bar the runner calls `beginBar` (pending orders, price exits and next-open fills
/// act on the bar's open/high/low), then the strategy submits orders as it decides at the
/// close, then `endBar` values the account. Market orders fill at this bar's close (the
/// default) or at the next bar's open; sizing and fees follow the vectorized simulator's
/// rules (all cash net of fees when no size is given, fractional units).
public struct BarAccount {
    public enum Fill: String, Sendable { case close, nextOpen = "next_open" }

    public enum Side: Int, Sendable { case buy, sell, short, cover, close }

    /// An order as `on_bar` places it. `size` nil: all cash (buy/short) or the whole position
    /// (sell/cover). `limit`/`stop` make it a pending order, good for `bars` bars (nil: until
    /// filled or cancelled).
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
    public let fees: Double
    public let fill: Fill
    let open, high, low, close: UnsafeBufferPointer<Double>

    public private(set) var cash: Double
    /// Signed units: positive long, negative short.
    public private(set) var units = 0.0
    public private(set) var entryPrice = Double.nan
    public private(set) var trades: [Trade] = []
    public private(set) var equity: [Double]
    /// Price exits of the open position (absolute prices), and the trailing fraction.
    public var stopLoss = Double.nan, takeProfit = Double.nan, trailFraction = Double.nan
    var trailPeak = Double.nan
    var entryBar = 0, entryFees = 0.0
    var pending: [Order] = []
    var queued: [Order] = []     // market orders waiting for the next open
    var nextID = 1
    var lastPrice = Double.nan
    var bar = 0

    public init(symbol: Int, capital: Double, fees: Double, fill: Fill,
                open: UnsafeBufferPointer<Double>, high: UnsafeBufferPointer<Double>,
                low: UnsafeBufferPointer<Double>, close: UnsafeBufferPointer<Double>) {
        self.symbol = symbol; self.cash = capital; self.fees = fees; self.fill = fill
        self.open = open; self.high = high; self.low = low; self.close = close
        equity = [Double](repeating: capital, count: close.count)
        pending.reserveCapacity(8); queued.reserveCapacity(4)
    }

    /// Value at the last known price.
    public var value: Double { units == 0 ? cash : cash + units * lastPrice }

    // MARK: - the bar cycle

    /// Acts on the new bar's open, high and low: queued next-open orders, price exits, pending orders.
    public mutating func beginBar(_ t: Int) {
        bar = t
        let o = open[t], h = high[t], l = low[t]
        if !o.isNaN && !queued.isEmpty {
            for order in queued { execute(order, at: o) }
            queued.removeAll(keepingCapacity: true)
        }
        guard !o.isNaN, !h.isNaN, !l.isNaN else { return }
        if units != 0 && t > entryBar { checkPriceExits(o, h, l) }
        if !pending.isEmpty { checkPending(t, o, h, l) }
    }

    /// Values the account at the bar's close.
    public mutating func endBar(_ t: Int) {
        if !close[t].isNaN {
            lastPrice = close[t]
            // The trail follows the close of the bar it starts on, then each later bar's high
            // (low for shorts), so a bar's own extreme counts only from the next bar (vectorbt's rule).
            if units != 0, !trailFraction.isNaN {
                let extreme = units > 0 ? high[t] : low[t]
                if trailPeak.isNaN || extreme.isNaN || t == entryBar { trailPeak = trailPeak.isNaN ? close[t] : trailPeak }
                else { trailPeak = units > 0 ? max(trailPeak, extreme) : min(trailPeak, extreme) }
            }
        }
        equity[t] = value
    }

    /// Places an order at bar `t` (decided at its close); returns its id. A market order fills
    /// now at the close, or at the next open.
    @discardableResult
    public mutating func submit(_ order: Order) -> Int {
        var o = order
        o.id = nextID; nextID += 1
        o.placedBar = bar
        if o.isMarket {
            if fill == .close { if !close[bar].isNaN { execute(o, at: close[bar]) } } else { queued.append(o) }
        } else {
            pending.append(o)
        }
        return o.id
    }

    public mutating func cancel(_ id: Int) { pending.removeAll { $0.id == id } }

    /// Closes the books: an open position becomes an open trade marked at the last close.
    public mutating func finish() {
        if units != 0 { record(exitPrice: lastPrice, quantity: abs(units), exitFee: 0, open: true) }
    }

    // MARK: - fills

    mutating func execute(_ order: Order, at price: Double) {
        switch order.side {
        case .buy:
            if units < 0 { trade(order.size.map { min($0, -units) } ?? -units, price) }   // a buy while short covers
            else { open(+1, order.size, price) }
        case .short:
            if units > 0 { trade(-(order.size.map { min($0, units) } ?? units), price) }
            else { open(-1, order.size, price) }
        case .sell: if units > 0 { trade(-(order.size.map { min($0, units) } ?? units), price) }
        case .cover: if units < 0 { trade(order.size.map { min($0, -units) } ?? -units, price) }
        case .close: if units != 0 { trade(-units, price) }
        }
    }

    /// Opens or adds in `direction`: all the money net of fees when `size` is nil (the vectorized
    /// rule), else `size` units, cut to what the money pays for. Longs spend cash; shorts are
    /// sized on the account's value.
    mutating func open(_ direction: Double, _ size: Double?, _ price: Double) {
        guard price > 0 else { return }
        if size == nil && units == 0 {
            guard cash > 0 else { return }
            let spend = cash / (1 + fees)
            let fee = cash - spend
            cash = direction > 0 ? 0 : cash + spend - fee
            startOrAdd(direction * (spend / price), price, fee)
            return
        }
        let budget = direction > 0 ? cash : value
        guard budget > 0 else { return }
        let affordable = budget / (price * (1 + fees))
        let qty = min(size ?? affordable, affordable)
        guard qty > 0 else { return }
        let fee = qty * price * fees
        cash -= direction * qty * price + fee
        startOrAdd(direction * qty, price, fee)
    }

    mutating func startOrAdd(_ delta: Double, _ price: Double, _ fee: Double) {
        if units == 0 {
            entryPrice = price; entryBar = bar; entryFees = fee
            trailPeak = .nan
        } else {
            entryPrice = (entryPrice * abs(units) + price * abs(delta)) / (abs(units) + abs(delta))
            entryFees += fee
        }
        units += delta
    }

    /// Reduces the position by `delta` (opposite sign to `units`) at `price`.
    mutating func trade(_ delta: Double, _ price: Double) {
        let qty = abs(delta)
        guard qty > 0 else { return }
        let proceeds = qty * price
        let fee = proceeds * fees
        cash += (units > 0 ? proceeds : -proceeds) - fee
        record(exitPrice: price, quantity: qty, exitFee: fee, open: false)
        units += delta
        if abs(units) < 1e-12 * max(1, qty) {
            units = 0; entryPrice = .nan
            stopLoss = .nan; takeProfit = .nan; trailFraction = .nan; trailPeak = .nan
        }
    }

    mutating func record(exitPrice: Double, quantity: Double, exitFee: Double, open: Bool) {
        let share = quantity / abs(units)
        let fee = entryFees * share
        let long = units > 0
        // The vectorized simulator's arithmetic, term by term, so both paths give the same bits.
        let gross = long ? quantity * exitPrice - quantity * entryPrice : quantity * entryPrice - quantity * exitPrice
        let pnl = gross - fee - exitFee
        trades.append(Trade(symbol: symbol, entryBar: entryBar, exitBar: open ? close.count - 1 : bar,
                            entryPrice: entryPrice, exitPrice: exitPrice, size: long ? quantity : -quantity,
                            entryFees: fee, exitFees: exitFee, pnl: pnl,
                            returnFraction: pnl / (quantity * entryPrice), isOpen: open))
        entryFees -= fee
    }

    /// Stop-loss first, then take-profit, then the trailing stop; a gap through a level fills at the open.
    mutating func checkPriceExits(_ o: Double, _ h: Double, _ l: Double) {
        let long = units > 0
        var levels: [Double] = []
        if !stopLoss.isNaN { levels.append(stopLoss) }
        if !trailFraction.isNaN, !trailPeak.isNaN { levels.append(long ? trailPeak * (1 - trailFraction) : trailPeak * (1 + trailFraction)) }
        for level in levels {
            if long ? o <= level : o >= level { trade(-units, o); return }
            if long ? l <= level : h >= level { trade(-units, level); return }
        }
        if !takeProfit.isNaN {
            if long ? o >= takeProfit : o <= takeProfit { trade(-units, o); return }
            if long ? h >= takeProfit : l <= takeProfit { trade(-units, takeProfit); return }
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
            let buying = order.side == .buy || order.side == .cover || (order.side == .close && units < 0)
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
        self.init(equity: account.equity, trades: account.trades, initialCapital: capital)
    }

    /// An account that never traded: cash all along.
    public static func idle(capital: Double, bars: Int) -> SymbolRun {
        SymbolRun(equity: [Double](repeating: capital, count: bars), trades: [], initialCapital: capital)
    }
}
