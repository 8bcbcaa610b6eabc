import LunarData
import LunarEngine
import LunarSim

extension Backtest {
    /// A run whose signals are long entries (and exits) on independent sub-accounts, with
    /// evaluation and simulation fused: the executor hands each tile's entries and exits to the
    /// simulator as bytes as soon as its last stage has them, and each symbol is simulated and
    /// measured while its signals, closes and equity are still in cache. Nil where this does
    /// not apply — the naive engine, on_bar, other signals, settings the lean loop does not
    /// take (shorts, stops, next-open fills, targets), signals the plan cannot stream — and the
    /// caller runs evaluation and simulation one after the other. The numbers are the same:
    /// the same per-symbol loops, the same equity sums (a test compares the two paths).
    static func runTileFused(_ strategy: StrategyDefinition, view: Panel, sim: SimulationOptions, options: BacktestOptions,
                             timings: BacktestResult.Timings) throws -> BacktestResult? {
        guard options.engine == .fused, options.tileFusion, !strategy.perBar, let entries = strategy.outputs[Signal.entries.name],
              Signal.allCases.allSatisfy({ [.entries, .exits].contains($0) || strategy.outputs[$0.name] == nil }) else { return nil }
        var timings = timings
        var clock = Stopwatch()
        let (curve, name, returns) = try benchmark(panel: view, symbol: sim.benchmark, capital: sim.capital)
        let bpy = view.barsPerYear
        guard let accounts = try Simulator.streamed(panel: view, options: sim, measure: { Metrics.compute($0, barsPerYear: bpy, benchmark: returns) })
        else { return nil }
        let signals = [entries] + (strategy.outputs[Signal.exits.name].map { [$0] } ?? [])
        let G = Simulator.equityGroup
        let sink: FusedExecutor.TileSink = { symbols, streams in
            // Tiles hold whole groups (tileMultiple), so no group is split between two workers.
            for g in symbols.lowerBound / G ..< (symbols.upperBound + G - 1) / G {
                accounts.simulate(group: g, entries: streams[0], exits: streams.count > 1 ? streams[1] : nil, first: symbols.lowerBound)
            }
        }
        guard try Evaluation.evaluate(strategy.graph, outputs: signals + strategy.indicators.map(\.node), streamed: Array(signals.indices),
                                      tileMultiple: G, panel: view, threads: sim.threads, cachePlans: true, sink: sink) != nil
        else { return nil }
        timings.evaluate = clock.lap()
        timings.fusedSimulation = true
        let simulation = accounts.finish()
        timings.simulate = clock.lap()
        var result = assemble(strategy, panel: view, runs: simulation.runs, equity: simulation.equity,
                              symbolMetrics: simulation.symbolMetrics ?? [], sim: sim, benchmark: (curve, name, returns))
        result.mode = .independent
        result.timings = timings
        result.timings.metrics = clock.lap()
        return result
    }
}
