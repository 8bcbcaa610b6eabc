import LunarData
import LunarTestSupport
import Testing
@testable import LunarSim

/// The lean loop for plain long signals must give exactly what the general loop gives.
@Suite(.serialized) struct LeanLoopTests {
    @Test func leanLoopEqualsGeneralLoop() throws {
        let panel = Synthetic.panel(symbols: 12, bars: 400, seed: 17)
        var rng = SplitMix64(seed: 3)
        let cells = panel.symbolCount * panel.barCount
        func signal(_ p: Double) -> [Double] { (0 ..< cells).map { _ in rng.nextUnit() < p ? 1 : (rng.nextUnit() < 0.01 ? .nan : 0) } }
        var close = panel.fields["close"]!
        for i in stride(from: 5, to: cells, by: 97) { close[i] = .nan }   // missing bars
        var gappy = panel
        try gappy.setField("close", close)
        for (fees, fixed, slip) in [(0.0, 0.0, 0.0), (0.001, 1.0, 0.0005)] {
            var options = SimulationOptions(capital: 12_000, fees: fees, threads: 2)
            options.fixedFee = fixed; options.slippage = slip
            let inputs = SignalInputs(entries: signal(0.05), exits: signal(0.05))
            let lean = try Simulator.run(panel: gappy, inputs: inputs, options: options)
            Simulator.forceGeneralLoop = true
            defer { Simulator.forceGeneralLoop = false }
            let general = try Simulator.run(panel: gappy, inputs: inputs, options: options)
            #expect(lean.equity == general.equity)
            #expect(lean.runs.map(\.trades) == general.runs.map(\.trades))
            #expect(lean.runs.map(\.barsInMarket) == general.runs.map(\.barsInMarket))
            #expect(lean.runs.flatMap(\.trades).count > 20)
        }
    }
}
