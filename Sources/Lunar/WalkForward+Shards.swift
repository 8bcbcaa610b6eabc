import Foundation
import LunarData
import LunarSim

/// A walk-forward's shards (`lunar walkforward --shard K/N`): each makes the in-sample choices
/// of its slice of the windows (the sweeps: nearly all the work); the merge runs the chosen
/// parameters out of sample in window order, each window from the equity the last one left,
/// exactly as one `lunar walkforward` does.
public enum WalkForwardShards {
    /// One shard's choices for `shard.bin`.
    public static func payload(_ choices: [WalkForwardChoice]) -> Data {
        var w = ShardWriter()
        w.int(choices.count)
        for c in choices {
            w.int(c.train.lowerBound); w.int(c.train.upperBound); w.int(c.test.lowerBound); w.int(c.test.upperBound)
            w.strings(c.chosen.map(\.name)); w.strings(c.chosen.map(\.value))
            w.metrics(c.inSample)
            w.doubles(c.trialSharpes)
        }
        return w.data
    }

    /// Every window's choice, in window order, from the shards (`ShardFolder.gather`'s order).
    public static func choices(_ shards: [(manifest: ShardManifest, data: ShardReader)]) throws -> [WalkForwardChoice] {
        var out: [WalkForwardChoice] = []
        for (m, data) in shards {
            var r = data
            let count = try r.int()
            guard count == m.items else { throw r.corrupt("\(count) windows, the manifest says \(m.items)") }
            for _ in 0 ..< count {
                let t0 = try r.int(), t1 = try r.int(), s0 = try r.int(), s1 = try r.int()
                guard 0 <= t0, t0 < t1, t1 == s0, s0 < s1 else { throw r.corrupt("a window \(t0)..<\(t1), \(s0)..<\(s1)") }
                let names = try r.strings(), values = try r.strings()
                guard names.count == values.count else { throw r.corrupt("\(values.count) values for \(names.count) parameters") }
                out.append(WalkForwardChoice(train: t0 ..< t1, test: s0 ..< s1, chosen: zip(names, values).map { (name: $0, value: $1) },
                                             inSample: try r.metrics(), trialSharpes: try r.doubles()))
            }
            try r.end()
        }
        return out
    }

    /// The walk-forward of `request` over `panel` from its windows' choices: the out-of-sample
    /// pass and the stitched result.
    public static func stitch(_ choices: [WalkForwardChoice], strategyPath: String, panel: Panel, options: BacktestOptions,
                              request: WalkForwardRequest) throws -> WalkForwardResult {
        let (view, _, stdlib) = try WalkForward.prepare(strategyPath: strategyPath, panel: panel, options: options, request: request)
        let expected = WalkForward.windows(bars: view.barCount, request)
        guard expected.count == choices.count, zip(expected, choices).allSatisfy({ $0.train == $1.train && $0.test == $1.test }) else {
            throw ShardError("the shards' windows are not this walk-forward's on these data (\(choices.count) windows, expected \(expected.count)): were the data changed since the shards ran?")
        }
        return try WalkForward.stitch(choices, strategyPath: strategyPath, panel: view, options: options, request: request, stdlib: stdlib)
    }
}
