import Foundation
import LunarData
import LunarSim
import PropertyBased
import Testing

// Property-based tests of the simulator's invariants (swift-property-based): random prices,
// signals and settings drawn from each setting's valid range, shrunk to a small case when a
// property fails. Every case is described by small integers (symbol and bar counts, a data seed,
// one index per setting into a table of valid values whose first entry is the default), so a
// shrunk case reads as "1 symbol, 3 bars, fees 0.01, next_open" rather than as arrays.
//
// `SymbolRun` exposes the equity curve, the trades and the totals (fees, traded value, bars in
// the market), not the cash and units per bar. So "equity = cash + units × price on every bar" is
// checked by replaying each symbol's trades by hand: for entries/exits strategies each trade is
// exactly one entry fill and one exit fill, so the cash and units after every bar follow from the
// trades and the curve must match them (to a relative 1e-9: the replay adds the fills in another
// order). Target positions add to and trim a trade over several bars, which the trade record
// averages away; for them the curve is checked on every flat bar (equity = capital + Σ pnl of the
// closed trades) and at the end (capital + Σ pnl, the open trade marked to market).

/// One random simulation, as small integers; `index 0` of every setting is its default.
struct SimCase: Sendable, CustomTestStringConvertible {
    var symbols = 1, bars = 1, seed = 0
    /// 0 long entries/exits, 1 long and short entries/exits, 2 position targets in 0…1, 3 in −1…1.
    var kind = 0
    var volatility = 0, holes = 0
    var fees = 0, fixedFee = 0, slippage = 0, fill = 0, sizing = 0, integer = 0, reverse = 0
    var stopLoss = 0, takeProfit = 0, trailingStop = 0, stopSeries = 0, rebalance = 0, slice = 0

    static let feeValues = [0, 0.001, 0.01, 0.2]
    static let fixedFeeValues = [0, 0.5, 5, 200]
    static let slippageValues = [0, 0.0005, 0.01, 0.3]
    static let sizingValues: [Sizing] = [.allIn, .equityFraction(0.5), .cash(300), .units(3), .units(0.7), .equityFraction(1)]
    static let stopLossValues: [Double?] = [nil, 0.01, 0.05, 0.3]
    static let takeProfitValues: [Double?] = [nil, 0.01, 0.08, 2]
    static let trailingValues: [Double?] = [nil, 0.02, 0.1, 0.5]
    static let rebalanceValues: [Rebalance] = [.onChange, .every, .bars(3), .weekly, .monthly]
    static let volatilityValues = [0.02, 0.1, 0.4]
    /// Capital per symbol; each times any symbol count is exact, so `capital / N` gives it back exactly.
    static let sliceValues = [1000.0, 37.5, 1e6]

    var hasShorts: Bool { kind == 1 || kind == 3 }
    var usesTargets: Bool { kind >= 2 }
    var capitalPerSymbol: Double { SimCase.sliceValues[slice] }

    func options(symbols n: Int? = nil, threads: Int = 1) -> SimulationOptions {
        var o = SimulationOptions(capital: capitalPerSymbol * Double(n ?? symbols), fees: SimCase.feeValues[fees], threads: threads)
        o.fixedFee = SimCase.fixedFeeValues[fixedFee]
        o.slippage = SimCase.slippageValues[slippage]
        o.fill = fill == 0 ? .close : .nextOpen
        o.sizing = SimCase.sizingValues[sizing]
        o.integerUnits = integer == 1
        o.reverse = reverse == 1
        o.stopLoss = SimCase.stopLossValues[stopLoss]
        o.takeProfit = SimCase.takeProfitValues[takeProfit]
        o.trailingStop = SimCase.trailingValues[trailingStop]
        if usesTargets { o.rebalance = SimCase.rebalanceValues[rebalance] }
        o.capitalMode = .independent
        return o
    }

    var testDescription: String {
        let kinds = ["long entries/exits", "long+short entries/exits", "position 0…1", "position −1…1"]
        let o = options()
        var parts = ["\(symbols) symbols × \(bars) bars", "seed \(seed)", kinds[kind], "daily vol \(SimCase.volatilityValues[volatility])",
                     "capital \(o.capital)"]
        if holes > 0 { parts.append(holes == 1 ? "missing bars" : "missing bars and opens") }
        if o.fees != 0 { parts.append("fees \(o.fees)") }
        if o.fixedFee != 0 { parts.append("fixed_fee \(o.fixedFee)") }
        if o.slippage != 0 { parts.append("slippage \(o.slippage)") }
        if o.fill == .nextOpen { parts.append("fill next_open") }
        if o.sizing != .allIn { parts.append("sizing \(o.sizing)") }
        if o.integerUnits { parts.append("integer") }
        if o.reverse { parts.append("reverse") }
        if let v = o.stopLoss { parts.append("stop_loss \(v)") }
        if let v = o.takeProfit { parts.append("take_profit \(v)") }
        if let v = o.trailingStop { parts.append("trailing_stop \(v)") }
        if stopSeries == 1 { parts.append("per-bar stop series") }
        if usesTargets && o.rebalance != .onChange { parts.append("rebalance \(o.rebalance)") }
        return parts.joined(separator: ", ")
    }
}

/// Random cases. Counts are kept small (≤ 6 symbols × 120 bars), so a few hundred cases run in
/// well under a second; shrinking moves every index toward its default.
let simCases = zip(
    zip(Gen.int(in: 1 ... 6), Gen.int(in: 1 ... 120), Gen.int(in: 0 ... 1_000_000), Gen.int(in: 0 ... 3), Gen.int(in: 0 ... 2)),
    zip(Gen.int(in: 0 ... 2), Gen.int(in: 0 ... 3), Gen.int(in: 0 ... 3), Gen.int(in: 0 ... 3), Gen.int(in: 0 ... 1)),
    zip(Gen.int(in: 0 ... 5), Gen.int(in: 0 ... 1), Gen.int(in: 0 ... 1), Gen.int(in: 0 ... 3), Gen.int(in: 0 ... 3)),
    zip(Gen.int(in: 0 ... 3), Gen.int(in: 0 ... 1), Gen.int(in: 0 ... 4), Gen.int(in: 0 ... 2))
).map { (v: ((Int, Int, Int, Int, Int), (Int, Int, Int, Int, Int), (Int, Int, Int, Int, Int), (Int, Int, Int, Int))) -> SimCase in
    var c = SimCase()
    (c.symbols, c.bars, c.seed, c.kind, c.volatility) = v.0
    (c.holes, c.fees, c.fixedFee, c.slippage, c.fill) = v.1
    (c.sizing, c.integer, c.reverse, c.stopLoss, c.takeProfit) = v.2
    (c.trailingStop, c.stopSeries, c.rebalance, c.slice) = v.3
    return c
}

/// The panel and signals a case stands for, built deterministically from its seed.
struct SimWorld {
    var panel: Panel
    var inputs: SignalInputs

    init(_ c: SimCase) throws {
        let N = c.symbols, T = c.bars
        var rng = SplitMix64(seed: UInt64(c.seed) &* 0x9E37_79B9_7F4A_7C15 &+ 7)
        let vol = SimCase.volatilityValues[c.volatility]
        var open = [Double](repeating: .nan, count: N * T), high = open, low = open, close = open
        for s in 0 ..< N {
            var price = 10 + 90 * rng.nextUnit()
            // Listed late, delisted early, holes: a bar that is missing is missing in every field,
            // as the CSV loader leaves it; `holes = 2` also drops some opens, highs and lows alone.
            let first = c.holes > 0 && rng.nextUnit() < 0.3 ? Int(rng.nextUnit() * Double(T) / 2) : 0
            let last = c.holes > 0 && rng.nextUnit() < 0.3 ? T - Int(rng.nextUnit() * Double(T) / 3) : T
            for t in first ..< last {
                let o = price * exp(0.3 * vol * rng.nextGaussian())
                let cl = o * exp(vol * rng.nextGaussian())
                price = cl
                if c.holes > 0 && rng.nextUnit() < 0.1 { continue }
                let k = s * T + t
                open[k] = o; close[k] = cl
                high[k] = max(o, cl) * exp(0.5 * vol * abs(rng.nextGaussian()))
                low[k] = min(o, cl) * exp(-0.5 * vol * abs(rng.nextGaussian()))
                if c.holes == 2 && rng.nextUnit() < 0.1 { open[k] = .nan }
                if c.holes == 2 && rng.nextUnit() < 0.1 { high[k] = .nan; low[k] = .nan }
            }
        }
        let start = Calendar.daysFromCivil(2020, 1, 6) * 86_400
        panel = try Panel(symbols: (0 ..< N).map { "S\($0)" }, timestamps: (0 ..< T).map { start + Int64($0) * 86_400 },
                          fields: ["open": open, "high": high, "low": low, "close": close,
                                   "volume": [Double](repeating: 1000, count: N * T)])
        func flags(_ p: Double) -> [Double] {
            (0 ..< N * T).map { _ in let u = rng.nextUnit(); return u < p ? 1 : (u < p + 0.05 ? .nan : 0) }
        }
        inputs = SignalInputs()
        switch c.kind {
        case 0, 1:
            inputs.entries = flags(0.2); inputs.exits = flags(0.2)
            if c.kind == 1 { inputs.shortEntries = flags(0.2); inputs.shortExits = flags(0.2) }
        default:
            let levels: [Double] = c.kind == 2 ? [0, 0.25, 0.5, 1, 0.9] : [0, 0.5, 1, -0.5, -1, -0.3]
            // NaN keeps the current target; a new level on about a third of the bars.
            inputs.position = (0 ..< N * T).map { _ in rng.nextUnit() < 0.35 ? levels[Int(rng.nextUnit() * Double(levels.count))] : .nan }
        }
        if c.stopSeries == 1 {
            func series(_ hi: Double) -> [Double] { (0 ..< N * T).map { _ in rng.nextUnit() < 0.5 ? .nan : hi * rng.nextUnit() } }
            inputs.stopLoss = series(0.3); inputs.takeProfit = series(1); inputs.trailingStop = series(0.3)
        }
    }

    /// The same world restricted to (or reordered as) `symbols`, on the same calendar.
    func selecting(_ symbols: [Int]) throws -> SimWorld {
        let T = panel.barCount
        func pick(_ a: [Double]?) -> [Double]? { a.map { a in symbols.flatMap { a[$0 * T ..< ($0 + 1) * T] } } }
        var fields: [String: [Double]] = [:]
        for (k, v) in panel.fields { fields[k] = pick(v)! }
        var w = self
        w.panel = try Panel(symbols: symbols.map { panel.symbols[$0] }, timestamps: panel.timestamps, fields: fields)
        w.inputs.entries = pick(inputs.entries); w.inputs.exits = pick(inputs.exits)
        w.inputs.shortEntries = pick(inputs.shortEntries); w.inputs.shortExits = pick(inputs.shortExits)
        w.inputs.position = pick(inputs.position); w.inputs.weight = pick(inputs.weight); w.inputs.score = pick(inputs.score)
        w.inputs.stopLoss = pick(inputs.stopLoss); w.inputs.takeProfit = pick(inputs.takeProfit)
        w.inputs.trailingStop = pick(inputs.trailingStop)
        return w
    }
}

/// |a − b| within 1e-9 of `scale` (and of a and b themselves).
func agrees(_ a: Double, _ b: Double, scale: Double) -> Bool {
    a == b || abs(a - b) <= 1e-9 * max(abs(scale), abs(a), abs(b), 1)
}

/// One run's results with the symbol index taken out of its trades, for comparing runs whose
/// symbols are numbered differently.
func sameRun(_ a: SymbolRun, _ b: SymbolRun) -> Bool {
    func plain(_ t: [Trade]) -> [Trade] { t.map { var t = $0; t.symbol = 0; return t } }
    return a.equity == b.equity && plain(a.trades) == plain(b.trades) && a.feesPaid == b.feesPaid &&
        a.tradedValue == b.tradedValue && a.barsInMarket == b.barsInMarket && a.skippedOrders == b.skippedOrders &&
        a.initialCapital == b.initialCapital
}

/// A random permutation of 0..<n and a random split into two non-empty parts (n ≥ 2), from the case's seed.
func shuffles(_ c: SimCase) -> (permutation: [Int], a: [Int], b: [Int]) {
    var rng = SplitMix64(seed: UInt64(c.seed) &+ 0xA5A5)
    var perm = Array(0 ..< c.symbols)
    for i in stride(from: perm.count - 1, to: 0, by: -1) { perm.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
    var a: [Int] = [], b: [Int] = []
    for s in 0 ..< c.symbols { if rng.nextUnit() < 0.5 { a.append(s) } else { b.append(s) } }
    if c.symbols >= 2 && a.isEmpty { a.append(b.removeFirst()) }
    if c.symbols >= 2 && b.isEmpty { b.append(a.removeLast()) }
    return (perm, a, b)
}

/// Every invariant of one symbol's run that its trades let us check; `problems` names each one
/// that fails (empty when all hold).
func ledgerProblems(_ run: SymbolRun, symbol s: Int, world w: SimWorld, case c: SimCase, options o: SimulationOptions) -> [String] {
    var problems: [String] = []
    func fail(_ m: String) { if problems.count < 5 { problems.append("symbol \(s): " + m) } }
    let T = w.panel.barCount
    let close = Array(w.panel.series("close", symbol: s)), open = Array(w.panel.series("open", symbol: s))
    let high = Array(w.panel.series("high", symbol: s)), low = Array(w.panel.series("low", symbol: s))
    let capital = run.initialCapital
    if capital != c.capitalPerSymbol { fail("slice \(capital), expected \(c.capitalPerSymbol)") }
    if run.equity.count != T { fail("curve has \(run.equity.count) bars"); return problems }

    // Fees are never negative; the total is the trades' fees.
    if run.feesPaid < 0 { fail("feesPaid \(run.feesPaid) < 0") }
    var fees = 0.0, pnl = 0.0
    for (i, t) in run.trades.enumerated() {
        if t.entryFees < 0 || t.exitFees < 0 || !t.entryFees.isFinite || !t.exitFees.isFinite {
            fail("trade \(i) fees \(t.entryFees), \(t.exitFees)")
        }
        if t.symbol != s { fail("trade \(i) names symbol \(t.symbol)") }
        if !(t.size > 0) || !(t.entryPrice > 0) || !(t.exitPrice > 0) || !t.pnl.isFinite { fail("trade \(i) malformed: \(t)") }
        if t.entryBar > t.exitBar { fail("trade \(i) exits before it enters") }
        if i > 0 && t.entryBar < run.trades[i - 1].exitBar { fail("trade \(i) overlaps the previous one") }
        if t.isOpen && (i != run.trades.count - 1 || t.exitBar != T - 1 || t.exitReason != .open) { fail("open trade \(i) not last") }
        if !t.isOpen && t.exitReason == .open { fail("closed trade \(i) has exit reason open") }
        if t.isShort && !c.hasShorts { fail("a short trade without shorts") }
        let stopReasons: Set<ExitReason> = [.stopLoss, .stopLossGap, .takeProfit, .takeProfitGap, .trailingStop, .trailingStopGap]
        if stopReasons.contains(t.exitReason) && o.stopLoss == nil && o.takeProfit == nil && o.trailingStop == nil && c.stopSeries == 0 {
            fail("trade \(i) stopped out without stops")
        }
        // A symbol whose data end early is delisted, whatever drives it.
        let forced: Set<ExitReason> = [.delisted, .leftUniverse]
        if !forced.contains(t.exitReason),
           (t.exitReason == .rebalance) != (c.usesTargets && !t.isOpen && !stopReasons.contains(t.exitReason)) {
            fail("trade \(i) exit reason \(t.exitReason.rawValue) for \(c.usesTargets ? "a target" : "signals")")
        }
        if t.exitReason == .reverse && !o.reverse { fail("trade \(i) reversed without reverse") }
        let lastClose = close.lastIndex { !$0.isNaN } ?? -1
        if t.exitReason == .delisted && (t.exitBar != lastClose || lastClose == T - 1) { fail("trade \(i) delisted at bar \(t.exitBar), data end at \(lastClose)") }
        if lastClose < T - 1 && t.isOpen { fail("trade \(i) still open after the data end at bar \(lastClose)") }
        fees += t.entryFees + t.exitFees
        pnl += t.pnl
    }
    if !agrees(fees, run.feesPaid, scale: 0) { fail("feesPaid \(run.feesPaid) ≠ Σ trade fees \(fees)") }

    // Bars in the market, and the bars that end flat, from the trades' spans.
    var inMarket = [Bool](repeating: false, count: T)
    for t in run.trades { for b in t.entryBar ..< (t.isOpen ? T : t.exitBar) { inMarket[b] = true } }
    if inMarket.filter({ $0 }).count != run.barsInMarket { fail("barsInMarket \(run.barsInMarket), trades span \(inMarket.filter { $0 }.count)") }
    var closedPnl = [Double](repeating: 0, count: T)
    for t in run.trades where !t.isOpen { closedPnl[t.exitBar] += t.pnl }
    var realized = 0.0
    for b in 0 ..< T {
        realized += closedPnl[b]
        if !inMarket[b] && !agrees(run.equity[b], capital + realized, scale: capital) {
            fail("flat bar \(b): equity \(run.equity[b]) ≠ capital + closed pnl \(capital + realized)"); break
        }
    }
    // The end: the capital plus every trade's pnl, the open one marked at the last valid close.
    if T > 0 && !agrees(run.equity[T - 1], capital + pnl, scale: capital) {
        fail("final equity \(run.equity[T - 1]) ≠ capital + Σ pnl \(capital + pnl)")
    }

    guard !c.usesTargets else { return problems }
    // Entries/exits: one entry fill and one exit fill per trade, so the ledger replays exactly.
    var cashFlow = [Double](repeating: 0, count: T), unitFlow = [Double](repeating: 0, count: T)
    for (i, t) in run.trades.enumerated() {
        let side = t.isShort ? -1.0 : 1.0
        cashFlow[t.entryBar] -= side * t.size * t.entryPrice + t.entryFees
        unitFlow[t.entryBar] += side * t.size
        if !t.isOpen {
            cashFlow[t.exitBar] += side * t.size * t.exitPrice - t.exitFees
            unitFlow[t.exitBar] -= side * t.size
        }
        // Every fill is at a price the bar traded at, moved by the slippage against the trader
        // (a delisting is a cash-out at the last close: no slippage, no fee).
        for (bar, price, buy, slips) in [(t.entryBar, t.entryPrice, !t.isShort, true)]
            + (t.isOpen ? [] : [(t.exitBar, t.exitPrice, t.isShort, t.exitReason != .delisted)]) {
            let slip = slips ? o.slippage : 0
            let ref = price / (buy ? 1 + slip : 1 - slip)
            let op = open[bar].isNaN ? close[bar] : open[bar]
            let hi = high[bar].isNaN ? max(op, close[bar]) : high[bar], lo = low[bar].isNaN ? min(op, close[bar]) : low[bar]
            if !(ref >= lo * (1 - 1e-12) && ref <= hi * (1 + 1e-12)) { fail("trade \(i) fills at \(ref) outside bar \(bar)'s \(lo)…\(hi)") }
        }
    }
    // (Found by this property: an exit whose proceeds were below the fixed fee left the cash
    // below zero; a sale's fee is now capped at its proceeds, `Account.fee`.)
    let deficitFrom = Int.max
    var cash = capital, units = 0.0, mark = Double.nan, flows = capital
    for b in 0 ..< T {
        cash += cashFlow[b]; units += unitFlow[b]; flows += abs(cashFlow[b])
        if !close[b].isNaN { mark = close[b] }
        let expected = inMarket[b] ? cash + units * mark : cash
        if !agrees(run.equity[b], expected, scale: flows) {
            fail("bar \(b): equity \(run.equity[b]) ≠ cash \(cash) + units \(units) × price \(mark)"); break
        }
        if !c.hasShorts && b < deficitFrom && cash < -1e-9 * flows { fail("bar \(b): cash \(cash) < 0 without shorts"); break }
    }
    return problems
}

@Suite struct SimulatorPropertyTests {
    /// Per symbol: equity = cash + units × price (replayed from the trades), cash ≥ 0 without
    /// shorts, fees ≥ 0 and adding up, trades well formed, fills inside their bar's range.
    @Test func ledgerInvariants() async throws {
        await propertyCheck(count: 300, input: simCases) { c in
            let w = try SimWorld(c)
            let o = c.options()
            let r = try Simulator.run(panel: w.panel, inputs: w.inputs, options: o)
            #expect(r.runs.count == c.symbols && r.equity.count == c.bars)
            var problems: [String] = []
            for (s, run) in r.runs.enumerated() { problems += ledgerProblems(run, symbol: s, world: w, case: c, options: o) }
            #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
            // The portfolio is the sum of its sub-accounts, added as `sumEquity` adds them.
            #expect(r.equity == Simulator.sumEquity(r.runs, bars: c.bars, threads: 1))
        }
    }

    /// The same bits for any thread count; the same per-symbol results in any symbol order (the
    /// portfolio sum then adds in another order, so it agrees to rounding).
    @Test func independentOfThreadsAndSymbolOrder() async throws {
        await propertyCheck(count: 150, input: simCases) { c in
            let w = try SimWorld(c)
            let one = try Simulator.run(panel: w.panel, inputs: w.inputs, options: c.options(threads: 1))
            let many = try Simulator.run(panel: w.panel, inputs: w.inputs, options: c.options(threads: 3))
            #expect(one.equity == many.equity)
            #expect(zip(one.runs, many.runs).allSatisfy { sameRun($0, $1) && $0.trades == $1.trades })
            let perm = shuffles(c).permutation
            let shuffled = try Simulator.run(panel: try w.selecting(perm).panel, inputs: try w.selecting(perm).inputs,
                                             options: c.options(threads: 2))
            for (i, s) in perm.enumerated() {
                #expect(sameRun(shuffled.runs[i], one.runs[s]), "symbol \(s) differs when it is symbol \(i)")
                #expect(shuffled.runs[i].trades.allSatisfy { $0.symbol == i })
            }
            let scale = c.capitalPerSymbol * Double(c.symbols)
            #expect(zip(shuffled.equity, one.equity).allSatisfy { agrees($0, $1, scale: scale) })
        }
    }

    /// Independent sub-accounts: the run over A + B is the runs over A and over B side by side
    /// (each with its share of the capital): the same curves per symbol, the portfolio their sum.
    @Test func unionOfUniversesIsTheSumOfItsRuns() async throws {
        await propertyCheck(count: 150, input: simCases.filter { $0.symbols >= 2 }) { c in
            let w = try SimWorld(c)
            let whole = try Simulator.run(panel: w.panel, inputs: w.inputs, options: c.options())
            let (_, a, b) = shuffles(c)
            let wa = try w.selecting(a), wb = try w.selecting(b)
            let ra = try Simulator.run(panel: wa.panel, inputs: wa.inputs, options: c.options(symbols: a.count))
            let rb = try Simulator.run(panel: wb.panel, inputs: wb.inputs, options: c.options(symbols: b.count))
            for (i, s) in a.enumerated() { #expect(sameRun(ra.runs[i], whole.runs[s]), "symbol \(s) alone in A differs") }
            for (i, s) in b.enumerated() { #expect(sameRun(rb.runs[i], whole.runs[s]), "symbol \(s) alone in B differs") }
            let scale = c.capitalPerSymbol * Double(c.symbols)
            for t in 0 ..< c.bars where !agrees(whole.equity[t], ra.equity[t] + rb.equity[t], scale: scale) {
                Issue.record("bar \(t): A+B \(whole.equity[t]) ≠ A \(ra.equity[t]) + B \(rb.equity[t])")
                break
            }
        }
    }

    /// A shared portfolio: the symbols' gains add up to the portfolio's on every bar, the end is
    /// the capital plus every trade's pnl, fees are never negative, threads change nothing.
    @Test func sharedPortfolioAddsUp() async throws {
        await propertyCheck(count: 150, input: simCases) { c in
            var w = try SimWorld(c)
            let N = c.symbols, T = c.bars
            var rng = SplitMix64(seed: UInt64(c.seed) &+ 99)
            var o = c.options()
            o.capitalMode = .shared; o.stopLoss = nil; o.takeProfit = nil; o.trailingStop = nil
            o.rebalance = SimCase.rebalanceValues[c.rebalance]
            w.inputs = SignalInputs()
            if c.kind % 2 == 0 {
                // Weights, long only (kind 0) or long and short (kind 2), scaled so that Σ|w| ≤ 1 on every bar.
                var weight = (0 ..< N * T).map { _ in rng.nextUnit() < 0.2 ? Double.nan : (c.kind == 0 ? 1 : 2) * rng.nextUnit() - (c.kind == 0 ? 0 : 1) }
                for t in 0 ..< T {
                    let gross = (0 ..< N).reduce(0.0) { $0 + (weight[$1 * T + t].isNaN ? 0 : abs(weight[$1 * T + t])) }
                    if gross > 1 { for s in 0 ..< N { weight[s * T + t] /= gross * (1 + 1e-12) } }
                }
                w.inputs.weight = weight
            } else {
                w.inputs.score = (0 ..< N * T).map { _ in rng.nextUnit() < 0.2 ? .nan : rng.nextUnit() }
                o.top = 1 + c.seed % N
            }
            let r = try Simulator.run(panel: w.panel, inputs: w.inputs, options: o)
            #expect(r.mode == .shared)
            for t in 0 ..< T {
                let gains = r.runs.reduce(0.0) { $0 + $1.equity[t] - o.capital }
                if !agrees(gains, r.equity[t] - o.capital, scale: o.capital) {
                    Issue.record("bar \(t): Σ symbol gains \(gains) ≠ portfolio gain \(r.equity[t] - o.capital)"); break
                }
            }
            let pnl = r.runs.flatMap(\.trades).reduce(0.0) { $0 + $1.pnl }
            if T > 0 { #expect(agrees(r.equity[T - 1], o.capital + pnl, scale: o.capital)) }
            #expect(r.runs.allSatisfy { $0.feesPaid >= 0 && $0.trades.allSatisfy { $0.entryFees >= 0 && $0.exitFees >= 0 } })
            if c.kind == 0 { #expect(r.runs.allSatisfy { $0.trades.allSatisfy { !$0.isShort } }) }
            var threaded = o
            threaded.threads = 3
            let again = try Simulator.run(panel: w.panel, inputs: w.inputs, options: threaded)
            #expect(again.equity == r.equity && zip(again.runs, r.runs).allSatisfy { sameRun($0, $1) && $0.trades == $1.trades })
        }
    }
}

/// Findings of the properties above, reduced to their smallest case.
@Suite struct SimulatorRegressionTests {
    /// Found by `ledgerInvariants` ("cash never below zero without shorts"; shrunk to 1 symbol ×
    /// 25 bars, fixed_fee 200 on 1000 of capital). An entry is placed whenever the cash exceeds
    /// the fixed fee, but nothing keeps back the exit's fixed fee: an exit whose proceeds are
    /// below it takes the cash below zero, long only, no leverage. Smallest case: 300 of
    /// capital, fixed fee 200, closes 10, 10; the entry buys 10 units with the 100 left after its
    /// fee (cash 0), the exit sells them for 100 and pays 200: cash −100. Not fixed here: what
    /// should happen (refuse the entry, refuse or shrink the exit, charge at most the proceeds)
    /// is a semantics decision (docs/semantics.md, "Fills" and "Sizing"). Remove the known-issue
    /// wrapper when it is decided; the test then pins the rule.
    /// Found by `ledgerInvariants`: the fixed fee of a sale is capped at what the sale brings in.
    @Test func exitFeeIsCappedAtTheProceeds() throws {
        var o = SimulationOptions(capital: 300, fees: 0, threads: 1)
        o.fixedFee = 200
        let runs = try Simulator.run(close: [10, 10], entries: [1, 0], exits: [0, 1], symbols: 1, bars: 2, options: o)
        let run = try #require(runs.first)
        // The entry pays 200 and buys 10 units with the 100 left; the sale brings in 100 and its
        // fee takes all of it (not 200): flat at 0, not −100.
        #expect(run.trades.count == 1 && run.trades[0].size == 10 && run.trades[0].exitFees == 100)
        #expect(run.equity[0] == 100)
        #expect(run.equity[1] == 0)
    }
}
