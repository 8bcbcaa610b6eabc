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

    /// The loops keep their decided orders in registers: one byte each, as the integer codes were.
    @Test func orderCodesStayOneByte() {
        #expect(MemoryLayout<SignalAction?>.size == 1)
        #expect(MemoryLayout<PendingOrder?>.size == 1)
    }
}
