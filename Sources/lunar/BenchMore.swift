import Foundation
import Lunar
import LunarWeb

/// The workloads other issues added to `lunar bench`: W2 (sweep), W3 (per-bar), W6 (watch
/// latency). Each prints its own lines; W5 runs through `BenchRunner.backtest`.
struct ExtraBenchResult {
    var name: String
    var lines: [String]
    var fields: [(String, String)]

    var table: String { "\n" + name + "\n" + lines.map { "  " + $0 + "\n" }.joined() }
    var json: String { "    {\"name\": \"\(name)\", " + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}" }
}

enum ExtraWorkloads {
    /// W2: SMA cross over fast 5…50 step 5 × slow 20…200 step 10 with fast < slow (174
    /// combinations) on 100 symbols × `bars`; or any grid size for the memory check.
    static func w2(root: String, bars: Int, runs: Int, threads: Int, fast: String = "5:50:5", slow: String = "20:200:10",
                   name: String = "W2") throws -> ExtraBenchResult {
        let panel = Synthetic.panel(symbols: 100, bars: bars)
        var request = SweepRequest(space: [try ParamSpace.parse("fast=" + fast), try ParamSpace.parse("slow=" + slow)])
        request.condition = "fast < slow"
        let opts = BenchRunner.options(threads: threads)
        let path = root + "/strategies/sma_cross.lua"
        PeakMemory.reset()
        let before = PeakMemory.current()
        var times: [Double] = []
        var combos = 0
        for k in 0 ... runs {
            var clock = Stopwatch()
            let r = try Sweep.run(strategyPath: path, panel: panel, options: opts, request: request)
            if k > 0 { times.append(clock.lap()) }
            combos = r.rows.count
        }
        let peak = PeakMemory.read()
        let t = BenchRunner.median(times)
        let backtests = combos * panel.symbolCount
        return ExtraBenchResult(name: "\(name): sweep of \(combos) combinations × \(panel.symbolCount) symbols × \(bars) bars = \(backtests) backtests", lines: [
            "total           \(BenchResult.fmt(t * 1000)) ms   \(BenchResult.fmt(Double(backtests) / t)) backtests/s",
            "peak memory     \(BenchResult.fmt(Double(peak) / 1_048_576)) MiB (\(BenchResult.fmt(Double(peak - before) / 1_048_576)) MiB above the process before the sweep)",
        ], fields: [("combinations", "\(combos)"), ("backtests", "\(backtests)"), ("total_ms", BenchResult.num(t * 1000)),
                    ("backtests_per_s", BenchResult.num(Double(backtests) / t)), ("peak_bytes", "\(peak)"),
                    ("added_bytes", "\(peak - before)")])
    }

    /// W3: the per-bar trailing-stop breakout over `panel`; bars per second per core of the
    /// per-bar phase, against its plain-Lua floor (bench/workloads/w3_floor.lua).
    static func w3(root: String, panel: Panel, runs: Int, threads: Int) throws -> ExtraBenchResult {
        try perBar(name: "W3: per-bar trailing breakout", root: root, strategy: root + "/strategies/trailing_breakout.lua",
                   floor: root + "/bench/workloads/w3_floor.lua", inputs: ["close", "hi"], panel: panel, runs: runs, threads: threads)
    }

    /// W3b: a realistic per-bar strategy (two indicators, ctx.state, a helper, ctx.past once per
    /// symbol), against its floor.
    static func w3b(root: String, panel: Panel, runs: Int, threads: Int) throws -> ExtraBenchResult {
        try perBar(name: "W3b: per-bar realistic", root: root, strategy: root + "/bench/workloads/w3b_realistic.lua",
                   floor: root + "/bench/workloads/w3b_floor.lua", inputs: ["close", "fast", "slow"], panel: panel, runs: runs, threads: threads)
    }

    /// A per-bar workload's per-core rate against the same decisions as a plain Lua loop over
    /// arrays on the same interpreter (`LuaFloor`), whose entries must equal the run's trades.
    static func perBar(name: String, root: String, strategy: String, floor: String, inputs: [String], panel: Panel,
                       runs: Int, threads: Int) throws -> ExtraBenchResult {
        let r = try BenchRunner.backtest(name: name, strategy: strategy, panel: panel, runs: runs, threads: threads)
        let bars = Double(panel.symbolCount * panel.barCount)
        let perCore = bars / r.simulate / Double(threads)
        // The floor's inputs: the data's columns and the strategy's indicators, per symbol.
        let run = try Backtest.run(strategyPath: strategy, panel: panel, options: BenchRunner.options(threads: threads))
        let named = run.strategy.indicators
        let values = try Evaluation.evaluate(run.strategy.graph, outputs: named.map(\.node), panel: run.panel, engine: .fused, threads: threads)
        let T = panel.barCount
        let arrays: [[[Double]]] = (0 ..< panel.symbolCount).map { s in
            inputs.map { input in
                let whole = named.first { $0.name == input }.map { values[$0.node]! } ?? run.panel.fields[input]!
                return Array(whole[s * T ..< (s + 1) * T])
            }
        }
        let code = try String(contentsOfFile: floor, encoding: .utf8)
        // Pairs of one per-bar run and one floor run, one right after the other: the ratio is
        // the median of the pairs' ratios, each taken on the same machine at the same moment
        // (on a shared machine the speed drifts between a batch of runs and a batch of floors).
        var floorTimes: [Double] = [], ratios: [Double] = [], entries = 0.0
        let options = BenchRunner.options(threads: threads)
        for k in 0 ... runs {
            let perBar = k == 0 ? 0 : try Backtest.run(strategyPath: strategy, panel: panel, options: options).timings.simulate
            let f = try LuaFloor.run(code: code, symbols: arrays)
            if k > 0 { floorTimes.append(f.seconds); ratios.append(f.seconds / (perBar * Double(threads))) }
            entries = f.total
        }
        let floorRate = bars / BenchRunner.median(floorTimes)
        let ratio = BenchRunner.median(ratios)
        let same = Int(entries) == run.trades.count
        return ExtraBenchResult(name: "\(name), \(panel.symbolCount) symbols × \(panel.barCount) bars, \(threads) thread(s)", lines: [
            "indicators      \(BenchResult.fmt((r.compile + r.evaluate) * 1000)) ms (compile and evaluate)",
            "per-bar Lua     \(BenchResult.fmt(r.simulate * 1000)) ms   \(BenchResult.fmt(bars / r.simulate / 1e6)) M bars/s, \(BenchResult.fmt(perCore / 1e6)) M bars/s per core",
            "Lua floor       \(BenchResult.fmt(floorRate / 1e6)) M bars/s on one thread (\(URL(fileURLWithPath: floor).lastPathComponent), the same decisions as a plain loop)",
            "per-bar path  = \(BenchResult.fmt(ratio))× the interpreter floor per core (median of \(runs) paired runs; target ≥ 0.5×); entries \(Int(entries)) vs \(run.trades.count) trades\(same ? "" : ": DIFFERENT")",
            "metrics         \(BenchResult.fmt(r.metrics * 1000)) ms   total \(BenchResult.fmt(r.total * 1000)) ms",
        ], fields: [("per_bar_ms", BenchResult.num(r.simulate * 1000)), ("bars_per_s", BenchResult.num(bars / r.simulate)),
                    ("bars_per_s_per_core", BenchResult.num(perCore)), ("floor_bars_per_s", BenchResult.num(floorRate)),
                    ("floor_ratio", BenchResult.num(ratio)), ("floor_trades_match", same ? "true" : "false"),
                    ("total_ms", BenchResult.num(r.total * 1000))])
    }

    /// W6: from saving a strategy file to the new result in `lunar watch`, 500 symbols × `bars`.
    static func w6(root: String, bars: Int, runs: Int, threads: Int) throws -> ExtraBenchResult {
        let panel = Synthetic.panel(symbols: 500, bars: bars)
        let times = try WatchLatency.measure(strategyPath: root + "/strategies/sma_cross.lua", panel: panel,
                                             options: BenchRunner.options(threads: threads), edits: max(5, runs) + 1,
                                             from: "fast = 10", to: "fast = 12")
        let t = BenchRunner.median(Array(times.dropFirst()))   // the first edit warms up
        return ExtraBenchResult(name: "W6: watch, save to new result, 500 symbols × \(bars) bars", lines: [
            "save → result   \(BenchResult.fmt(t * 1000)) ms (median of \(times.count - 1) edits; target ≤ 100 ms)",
        ], fields: [("save_to_result_ms", BenchResult.num(t * 1000))])
    }

    /// W6-web: the same edits as W6, from the save to the new result's data arriving at a page
    /// of `lunar watch --serve` (its event stream, read over loopback).
    static func w6web(root: String, bars: Int, runs: Int, threads: Int) throws -> ExtraBenchResult {
        let panel = Synthetic.panel(symbols: 500, bars: bars)
        let times = try LiveLatency.measure(strategyPath: root + "/strategies/sma_cross.lua", panel: panel,
                                            options: BenchRunner.options(threads: threads), edits: max(5, runs) + 1,
                                            from: "fast = 10", to: "fast = 12")
        let t = BenchRunner.median(Array(times.dropFirst()))
        return ExtraBenchResult(name: "W6-web: watch --serve, save to the result's data in the page, 500 symbols × \(bars) bars", lines: [
            "save → page     \(BenchResult.fmt(t * 1000)) ms (median of \(times.count - 1) edits; target ≤ 100 ms)",
        ], fields: [("save_to_page_ms", BenchResult.num(t * 1000))])
    }

    /// TPE: how many evaluations `--search tpe` needs to reach the grid's best score, on
    /// sma_cross (fast 2…50 × slow 10…200, fast < slow) and on a four-parameter strategy, with
    /// a budget of a quarter of the grid, over three seeds. Not timed: evaluations are the cost.
    static func tpe(root: String, bars: Int, threads: Int) throws -> ExtraBenchResult {
        let panel = Synthetic.panel(symbols: 50, bars: bars)
        let opts = BenchRunner.options(threads: threads)
        let cases: [(name: String, path: String, params: [String], condition: String?)] = [
            ("sma_cross", root + "/strategies/sma_cross.lua", ["fast=2:50:2", "slow=10:200:10"], "fast < slow"),
            ("four params", root + "/bench/workloads/tpe_four_params.lua",
             ["fast=5:30:5", "slow=40:120:20", "trend=4:16:4", "ceiling=60:80:10"], "fast < slow"),
        ]
        var lines: [String] = [], fields: [(String, String)] = []
        for c in cases {
            var grid = SweepRequest(space: try c.params.map(ParamSpace.parse))
            grid.condition = c.condition
            let full = try Sweep.run(strategyPath: c.path, panel: panel, options: opts, request: grid)
            let best = full.rows[0].metrics.sharpe
            let budget = max(1, full.rows.count / 4)
            var needed: [String] = [], reached = 0
            for seed in [1, 2, 3] as [UInt64] {
                var r = grid
                r.search = .tpe; r.trials = budget; r.seed = seed
                let found = try Sweep.run(strategyPath: c.path, panel: panel, options: opts, request: r)
                // Rows come back ranked; the evaluation order is the search's, so find when the best first appeared.
                let top = found.rows.map { $0.metrics.sharpe }.max() ?? .nan
                if top >= best - 1e-12 { reached += 1 }
                needed.append(top >= best - 1e-12 ? "reached" : "best \(BenchResult.fmt(top)) of \(BenchResult.fmt(best))")
            }
            lines.append("\(c.name): grid \(full.rows.count) combinations, best sharpe \(BenchResult.fmt(best)); TPE with \(budget) evaluations (a quarter): \(needed.joined(separator: ", ")) over seeds 1, 2, 3")
            fields += [("\(c.name.replacingOccurrences(of: " ", with: "_"))_grid", "\(full.rows.count)"),
                       ("\(c.name.replacingOccurrences(of: " ", with: "_"))_budget", "\(budget)"),
                       ("\(c.name.replacingOccurrences(of: " ", with: "_"))_seeds_reaching_best", "\(reached)")]
        }
        return ExtraBenchResult(name: "TPE: evaluations to the grid's best, 50 symbols × \(bars) bars", lines: lines, fields: fields)
    }
}
