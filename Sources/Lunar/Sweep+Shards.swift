import Foundation
import LunarSim

/// A sweep's shards (`lunar sweep --shard K/N`) and their merge: each shard scores its slice of
/// the combinations; the merge puts the rows back in combination order and ranks them, so the
/// result is the one a single `lunar sweep` computes, row for row and bit for bit.
extension SweepResult {
    /// This shard's rows for `shard.bin`: parameters, metrics and equity of each combination.
    public func shardPayload() -> Data {
        var w = ShardWriter()
        w.string(strategyName); w.string(metric)
        w.strings(rows.first?.params.map(\.name) ?? [])
        w.int(rows.count)
        for r in rows {
            w.strings(r.params.map(\.value))
            w.metrics(r.metrics)
            w.doubles(r.equity)
        }
        return w.data
    }

    /// The whole sweep from its shards (`ShardFolder.gather`'s order), ranked by its metric.
    public static func merge(_ shards: [(manifest: ShardManifest, data: ShardReader)]) throws -> SweepResult {
        var merged: SweepResult? = nil
        var names: [String]? = nil
        for (m, data) in shards {
            var r = data
            let strategy = try r.string(), metric = try r.string(), paramNames = try r.strings()
            let count = try r.int()
            guard count == m.items else { throw r.corrupt("\(count) combinations, the manifest says \(m.items)") }
            var rows: [SweepRow] = []
            rows.reserveCapacity(count)
            for _ in 0 ..< count {
                let values = try r.strings()
                guard values.count == paramNames.count else { throw r.corrupt("\(values.count) parameter values for \(paramNames.count) names") }
                rows.append(SweepRow(params: zip(paramNames, values).map { (name: $0, value: $1) }, metrics: try r.metrics(), equity: try r.doubles()))
            }
            try r.end()
            if count > 0 {
                if let names, names != paramNames { throw r.corrupt("parameters \(paramNames), other shards have \(names)") }
                names = paramNames
            }
            if merged == nil { merged = SweepResult(strategyName: strategy, metric: metric, rows: [], seconds: 0) }
            merged!.rows += rows
            merged!.seconds += m.seconds
        }
        guard var result = merged else { throw ShardError("no shards to merge") }
        // Every combination ran on the same bars.
        if let bars = result.rows.first?.equity.count, !result.rows.allSatisfy({ $0.equity.count == bars }) {
            throw ShardError("the shards' combinations ran on different numbers of bars: rerun them on the same data")
        }
        Sweep.rank(&result.rows, by: result.metric)
        return result
    }
}
