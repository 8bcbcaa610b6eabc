import LunarData

public enum Simulator {
    /// Simulates `inputs` over `panel` with `options`. Independent sub-accounts run per symbol in
    /// parallel; a shared portfolio runs bar by bar across symbols.
    /// - Parameter measure: computes a symbol's metrics from its run, right after the symbol is
    ///   simulated, on the same worker.
    public static func run(panel data: Panel, inputs: SignalInputs, options: SimulationOptions,
                           measure: (@Sendable (SymbolRun) -> Metrics)? = nil) throws -> SimulationResult {
        try options.validate()
        // The prices the options trade and the universe's membership (the same view the
        // signals were evaluated on, when they come from a Backtest).
        let panel = try data.runView(prices: options.prices, hours: options.hours)
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
            return try Portfolio.runShared(panel: panel, inputs: inputs, options: options,
                                           events: try UniverseEvents.of(panel, options))
        }
        guard inputs.entries != nil || inputs.shortEntries != nil || inputs.position != nil || inputs.weight != nil else {
            throw SimulationError.badInput("nothing to trade: give entries, short_entries, position or weight")
        }
        let accounts = SubAccounts(panel: panel, inputs: inputs, options: options,
                                   events: try UniverseEvents.of(panel, options), streamedSignals: false, measure: measure)
        parallelFor(chunks: accounts.groups, threads: options.threads) { g in accounts.simulate(group: g) }
        return accounts.finish()
    }

    /// Independent sub-accounts for long entries and exits that arrive tile by tile as bytes
    /// (`SubAccounts.simulate(group:entries:exits:first:)`), or nil where the run needs the
    /// general simulation (shorts, targets, stops, next-open fills, a shared portfolio): the
    /// fused backtest's path. The checks are `run`'s.
    public static func streamed(panel data: Panel, options: SimulationOptions,
                                measure: (@Sendable (SymbolRun) -> Metrics)? = nil) throws -> SubAccounts? {
        try options.validate()
        let panel = try data.runView(prices: options.prices, hours: options.hours)
        guard panel.symbolCount > 0, panel.barCount > 0, (options.capitalMode ?? .independent) == .independent,
              options.rebalance == .onChange, options.top == nil else { return nil }
        var inputs = SignalInputs()
        inputs.boolsAreTyped = true
        guard isPlainLong(inputs, options, streamed: true) else { return nil }
        return SubAccounts(panel: panel, inputs: inputs, options: options,
                           events: try UniverseEvents.of(panel, options), streamedSignals: true, measure: measure)
    }

    /// Symbols per group in the portfolio's equity sum: each group adds its symbols in order,
    /// then the groups are added in order, so the sum is the same bits for any thread count.
    public static let equityGroup = 8

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
        partial.withUnsafeBufferPointer { sumGroups($0.baseAddress, groups: groups, bars: T, threads: threads) }
    }

    static func sumGroups(_ partial: UnsafePointer<Double>?, groups: Int, bars T: Int, threads: Int) -> [Double] {
        var equity = [Double](repeating: 0, count: T)
        let chunk = 512
        equity.withUnsafeMutableBufferPointer { eq in
            guard let base = eq.baseAddress, let src = partial else { return }
            let out = SharedBuffer(base, count: T)
            let from = SharedBuffer(UnsafeMutablePointer(mutating: src), count: groups * T)
            parallelFor(chunks: (T + chunk - 1) / chunk, threads: threads) { k in
                let range = k * chunk ..< min(T, (k + 1) * chunk)
                for g in 0 ..< groups { for t in range { out.base[t] += from.base[g * T + t] } }
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
