import LunarData
import LunarTestSupport
import Testing
@testable import LunarSim

/// The lean loop for plain long signals must give exactly what the general loop gives.
@Suite struct LeanLoopTests {
    @Test func leanLoopEqualsGeneralLoop() throws {
        let T = 400
        var rng = SplitMix64(seed: 3)
        func signal(_ p: Double) -> [Double] { (0 ..< T).map { _ in rng.nextUnit() < p ? 1 : (rng.nextUnit() < 0.01 ? .nan : 0) } }
        var close = Array(Synthetic.panel(symbols: 1, bars: T, seed: 17).series("close", symbol: 0))
        for i in stride(from: 5, to: T, by: 37) { close[i] = .nan }   // missing bars
        var trades = 0
        for (fees, fixed, slip) in [(0.0, 0.0, 0.0), (0.001, 1.0, 0.0005)] {
            var options = SimulationOptions(capital: 1000, fees: fees, threads: 1)
            options.fixedFee = fixed; options.slippage = slip
            let entries = signal(0.05), exits = signal(0.05)
            #expect(Simulator.isPlainLong(SignalInputs(entries: entries, exits: exits), options))
            let (lean, general) = close.withUnsafeBufferPointer { c in entries.withUnsafeBufferPointer { e in exits.withUnsafeBufferPointer { x in
                let p = c.baseAddress!
                let signals: [UnsafePointer<Double>?] = [e.baseAddress!, x.baseAddress!, nil, nil, nil, nil, nil, nil]
                return (Simulator.simulateLongSignals(symbol: 0, bars: T, close: p, entries: e.baseAddress!, exits: x.baseAddress!,
                                                      capital: 1000, options: options),
                        Simulator.simulateSymbol(symbol: 0, bars: T, prices: [p, p, p, p], signals: signals, capital: 1000,
                                                 options: options, schedule: [Bool](repeating: false, count: T)))
            } } }
            #expect(lean.equity == general.equity)
            #expect(lean.trades == general.trades)
            #expect(lean.barsInMarket == general.barsInMarket && lean.feesPaid == general.feesPaid)
            // The drawdown the lean loop tracks is the one the metrics would compute.
            let tracked = try #require(lean.drawdown)
            let computed = lean.equity.withUnsafeBufferPointer { Metrics.drawdown($0.baseAddress!, T) }
            #expect(tracked.deepest == computed.0 && tracked.longest == computed.1 && tracked.deepest < 0)
            trades += lean.trades.count
        }
        #expect(trades > 10)
    }

    /// The span-by-span lean loop against the bar-by-bar general loop where spans matter:
    /// sparse and dense signals, no exits, a NaN run at the start and inside positions, an
    /// entry on the first bar and on the last, and the signals as numbers or as bytes.
    @Test(arguments: [(0.002, 0.002), (0.02, 0.3), (0.3, 0.02), (0.5, 0.5), (0.05, 0.0)])
    func spansEqualTheBarLoop(entryRate: Double, exitRate: Double) throws {
        let T = 1500
        var rng = SplitMix64(seed: UInt64(entryRate * 1e4 + exitRate * 1e2))
        func signal(_ p: Double) -> [Double] { (0 ..< T).map { _ in rng.nextUnit() < p ? 1 : (rng.nextUnit() < 0.01 ? .nan : 0) } }
        var close = Array(Synthetic.panel(symbols: 1, bars: T, seed: 29).series("close", symbol: 0))
        for i in 0 ..< 7 { close[i] = .nan }                      // no price yet
        for i in stride(from: 40, to: T, by: 97) { for k in 0 ..< 3 { close[i + k] = .nan } }
        var entries = signal(entryRate)
        entries[7] = 1; entries[T - 1] = 1
        let exits: [Double]? = exitRate == 0 ? nil : signal(exitRate)
        let options = SimulationOptions(capital: 1000, fees: 0.001, threads: 1)
        let general = close.withUnsafeBufferPointer { c in entries.withUnsafeBufferPointer { e in
            let x = exits?.withUnsafeBufferPointer { $0.baseAddress! }
            let signals: [UnsafePointer<Double>?] = [e.baseAddress!, x, nil, nil, nil, nil, nil, nil]
            let p = c.baseAddress!
            return Simulator.simulateSymbol(symbol: 0, bars: T, prices: [p, p, p, p], signals: signals, capital: 1000,
                                            options: options, schedule: [Bool](repeating: false, count: T))
        } }
        func bytes(_ v: [Double]) -> [UInt8] { v.map { $0 == 1 ? 1 : 0 } }
        let numbers = close.withUnsafeBufferPointer { c in entries.withUnsafeBufferPointer { e in
            Simulator.simulateLongSignals(symbol: 0, bars: T, close: c.baseAddress!, entries: e.baseAddress!,
                                          exits: exits?.withUnsafeBufferPointer { $0.baseAddress! }, capital: 1000, options: options)
        } }
        let eb = bytes(entries), xb = exits.map(bytes)
        let packed = close.withUnsafeBufferPointer { c in eb.withUnsafeBufferPointer { e in
            Simulator.simulateLongSignals(symbol: 0, bars: T, close: c.baseAddress!, entries: e.baseAddress!,
                                          exits: xb?.withUnsafeBufferPointer { $0.baseAddress! }, capital: 1000, options: options)
        } }
        #expect(general.trades.count > (exits == nil ? 0 : 1))   // without exits: one trade, held to the end
        for lean in [numbers, packed] {
            #expect(lean.equity.map(\.bitPattern) == general.equity.map(\.bitPattern))
            #expect(lean.trades == general.trades)
            #expect(lean.barsInMarket == general.barsInMarket && lean.feesPaid == general.feesPaid)
            let tracked = try #require(lean.drawdown)
            let computed = lean.equity.withUnsafeBufferPointer { Metrics.drawdown($0.baseAddress!, T) }
            #expect(tracked.deepest == computed.0 && tracked.longest == computed.1)
        }
    }

    /// A flat span added at once moves the drawdown as its bars one by one do.
    @Test func constantSpanEqualsItsBars() {
        let curve: [Double] = [100, 100, 90, 90, 90, 95, 95, 100, 100, 100, 80, .nan, .nan, 80, 120, 120]
        var spans = Drawdown(), bars = Drawdown()
        var t = 0
        while t < curve.count {
            var end = t + 1
            while end < curve.count && curve[end].bitPattern == curve[t].bitPattern { end += 1 }
            spans.add(constant: curve[t], bars: t ..< end)
            t = end
        }
        for (i, v) in curve.enumerated() { bars.add(v, bar: i) }
        #expect(spans == bars)
        #expect(abs(bars.deepest + 0.2) < 1e-12 && bars.longest == 5)   // 80 against 100; bars 2–6 below bar 1's peak
    }

    /// The loops keep their decided orders in registers: one byte each, as the integer codes were.
    @Test func orderCodesStayOneByte() {
        #expect(MemoryLayout<SignalAction?>.size == 1)
        #expect(MemoryLayout<PendingOrder?>.size == 1)
    }
}
