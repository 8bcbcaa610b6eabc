import LunarData

/// Independent sub-accounts, one per symbol: the simulation `Simulator.run` makes for signals,
/// cut into groups of `Simulator.equityGroup` symbols that can be simulated in any order, on
/// any thread. A fused backtest simulates each tile of symbols as soon as the executor has
/// written its signals (`FusedEngine.run(_:panel:sink:)`), while they are still in cache, with
/// the bool signals as bytes; `Simulator.run` walks all groups itself. The per-symbol loops are
/// the same in both, so are the results, bit for bit.
public final class SubAccounts: @unchecked Sendable {
    public let symbols: Int
    public let bars: Int
    /// Groups of `Simulator.equityGroup` symbols: the unit a caller simulates at a time.
    public var groups: Int { (symbols + Simulator.equityGroup - 1) / Simulator.equityGroup }
    let options: SimulationOptions
    let capital: Double
    let events: UniverseEvents
    let schedule: [Bool]
    let prices: Columns, signals: Columns
    /// Long entries and exits at the close with no stops: the lean loop's case.
    let plain: Bool
    let measure: (@Sendable (SymbolRun) -> Metrics)?
    let keep: (Panel, SignalInputs)
    let runs: UnsafeMutablePointer<SymbolRun?>
    let metrics: UnsafeMutablePointer<Metrics>
    /// Each group's Σ of equity, added while its symbols' curves are still in cache.
    let partial: UnsafeMutablePointer<Double>

    /// `panel` is the run's view (the prices the options trade); `inputs` are checked already.
    /// With `streamedSignals`, entries and exits come with each `simulate` call as bytes.
    init(panel: Panel, inputs: SignalInputs, options: SimulationOptions, events: UniverseEvents, streamedSignals: Bool,
         measure: (@Sendable (SymbolRun) -> Metrics)?) {
        symbols = panel.symbolCount; bars = panel.barCount
        self.options = options; self.events = events; self.measure = measure
        capital = options.subAccountCapital(symbols: symbols)
        schedule = options.rebalance.schedule(panel.timestamps)
        let close = panel.fields["close"]!
        prices = Columns([panel.fields["open"] ?? close, panel.fields["high"] ?? close, panel.fields["low"] ?? close, close])
        signals = Columns([inputs.entries, inputs.exits, inputs.shortEntries, inputs.shortExits,
                           inputs.position ?? inputs.weight, inputs.stopLoss, inputs.takeProfit, inputs.trailingStop])
        plain = Simulator.isPlainLong(inputs, options, streamed: streamedSignals)
        keep = (panel, inputs)   // the columns point into these arrays
        runs = .allocate(capacity: max(1, symbols)); runs.initialize(repeating: nil, count: symbols)
        metrics = .allocate(capacity: max(1, symbols)); metrics.initialize(repeating: Metrics(), count: symbols)
        let cells = max(1, (symbols + Simulator.equityGroup - 1) / Simulator.equityGroup * bars)
        partial = .allocate(capacity: cells); partial.initialize(repeating: 0, count: cells)
    }

    deinit {
        runs.deinitialize(count: symbols); runs.deallocate()
        metrics.deinitialize(count: symbols); metrics.deallocate()
        partial.deallocate()
    }

    /// Simulates group `g`'s symbols from the signal arrays the inputs hold.
    public func simulate(group g: Int) {
        for s in range(g) { simulate(s, g, entries: nil as UnsafePointer<Double>?, exits: nil) }
    }

    /// Simulates group `g`'s symbols with their long entries and exits as bytes (1 = true):
    /// symbol `s`'s bars start at `entries + (s − first) * bars`.
    public func simulate(group g: Int, entries: UnsafePointer<UInt8>, exits: UnsafePointer<UInt8>?, first: Int) {
        for s in range(g) {
            let at = (s - first) * bars
            simulate(s, g, entries: entries + at, exits: exits.map { $0 + at })
        }
    }

    func range(_ g: Int) -> Range<Int> { g * Simulator.equityGroup ..< min(symbols, (g + 1) * Simulator.equityGroup) }

    private func simulate<Cell: SignalCell>(_ s: Int, _ g: Int, entries: UnsafePointer<Cell>?, exits: UnsafePointer<Cell>?) {
        let ev = events.symbols[s], T = bars
        let run: SymbolRun
        if plain && ev.isQuiet {
            // Pointers into the columns, not `view`s (an array each, per symbol).
            let close = prices.bases[3]! + s * T
            if let entries {
                run = Simulator.simulateLongSignals(symbol: s, bars: T, close: close, entries: entries, exits: exits,
                                                    capital: capital, options: options)
            } else {
                run = Simulator.simulateLongSignals(symbol: s, bars: T, close: close, entries: signals.bases[0]! + s * T,
                                                    exits: signals.bases[1].map { $0 + s * T }, capital: capital, options: options)
            }
        } else if let entries {
            // A symbol with events (delisting, membership, splits) takes the general loop,
            // which reads signals as numbers: its bytes are widened here (rare, and once).
            let wide = { (p: UnsafePointer<Cell>) in (0 ..< T).map { p[$0].isTrue ? 1.0 : 0.0 } }
            let e = wide(entries), x = exits.map(wide)
            run = e.withUnsafeBufferPointer { eb in
                func go(_ xp: UnsafePointer<Double>?) -> SymbolRun {
                    var sv = signals.view(s, T)
                    sv[0] = eb.baseAddress; sv[1] = xp
                    return Simulator.simulateSymbol(symbol: s, bars: T, prices: prices.view(s, T), signals: sv,
                                                    capital: capital, options: options, schedule: schedule, events: ev)
                }
                guard let x else { return go(nil) }
                return x.withUnsafeBufferPointer { go($0.baseAddress) }
            }
        } else {
            run = Simulator.simulateSymbol(symbol: s, bars: T, prices: prices.view(s, T), signals: signals.view(s, T),
                                           capital: capital, options: options, schedule: schedule, events: ev)
        }
        run.equity.withUnsafeBufferPointer { Simulator.addEquity($0, into: partial + g * T) }
        if let measure { metrics[s] = measure(run) }
        runs[s] = run
    }

    /// The runs and the portfolio's equity, once every group was simulated.
    public func finish() -> SimulationResult {
        let T = bars
        let equity = Simulator.sumGroups(UnsafePointer(partial), groups: groups, bars: T, threads: options.threads)
        var result = SimulationResult(runs: (0 ..< symbols).map { runs[$0]! }, equity: equity, mode: .independent, rebalances: 0)
        if measure != nil { result.symbolMetrics = Array(UnsafeBufferPointer(start: metrics, count: symbols)) }
        return result
    }
}

/// A bool signal's value at one bar: a number (1 = true; 0 and NaN are false) or a byte.
protocol SignalCell {
    var isTrue: Bool { get }
    /// The first index in `from ..< to` whose cell is true, or `to`.
    static func nextTrue(_ p: UnsafePointer<Self>, from: Int, to: Int) -> Int
}
extension Double: SignalCell {
    @inline(__always) var isTrue: Bool { self == 1 }
    @inline(__always) static func nextTrue(_ p: UnsafePointer<Double>, from: Int, to: Int) -> Int {
        var i = from
        while i < to && p[i] != 1 { i += 1 }
        return i
    }
}
extension UInt8: SignalCell {
    @inline(__always) var isTrue: Bool { self != 0 }
    /// Sixteen bytes at a time: signals are mostly false, so most of a span is skipped whole.
    @inline(__always) static func nextTrue(_ p: UnsafePointer<UInt8>, from: Int, to: Int) -> Int {
        var i = from
        let raw = UnsafeRawPointer(p)
        while i + 16 <= to
            && raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) | raw.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self) == 0 {
            i += 16
        }
        while i < to && p[i] == 0 { i += 1 }
        return i
    }
}
