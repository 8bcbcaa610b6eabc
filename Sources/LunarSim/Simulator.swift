import LunarData

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
    /// Net of both fees.
    public var pnl: Double
    /// pnl / entry value (size × entry price), as vectorbt reports it.
    public var returnFraction: Double
    public var isOpen: Bool
    public var exitReason: ExitReason

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
    /// The equity curve's drawdown, when the loop that wrote the curve tracked it.
    var drawdown: Drawdown? = nil

    public init(equity: [Double], trades: [Trade], initialCapital: Double) {
        self.equity = equity; self.trades = trades; self.initialCapital = initialCapital
    }

    public var closedTrades: Int { trades.lazy.filter { !$0.isOpen }.count }
}

/// What the strategy gives the simulator: symbol-major arrays (`symbols × bars`), each optional.
/// Bool series hold 1 (true), 0 or NaN (false).
public struct SignalInputs: Sendable {
    public var entries: [Double]? = nil
    public var exits: [Double]? = nil
    public var shortEntries: [Double]? = nil
    public var shortExits: [Double]? = nil
    /// Target exposure in −1…1, a fraction of the symbol's sub-account equity; NaN = keep.
    public var position: [Double]? = nil
    /// Target fraction of the shared portfolio's equity, −1…1 (Σ|w| ≤ 1); NaN = 0.
    public var weight: [Double]? = nil
    /// A ranking score: with `top`, the best-scored symbols are held at equal weight.
    public var score: [Double]? = nil
    /// Per-bar stop fractions, read on the bar an entry is decided; NaN = the scalar option.
    public var stopLoss: [Double]? = nil
    public var takeProfit: [Double]? = nil
    public var trailingStop: [Double]? = nil
    /// The bool signals come from typed graph nodes, which hold only 0, 1 or NaN: their
    /// values need no second check (sizes and ranged series are still checked).
    public var boolsAreTyped = false

    public init(entries: [Double]? = nil, exits: [Double]? = nil) { self.entries = entries; self.exits = exits }

    var usesTargets: Bool { weight != nil || score != nil }
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

public enum Simulator {
    /// Simulates `inputs` over `panel` with `options`. Independent sub-accounts run per symbol in
    /// parallel; a shared portfolio runs bar by bar across symbols.
    /// - Parameter measure: computes a symbol's metrics from its run, right after the symbol is
    ///   simulated, on the same worker.
    public static func run(panel: Panel, inputs: SignalInputs, options: SimulationOptions,
                           measure: (@Sendable (SymbolRun) -> Metrics)? = nil) throws -> SimulationResult {
        try options.validate()
        let N = panel.symbolCount, T = panel.barCount
        try validate(inputs, symbols: panel.symbols, bars: T)
        let mode = options.capitalMode ?? (inputs.usesTargets ? .shared : .independent)
        let hasSignals = inputs.entries != nil || inputs.exits != nil || inputs.shortEntries != nil || inputs.shortExits != nil
        if hasSignals && (inputs.position != nil || inputs.usesTargets) {
            throw SimulationError.badInput("give either signals (entries/exits/short_entries/short_exits) or a target (position, weight or score), not both")
        }
        if inputs.position != nil && inputs.usesTargets {
            throw SimulationError.badInput("give one target: position (per symbol) or weight/score (shared portfolio), not both")
        }
        // Settings that only target portfolios read would otherwise be silently ignored.
        if options.top != nil && inputs.score == nil {
            throw SimulationError.badInput("`top` picks the best-scored symbols: it needs a `score` series from signals")
        }
        if options.rebalance != .onChange && inputs.position == nil && !inputs.usesTargets {
            throw SimulationError.badInput("`rebalance` schedules trades toward targets: it needs `position`, `weight` or `score` from signals, not entries and exits")
        }
        if N == 0 || T == 0 { return SimulationResult(runs: [], equity: [], mode: mode, rebalances: 0) }
        let close = panel.fields["close"]!
        let open = panel.fields["open"] ?? close, high = panel.fields["high"] ?? close, low = panel.fields["low"] ?? close
        if mode == .shared {
            guard inputs.usesTargets else {
                throw SimulationError.badInput("a shared portfolio trades target weights: return `weight` (or `score` with `top`) from signals")
            }
            if options.stopLoss != nil || options.takeProfit != nil || options.trailingStop != nil ||
                inputs.stopLoss != nil || inputs.takeProfit != nil || inputs.trailingStop != nil {
                throw SimulationError.badInput("stops apply to independent sub-accounts; a shared portfolio trades only at rebalances")
            }
            if inputs.score != nil && inputs.weight == nil && options.top == nil {
                throw SimulationError.badInput("a `score` series needs `top = N` (how many of the best-scored symbols to hold)")
            }
            return try Portfolio.runShared(panel: panel, inputs: inputs, options: options)
        }
        guard inputs.entries != nil || inputs.shortEntries != nil || inputs.position != nil || inputs.weight != nil else {
            throw SimulationError.badInput("nothing to trade: give entries, short_entries, position or weight")
        }
        let slice = options.capital / Double(max(N, 1))
        let schedule = options.rebalance.schedule(panel.timestamps)
        var runs = [SymbolRun?](repeating: nil, count: N)
        var measured = [Metrics](repeating: Metrics(), count: measure == nil ? 0 : N)
        let prices = Columns([open, high, low, close])
        let sig = Columns([inputs.entries, inputs.exits, inputs.shortEntries, inputs.shortExits,
                           inputs.position ?? inputs.weight, inputs.stopLoss, inputs.takeProfit, inputs.trailingStop])
        let groups = (N + equityGroup - 1) / equityGroup
        // Each group's Σ of equity, added while its symbols' curves are still in cache.
        var partial = [Double](repeating: 0, count: groups * T)
        withExtendedLifetime((open, high, low, close, inputs)) {
            partial.withUnsafeMutableBufferPointer { pb in
            measured.withUnsafeMutableBufferPointer { mb in
            runs.withUnsafeMutableBufferPointer { out in
                let results = SharedBuffer(out.baseAddress!, count: N)
                let sums = SharedBuffer(pb.baseAddress!, count: pb.count)
                let metrics = mb.baseAddress.map { SharedBuffer($0, count: N) }
                // The common case — long entries/exits at the close, no stops — has a lean loop
                // of its own (the same ledger calls, so the same results; a test compares them).
                let plain = isPlainLong(inputs, options)
                parallelFor(chunks: groups, threads: options.threads) { g in
                    for s in g * equityGroup ..< min(N, (g + 1) * equityGroup) {
                        if plain {
                            let sv = sig.view(s, T)
                            results[s] = simulateLongSignals(symbol: s, bars: T, close: prices.view(s, T)[3]!, entries: sv[0]!,
                                                             exits: sv[1], capital: slice, options: options)
                        } else {
                            results[s] = simulateSymbol(symbol: s, bars: T, prices: prices.view(s, T), signals: sig.view(s, T),
                                                        capital: slice, options: options, schedule: schedule)
                        }
                        results[s]!.equity.withUnsafeBufferPointer { addEquity($0, into: sums.base + g * T) }
                        if let measure, let metrics { metrics[s] = measure(results[s]!) }
                    }
                }
            }
            }
            }
        }
        let equity = sumGroups(partial, groups: groups, bars: T, threads: options.threads)
        var result = SimulationResult(runs: runs.map { $0! }, equity: equity, mode: .independent, rebalances: 0)
        if measure != nil { result.symbolMetrics = measured }
        return result
    }

    /// Symbols per group in the portfolio's equity sum: each group adds its symbols in order,
    /// then the groups are added in order, so the sum is the same bits for any thread count.
    static let equityGroup = 8

    /// Σ of the sub-accounts at each bar, summed exactly as `run` sums them.
    public static func sumEquity(_ runs: [SymbolRun], bars T: Int, threads: Int) -> [Double] {
        let groups = (runs.count + equityGroup - 1) / equityGroup
        var partial = [Double](repeating: 0, count: groups * T)
        partial.withUnsafeMutableBufferPointer { pb in
            let sums = SharedBuffer(pb.baseAddress!, count: pb.count)
            parallelFor(chunks: groups, threads: threads) { g in
                for s in g * equityGroup ..< min(runs.count, (g + 1) * equityGroup) {
                    runs[s].equity.withUnsafeBufferPointer { addEquity($0, into: sums.base + g * T) }
                }
            }
        }
        return sumGroups(partial, groups: groups, bars: T, threads: threads)
    }

    @inline(__always)
    static func addEquity(_ e: UnsafeBufferPointer<Double>, into sum: UnsafeMutablePointer<Double>) {
        for t in 0 ..< e.count { sum[t] += e[t] }
    }

    /// Σ over groups of `partial` (`groups × bars`), in group order, in parallel over bars.
    static func sumGroups(_ partial: [Double], groups: Int, bars T: Int, threads: Int) -> [Double] {
        var equity = [Double](repeating: 0, count: T)
        let chunk = 512
        equity.withUnsafeMutableBufferPointer { eq in
            partial.withUnsafeBufferPointer { pb in
                guard let base = eq.baseAddress, let src = pb.baseAddress else { return }
                let out = SharedBuffer(base, count: T)
                let from = SharedBuffer(UnsafeMutablePointer(mutating: src), count: pb.count)
                parallelFor(chunks: (T + chunk - 1) / chunk, threads: threads) { k in
                    let range = k * chunk ..< min(T, (k + 1) * chunk)
                    for g in 0 ..< groups { for t in range { out.base[t] += from.base[g * T + t] } }
                }
            }
        }
        return equity
    }

    /// Long entries and exits over closes alone (open = high = low = close): the array form of
    /// `run(panel:inputs:options:)`, for callers without a panel.
    public static func run(close: [Double], entries: [Double], exits: [Double],
                           symbols: Int, bars: Int, options: SimulationOptions) throws -> [SymbolRun] {
        guard symbols >= 0, bars >= 0, close.count == symbols * bars, entries.count == close.count, exits.count == close.count else {
            throw SimulationError.badInput("close, entries and exits must each hold symbols × bars = \(symbols) × \(bars) values, " +
                                           "got \(close.count), \(entries.count) and \(exits.count)")
        }
        let panel = try Panel(symbols: (0 ..< symbols).map { "S\($0)" }, timestamps: (0 ..< bars).map { Int64($0) * 86_400 },
                              fields: ["open": close, "high": close, "low": close, "close": close,
                                       "volume": [Double](repeating: 0, count: close.count)])
        return try run(panel: panel, inputs: SignalInputs(entries: entries, exits: exits), options: options).runs
    }

    /// Rejects what would otherwise give silently wrong numbers: non-bool signals, out-of-range
    /// targets, negative stop fractions.
    static func validate(_ inputs: SignalInputs, symbols: [String], bars T: Int) throws {
        let cells = symbols.count * T
        func place(_ i: Int) -> String { "\(symbols[i / max(T, 1)]) bar \(i % max(T, 1))" }
        let bools: [(String, [Double]?)] = [("entries", inputs.entries), ("exits", inputs.exits),
                                             ("short_entries", inputs.shortEntries), ("short_exits", inputs.shortExits)]
        for (name, a) in bools {
            guard let a else { continue }
            guard a.count == cells else { throw SimulationError.badInput("\(name) holds \(a.count) values, expected \(cells)") }
            if inputs.boolsAreTyped { continue }
            if let i = a.firstIndex(where: { $0 != 0 && $0 != 1 && !$0.isNaN }) {
                throw SimulationError.badInput("\(name) must be a bool series (0 or 1), got \(a[i]) at \(place(i))")
            }
        }
        let ranged: [(String, [Double]?, ClosedRange<Double>)] = [
            ("position", inputs.position, -1 ... 1), ("weight", inputs.weight, -1 ... 1),
            ("stop_loss", inputs.stopLoss, 0 ... 1), ("take_profit", inputs.takeProfit, 0 ... .greatestFiniteMagnitude),
            ("trailing_stop", inputs.trailingStop, 0 ... 1)]
        for (name, a, range) in ranged {
            guard let a else { continue }
            guard a.count == cells else { throw SimulationError.badInput("\(name) holds \(a.count) values, expected \(cells)") }
            if let i = a.firstIndex(where: { !$0.isNaN && !range.contains($0) }) {
                throw SimulationError.badInput("\(name) must lie in \(short(range.lowerBound))…\(range.upperBound == .greatestFiniteMagnitude ? "∞" : short(range.upperBound)), got \(short(a[i])) at \(place(i))")
            }
        }
        if let s = inputs.score, s.count != cells { throw SimulationError.badInput("score holds \(s.count) values, expected \(cells)") }
    }

    /// Long entries (and exits) filled at the close, with no shorts, targets or stops: the case
    /// `simulateLongSignals` handles.
    static func isPlainLong(_ inputs: SignalInputs, _ options: SimulationOptions) -> Bool {
        inputs.entries != nil && inputs.shortEntries == nil && inputs.shortExits == nil && inputs.position == nil &&
            inputs.weight == nil && inputs.stopLoss == nil && inputs.takeProfit == nil && inputs.trailingStop == nil &&
            options.stopLoss == nil && options.takeProfit == nil && options.trailingStop == nil && options.fill == .close
    }

    // MARK: - one symbol

    /// Long entries and exits filled at the close, no stops: what `simulateSymbol` does for
    /// such inputs, without the branches for shorts, targets, stops and next-open fills.
    static func simulateLongSignals(symbol: Int, bars T: Int, close: UnsafePointer<Double>, entries: UnsafePointer<Double>,
                                    exits: UnsafePointer<Double>?, capital: Double, options o: SimulationOptions) -> SymbolRun {
        var acct = Account(symbol: symbol, cash: capital, options: o)
        var lastPrice = Double.nan
        // Tracked here, where it costs little: this loop waits on memory, not on arithmetic.
        var drawdown = Drawdown()
        // Every bar is written below, so the curve starts uninitialized.
        let equity = [Double](unsafeUninitializedCapacity: T) { eq, count in
            count = T
            for t in 0 ..< T {
                let c = close[t]
                if c.isNaN {
                    eq[t] = acct.q == 0 ? acct.cash : acct.cash + acct.q * lastPrice
                    drawdown.add(eq[t], bar: t)
                    if acct.q != 0 { acct.barsInMarket += 1 }
                    continue
                }
                lastPrice = c
                let enter = entries[t] == 1, exit = exits.map { $0[t] == 1 } ?? false
                // Both on one bar cancel (vectorbt); an entry while long and an exit while flat do nothing.
                if enter != exit {
                    if enter && acct.q == 0 { _ = act(1, ref: c, bar: t, &acct) }
                    else if exit && acct.q > 0 { _ = act(3, ref: c, bar: t, &acct) }
                }
                if acct.q != 0 { acct.barsInMarket += 1 }
                eq[t] = acct.q == 0 ? acct.cash : acct.cash + acct.q * c
                drawdown.add(eq[t], bar: t)
            }
        }
        acct.finish(lastPrice: lastPrice, lastBar: T - 1)
        var run = acct.symbolRun(equity: equity, capital: capital)
        run.drawdown = drawdown
        return run
    }

    /// One symbol's sub-account over all bars. Allocation-free per bar (trades are appended).
    static func simulateSymbol(symbol: Int, bars T: Int, prices: [UnsafePointer<Double>?], signals: [UnsafePointer<Double>?],
                               capital: Double, options o: SimulationOptions, schedule: [Bool]) -> SymbolRun {
        let open = prices[0]!, high = prices[1]!, low = prices[2]!, close = prices[3]!
        let en = signals[0], ex = signals[1], sen = signals[2], sex = signals[3], target = signals[4]
        let slSeries = signals[5], tpSeries = signals[6], trSeries = signals[7]
        var acct = Account(symbol: symbol, cash: capital, options: o)
        var equity = [Double](repeating: capital, count: T)
        var lastPrice = Double.nan
        let nextOpen = o.fill == .nextOpen
        // A decided order waiting for the next open: 0 none, 1 go long, 2 go short, 3 close, 4 target.
        var pending: Int8 = 0
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
                // 1. The order decided on the previous bar fills at this bar's open.
                if nextOpen && pending != 0 {
                    let px = open[t]
                    if !(px.isNaN || px <= 0) { lastPrice = px }   // the latest known price, should the close be NaN
                    if px.isNaN || px <= 0 {
                        acct.skipped += 1
                    } else if pending == 4 {
                        acct.trade(toFraction: pendingTarget, ref: px, bar: t)
                        if acct.q != 0 && acct.entryBar == t { stop.arm(px, from: t, pendingStops) }
                    } else {
                        // Filled at the open, so this bar's whole range comes after the entry:
                        // its stops are live on this same bar.
                        if act(pending, ref: px, bar: t, &acct) { stop.arm(px, from: t, pendingStops) }
                    }
                    pending = 0
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
                                if t + 1 < T { pending = 4; pendingTarget = x; pendingStops = stopSource[t] }
                            } else {
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
                        var action: Int8 = 0
                        if acct.q == 0 {
                            action = le ? 1 : (se ? 2 : 0)
                        } else if acct.q > 0 {
                            action = se && o.reverse ? 2 : (lx ? 3 : 0)
                        } else {
                            action = le && o.reverse ? 1 : (sx ? 3 : 0)
                        }
                        if action != 0 {
                            if nextOpen {
                                if t + 1 < T {
                                    pending = action
                                    pendingStops = stopSource[t]
                                }
                            } else {
                                if act(action, ref: c, bar: t, &acct) { stop.arm(c, from: t + 1, stopSource[t]) }
                            }
                        }
                    }
                }
                if acct.q != 0 { acct.barsInMarket += 1 }
                eq[t] = acct.q == 0 ? acct.cash : acct.cash + acct.q * c
            }
        }
        acct.finish(lastPrice: lastPrice, lastBar: T - 1)
        return acct.symbolRun(equity: equity, capital: capital)
    }

    /// Executes a go-long (1) / go-short (2) / close (3) action at `ref` on bar t; true when it
    /// opened a position (whose stops the caller then arms).
    @inline(__always)
    static func act(_ action: Int8, ref: Double, bar t: Int, _ acct: inout Account) -> Bool {
        switch action {
        case 3:
            acct.close(ref: ref, bar: t, reason: .signal)
            return false
        case 1, 2:
            if acct.q != 0 { acct.close(ref: ref, bar: t, reason: .reverse) }
            return acct.openPosition(long: action == 1, ref: ref, bar: t, equity: acct.cash)
        default:
            return false
        }
    }

    /// The stop that fires on a bar, if any: (reference fill price, reason). Stop-loss and trailing
    /// stop (the tighter level) first, take-profit only if neither fired; a bar that opens through
    /// a level fills at the open.
    @inline(__always)
    static func checkStops(long: Bool, open op: Double, high hi: Double, low lo: Double, base: Double, extreme: Double,
                           sl: Double, tp: Double, tr: Double) -> (Double, ExitReason)? {
        let s = long ? 1.0 : -1.0
        return checkLevels(long: long, open: op, high: hi, low: lo,
                           stopLoss: sl.isNaN ? .nan : base * (1 - s * sl),
                           trailing: tr.isNaN ? .nan : extreme * (1 - s * tr),
                           takeProfit: tp.isNaN ? .nan : base * (1 + s * tp))
    }

    /// The same rule for absolute price levels (NaN = off); the per-bar path's exits use it too.
    @inline(__always)
    static func checkLevels(long: Bool, open op: Double, high hi: Double, low lo: Double,
                            stopLoss: Double, trailing: Double, takeProfit: Double) -> (Double, ExitReason)? {
        // The tighter of the two stops: the one a falling (rising, for a short) price meets first.
        var level = stopLoss, trailingWins = false
        if !trailing.isNaN && (level.isNaN || (long ? trailing > level : trailing < level)) { level = trailing; trailingWins = true }
        if !level.isNaN {
            if long ? op <= level : op >= level { return (op, trailingWins ? .trailingStopGap : .stopLossGap) }
            if lo <= level && level <= hi { return (level, trailingWins ? .trailingStop : .stopLoss) }
        }
        if !takeProfit.isNaN {
            if long ? takeProfit <= op : takeProfit >= op { return (op, .takeProfitGap) }
            if lo <= takeProfit && takeProfit <= hi { return (takeProfit, .takeProfit) }
        }
        return nil
    }
}

/// The open trade's stops (NaN = off), its base (the entry's reference price) and the running
/// extreme for the trailing stop; checked from bar `armedFrom` on.
struct StopState {
    var sl = Double.nan, tp = Double.nan, tr = Double.nan
    var base = 0.0, extreme = 0.0, armedFrom = Int.max
    var any: Bool { !sl.isNaN || !tp.isNaN || !tr.isNaN }
    mutating func arm(_ ref: Double, from t: Int, _ f: (Double, Double, Double)) {
        base = ref; extreme = ref; armedFrom = t
        (sl, tp, tr) = f
    }
}

/// Stop fractions for an entry decided on bar t: the per-bar series where given and not NaN,
/// else the scalar options.
struct StopSource {
    let sl: UnsafePointer<Double>?, tp: UnsafePointer<Double>?, tr: UnsafePointer<Double>?
    let scalars: (Double, Double, Double)
    subscript(t: Int) -> (Double, Double, Double) {
        (pick(sl, t, scalars.0), pick(tp, t, scalars.1), pick(tr, t, scalars.2))
    }
    @inline(__always) private func pick(_ s: UnsafePointer<Double>?, _ t: Int, _ scalar: Double) -> Double {
        if let s, !s[t].isNaN { return s[t] }
        return scalar
    }
}

/// Raw column pointers that may cross into worker closures; the arrays outlive the call.
struct Columns: @unchecked Sendable {
    let bases: [UnsafePointer<Double>?]
    init(_ arrays: [[Double]?]) {
        // Arrays are kept alive by the caller (withExtendedLifetime); their storage does not move.
        bases = arrays.map { a in a.map { $0.withUnsafeBufferPointer { $0.baseAddress! } } }
    }
    func view(_ s: Int, _ T: Int) -> [UnsafePointer<Double>?] { bases.map { $0.map { $0 + s * T } } }
}

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
        exitUnits = 0; exitGross = 0; exitFees = 0
    }

    /// Appends the trade; its exit sums must cover all entered units.
    private mutating func book(exitBar: Int, open: Bool, reason: ExitReason) {
        let size = entryUnits
        let entryPrice = entryGross / entryUnits
        let exitPrice = exitGross / exitUnits
        // Same order of operations as vectorbt: (size·exit − size·entry) − fees.
        let gross = isShort ? size * entryPrice - size * exitPrice : size * exitPrice - size * entryPrice
        let pnl = gross - entryFees - exitFees
        trades.append(Trade(symbol: symbol, entryBar: entryBar, exitBar: exitBar, entryPrice: entryPrice, exitPrice: exitPrice,
                            size: size, isShort: isShort, entryFees: entryFees, exitFees: exitFees, pnl: pnl,
                            returnFraction: pnl / (size * entryPrice), isOpen: open, exitReason: reason))
    }

    /// The price after slippage for a buy (up) or a sell (down).
    @inline(__always) func slipped(_ ref: Double, buy: Bool) -> Double { slip == 0 ? ref : ref * (buy ? 1 + slip : 1 - slip) }

    /// Closes the whole position at `ref` (before slippage).
    mutating func close(ref: Double, bar: Int, reason: ExitReason) {
        guard q != 0 else { return }
        let px = slipped(ref, buy: q < 0)
        fill(-q, price: px, fee: abs(q) * px * rate + fixed, bar: bar, reason: reason)
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
        fill(delta, price: px, fee: abs(delta) * px * rate + fixed, bar: bar, reason: .rebalance)
    }

    /// The finished account as a symbol's result.
    func symbolRun(equity: [Double], capital: Double) -> SymbolRun {
        var run = SymbolRun(equity: equity, trades: trades, initialCapital: capital)
        run.feesPaid = fees; run.tradedValue = traded
        run.barsInMarket = barsInMarket; run.skippedOrders = skipped
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
