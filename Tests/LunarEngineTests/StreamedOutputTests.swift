import Foundation
import LunarData
import LunarEngine
import LunarGraph
import Testing

/// Streamed outputs (`PlanOptions.streamed`): bool outputs the last stage hands to a sink as
/// bytes, tile by tile, instead of materializing them.
@Suite("Streamed outputs")
struct StreamedOutputTests {
    /// Collects what a sink receives, by symbol and stream (the sink runs on worker threads).
    final class Received: @unchecked Sendable {
        let lock = NSLock()
        var bytes: [[UInt8]]
        var tiles: [Range<Int>] = []
        init(streams: Int, cells: Int) { bytes = Array(repeating: [UInt8](repeating: 7, count: cells), count: streams) }
        func sink(bars T: Int) -> FusedExecutor.TileSink {
            { symbols, streams in
                self.lock.lock(); defer { self.lock.unlock() }
                self.tiles.append(symbols)
                for (j, p) in streams.enumerated() {
                    for k in 0 ..< symbols.count * T { self.bytes[j][symbols.lowerBound * T + k] = p[k] }
                }
            }
        }
    }

    @Test("random graphs: the bytes are the oracle's bool outputs (1 = true, else 0), whole tiles of the multiple")
    func bytesMatchTheOracle() throws {
        var checked = 0
        for seed in 0 ..< 60 {
            var f = Fixture(seed: 0x5EED &+ UInt64(seed) &* 7919)
            let panel = f.panel(symbols: f.int(1 ... 40), bars: f.int(1 ... 300))
            let (g, candidates) = f.graph(size: f.int(4 ... 24))
            let bools = Array(Set(candidates.filter { g[$0].type == .bool })).sorted()
            guard !bools.isEmpty else { continue }
            let floats = candidates.filter { g[$0].type != .bool && !bools.contains($0) }
            let outputs = bools + floats
            let oracle = try NaiveEvaluator(panel: panel).evaluate(g, outputs: outputs)
            let multiple = f.pick([1, 8])
            let options = PlanOptions(blockBars: f.pick([7, 64, 512]), threads: f.int(1 ... 3), streamed: Array(bools.indices),
                                      tileMultiple: multiple)
            let compiled = try FusedEngine.compile(g, outputs: outputs, symbols: panel.symbolCount, bars: panel.barCount,
                                                   clockBars: FusedEngine.clockBars(g, outputs: outputs, panel: panel), options: options)
            // A bool output the optimizer folds into a field, a constant or an earlier stage
            // cannot stream; then nothing does, and every output comes back whole.
            guard compiled.plan.streams.count == bools.count else {
                #expect(compiled.plan.streams.isEmpty)
                let whole = try FusedEngine.run(compiled, panel: panel)
                #expect(Set(whole.keys) == Set(outputs))
                continue
            }
            let N = panel.symbolCount, T = panel.barCount
            let got = Received(streams: bools.count, cells: N * T)
            let whole = try FusedEngine.run(compiled, panel: panel, sink: got.sink(bars: T))
            #expect(Set(whole.keys) == Set(floats), "streamed outputs are not returned whole")
            for r in got.tiles { #expect(r.lowerBound % multiple == 0 && (r.count % multiple == 0 || r.upperBound == N)) }
            #expect(got.tiles.reduce(0) { $0 + $1.count } == N)
            for (j, id) in bools.enumerated() {
                let want = oracle[id]!.map { $0 == 1 ? UInt8(1) : 0 }
                let m = want.indices.first { want[$0] != got.bytes[j][$0] }
                #expect(m == nil, "seed \(seed): \(g.describe(id)) differs at \(m ?? 0)")
            }
            checked += 1
        }
        #expect(checked >= 15, "too few graphs streamed: \(checked)")
    }

    @Test("an output asked for whole as well, or not bool, is not streamed")
    func notStreamable() throws {
        let g = Graph()
        let close = g.field("close")
        let fast = try g.primitive("sma", inputs: [close], params: [5])[0]
        let entries = try g.binary(.gt, close, fast)
        let both = Planner.plan(g, outputs: [entries, entries], symbols: 4, bars: 50, options: PlanOptions(streamed: [0]))
        #expect(both.streams.isEmpty && both.buffers == [entries])
        let float = Planner.plan(g, outputs: [fast], symbols: 4, bars: 50, options: PlanOptions(streamed: [0]))
        #expect(float.streams.isEmpty && float.buffers == [fast])
        let streamed = Planner.plan(g, outputs: [entries, fast], symbols: 4, bars: 50, options: PlanOptions(streamed: [0]))
        #expect(streamed.streams.map(\.node) == [entries] && streamed.buffers == [fast])
    }
}
