import Foundation
import LunarData
import LunarSim
import LunarTestSupport
import Testing
@testable import Lunar

/// Shards (`--shard K/N`) and their merge: every sharded result equals the single-machine one
/// bit for bit, whatever the number of shards (docs/cluster.md).
@Suite struct ShardTests {
    func options() -> BacktestOptions {
        var o = BacktestOptions()
        o.simulation.fees = 0.001
        o.stdlib = Fixtures.stdlib
        return o
    }

    /// Writes each part as a shard folder (as `lunar … --shard K/N --out DIR` does) and gathers them.
    func roundTrip(kind: String, parts: [(payload: Data, range: Range<Int>)], total: Int)
        throws -> [(manifest: ShardManifest, data: ShardReader)] {
        let root = Fixtures.tempDir()
        var dirs: [String] = []
        for (k, part) in parts.enumerated() {
            let m = ShardManifest(kind: kind, shard: ShardSpec(index: k, count: parts.count), arguments: ["s.lua"], directory: root,
                                  strategyHash: "h", first: part.range.lowerBound, items: part.range.count, total: total,
                                  seconds: 0, lunarVersion: lunarVersion)
            dirs.append(root + "/\(k)")
            try ShardFolder.write(m, payload: part.payload, to: dirs[k])
        }
        return try ShardFolder.gather(dirs.reversed())   // any order: gathered by K
    }

    func bits(_ m: Metrics) -> [UInt64] { m.fields.map(\.1.bitPattern) }
    func bits(_ a: [Double]) -> [UInt64] { a.map(\.bitPattern) }

    @Test func shardSpecsParseAndCoverEveryItemOnce() throws {
        #expect(try ShardSpec.parse("0/3") == ShardSpec(index: 0, count: 3))
        #expect(try ShardSpec.parse("2/3") == ShardSpec(index: 2, count: 3))
        for bad in ["3/3", "-1/2", "1/0", "a/b", "1", "1/2/3", ""] {
            #expect(throws: ScriptError.self, "\(bad)") { try ShardSpec.parse(bad) }
        }
        for n in 0 ... 40 {
            for count in 1 ... 9 {
                let ranges = (0 ..< count).map { ShardSpec(index: $0, count: count).range(of: n) }
                #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == n)
                #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
                let sizes = ranges.map(\.count)
                #expect(sizes.max()! - sizes.min()! <= 1)
            }
        }
    }

    @Test func archivesKeepEveryBit() throws {
        var m = Metrics()
        m.sharpe = -0.0; m.totalReturn = .infinity; m.cagr = -.infinity; m.trades = 7; m.maxDrawdownBars = 12
        m.beta = Double(bitPattern: 0x7FF8_0000_0000_BEEF)   // a NaN with a payload
        var t = Trade(symbol: 3, entryBar: 1, exitBar: 9, entryPrice: 10.5, exitPrice: 11, size: 2, isShort: true,
                      entryFees: 0.1, exitFees: 0.2, pnl: -1.3, returnFraction: -0.06, isOpen: true, exitReason: .trailingStop)
        t.dividends = 0.25
        var run = SymbolRun(equity: [1, .nan, 3], trades: [t, t], initialCapital: 1000)
        run.feesPaid = 0.3; run.tradedValue = 42; run.barsInMarket = 2; run.skippedOrders = 1; run.dividends = 0.5
        var w = ShardWriter()
        w.metrics(m); w.symbolRun(run); w.string("naïve ✓"); w.strings(["", "a"])
        var r = ShardReader(w.data, path: "x")
        #expect(bits(try r.metrics()) == bits(m))
        let back = try r.symbolRun()
        #expect(bits(back.equity) == bits(run.equity) && back.trades == run.trades && back.initialCapital == 1000)
        #expect(back.feesPaid == 0.3 && back.tradedValue == 42 && back.barsInMarket == 2 && back.skippedOrders == 1 && back.dividends == 0.5)
        #expect(try r.string() == "naïve ✓" && r.strings() == ["", "a"])
        try r.end()
        // Cut short anywhere, or with a count larger than the file: an error naming the file, never a crash.
        for cut in stride(from: 0, to: w.data.count, by: 13) {
            var short = ShardReader(w.data.prefix(cut), path: "x.bin")
            #expect(throws: ShardError.self) { _ = try short.metrics(); _ = try short.symbolRun(); _ = try short.string(); _ = try short.strings() }
        }
        var huge = ShardWriter()
        huge.int(1 << 60)
        var hr = ShardReader(huge.data, path: "x.bin")
        #expect { _ = try hr.doubles() } throws: { "\($0)".contains("x.bin: damaged at byte 8") }
    }

    /// Damaged partial results (bytes flipped anywhere) are refused or read, never a crash.
    @Test func damagedPayloadsNeverCrashTheMerge() throws {
        let panel = Synthetic.panel(symbols: 4, bars: 120, seed: 1)
        let path = Fixtures.path("strategies/sma_cross.lua")
        var request = SweepRequest(space: [try ParamSpace.parse("fast=5,10"), try ParamSpace.parse("slow=30")])
        request.shard = ShardSpec(index: 0, count: 1)
        let sweep = try Sweep.run(strategyPath: path, panel: panel, options: options(), request: request).shardPayload()
        let run = RunShards.payload(try RunShards.run(strategyPath: path, universe: panel, symbols: 0 ..< 4, options: options()), survivors: nil)
        let wf = WalkForwardShards.payload(try WalkForward.choose(shard: ShardSpec(index: 0, count: 1), strategyPath: path, panel: panel,
            options: options(), request: WalkForwardRequest(sweep: request, train: 60, test: 30)).choices)
        let manifest = ShardManifest(kind: "x", shard: ShardSpec(index: 0, count: 1), arguments: [], directory: "/", strategyHash: "h",
                                     first: 0, items: 2, total: 2, seconds: 0, lunarVersion: lunarVersion)
        var rng = SplitMix64(seed: 11)
        for (payload, items) in [(sweep, 2), (run, 4), (wf, 2)] {
            for _ in 0 ..< 300 {
                var bytes = [UInt8](payload)
                for _ in 0 ... Int(rng.next() % 4) { bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next()) }
                var m = manifest
                m.items = items; m.total = items
                let part = [(manifest: m, data: ShardReader(Data(bytes), path: "shard.bin"))]
                _ = try? SweepResult.merge(part)
                _ = try? RunShards.slices(part)
                _ = try? WalkForwardShards.choices(part)
            }
        }
    }

    @Test func metricsRebuildFromTheirValues() throws {
        let r = try Backtest.run(strategyPath: Fixtures.path("strategies/sma_cross.lua"), panel: Synthetic.panel(symbols: 5, bars: 400, seed: 2),
                                 options: options())
        for m in [r.portfolio] + r.symbolMetrics { #expect(bits(Metrics(values: m.fields.map(\.1))) == bits(m)) }
    }

    @Test(arguments: [1, 3, 7, 40]) func shardedSweepsMergeToTheSingleSweep(shards: Int) throws {
        let panel = Synthetic.panel(symbols: 10, bars: 400, seed: 4)
        let path = Fixtures.path("strategies/sma_cross.lua")
        for random in [false, true] {
            var request = SweepRequest(space: [try ParamSpace.parse("fast=5:25:5"), try ParamSpace.parse("slow=20:80:20")])
            request.condition = "fast < slow"
            if random { request.search = .random; request.trials = 9; request.seed = 3 }
            let single = try Sweep.run(strategyPath: path, panel: panel, options: options(), request: request)
            var parts: [(payload: Data, range: Range<Int>)] = []
            for k in 0 ..< shards {
                var r = request
                r.shard = ShardSpec(index: k, count: shards)
                let part = try Sweep.run(strategyPath: path, panel: panel, options: options(), request: r)
                parts.append((part.shardPayload(), part.slice!.range))
            }
            let merged = try SweepResult.merge(roundTrip(kind: "sweep", parts: parts, total: single.rows.count))
            #expect(merged.rows.count == single.rows.count && merged.strategyName == single.strategyName)
            for (a, b) in zip(merged.rows, single.rows) {
                #expect(a.params.map(\.value) == b.params.map(\.value) && bits(a.metrics) == bits(b.metrics) && bits(a.equity) == bits(b.equity))
            }
        }
    }

    @Test func tpeIsNotSharded() throws {
        var request = SweepRequest(space: [try ParamSpace.parse("fast=5:25:5")])
        request.search = .tpe; request.trials = 4; request.shard = ShardSpec(index: 0, count: 2)
        #expect { try Sweep.run(strategyPath: Fixtures.path("strategies/sma_cross.lua"), panel: Synthetic.panel(symbols: 3, bars: 200),
                                options: options(), request: request) } throws: { "\($0)".contains("cannot be split into shards") }
    }

    @Test(arguments: [false, true]) func shardedWalkForwardsStitchToTheSingleOne(anchored: Bool) throws {
        let panel = Synthetic.panel(symbols: 8, bars: 900, seed: 6)
        let path = Fixtures.path("strategies/sma_cross.lua")
        let request = WalkForwardRequest(sweep: SweepRequest(space: [try ParamSpace.parse("fast=5:20:5"), try ParamSpace.parse("slow=30,60")]),
                                         train: 250, test: 120, anchored: anchored)
        let single = try WalkForward.run(strategyPath: path, panel: panel, options: options(), request: request)
        var parts: [(payload: Data, range: Range<Int>)] = []
        for k in 0 ..< 3 {
            let part = try WalkForward.choose(shard: ShardSpec(index: k, count: 3), strategyPath: path, panel: panel, options: options(), request: request)
            parts.append((WalkForwardShards.payload(part.choices), part.range))
        }
        let choices = try WalkForwardShards.choices(roundTrip(kind: "walkforward", parts: parts, total: single.windows.count))
        let merged = try WalkForwardShards.stitch(choices, strategyPath: path, panel: panel, options: options(), request: request)
        #expect(bits(merged.equity) == bits(single.equity) && bits(merged.outOfSample) == bits(single.outOfSample))
        #expect(merged.windows.map { $0.chosen.map(\.value) } == single.windows.map { $0.chosen.map(\.value) })
        #expect(merged.windows.map(\.trialSharpes).map(bits) == single.windows.map(\.trialSharpes).map(bits))
        #expect(merged.inSampleMean.bitPattern == single.inSampleMean.bitPattern)
        // Data that are not the shards' own are refused, not stitched wrongly.
        #expect(throws: ShardError.self) {
            try WalkForwardShards.stitch(choices, strategyPath: path, panel: panel.prefix(bars: 700), options: options(), request: request)
        }
    }

    /// A cross-sectional strategy with independent sub-accounts: the shard must rank across
    /// every symbol, not only its own.
    static let ranked = """
        local ta = require "ta"
        return strategy {
          name = "ranked",
          signals = function(bars, p)
            local r = ta.rank(ta.roc(bars.close, 20))
            return { entries = r:gt(0.7), exits = r:lt(0.4) }
          end,
        }
        """

    @Test(arguments: ["strategies/sma_cross.lua", "strategies/sma_cross_bar.lua", "ranked", "bankrupt"])
    func shardedRunsMergeToTheSingleRun(strategy: String) throws {
        var panel = Synthetic.panel(symbols: 37, bars: 500, seed: 9)
        var path = Fixtures.path(strategy)
        if strategy == "ranked" { path = Fixtures.write(Self.ranked, "ranked.lua", in: Fixtures.tempDir()) }
        if strategy == "bankrupt" {
            panel = Synthetic.panel(symbols: 37, bars: 500, seed: 9, bankrupt: 0.3)
            path = Fixtures.path("strategies/sma_cross.lua")
        }
        var single = try Backtest.run(strategyPath: path, panel: panel, options: options())
        single.survivorship = try Backtest.survivorship(of: single, strategyPath: path, options: options())
        for shards in [1, 4, 37, 50] {
            var parts: [(payload: Data, range: Range<Int>)] = []
            for k in 0 ..< shards {
                let symbols = ShardSpec(index: k, count: shards).range(of: panel.symbolCount)
                let main = try RunShards.run(strategyPath: path, universe: panel, symbols: symbols, options: options())
                var survivors: RunSlice? = nil
                if let s = try RunShards.survivors(of: panel, options: options(), strategyPath: path, symbols: symbols) {
                    survivors = try RunShards.run(strategyPath: path, universe: s.universe, symbols: s.symbols, options: s.options)
                }
                parts.append((RunShards.payload(main, survivors: survivors), symbols))
            }
            let slices = try RunShards.slices(roundTrip(kind: "run", parts: parts, total: panel.symbolCount))
            let merged = try RunShards.merge(slices.main, strategyPath: path, universe: panel, options: options())
            #expect(bits(merged.equity) == bits(single.equity), "\(strategy), \(shards) shards")
            #expect(bits(merged.portfolio) == bits(single.portfolio) && merged.trades == single.trades)
            #expect(merged.symbolMetrics.map(bits) == single.symbolMetrics.map(bits))
            #expect(bits(merged.benchmark) == bits(single.benchmark))
            #expect((slices.survivors != nil) == (single.survivorship != nil))
            if let survivors = slices.survivors, let s = try RunShards.survivors(of: panel, options: options(), strategyPath: path, symbols: 0 ..< 37) {
                let only = try RunShards.merge(survivors, strategyPath: path, universe: s.universe, options: s.options)
                let expected = try #require(single.survivorship)
                #expect(Survivorship(survivors: s.universe.symbolCount, delisted: 37 - s.universe.symbolCount, full: merged.portfolio,
                                     survivorsOnly: only.portfolio) == expected)
            }
        }
    }

    @Test func sharedPortfoliosAreNotShardedBySymbol() throws {
        #expect { try RunShards.run(strategyPath: Fixtures.path("strategies/momentum_topn.lua"), universe: Synthetic.panel(symbols: 30, bars: 300),
                                    symbols: 0 ..< 10, options: options()) } throws: { "\($0)".contains("cannot be split by symbol") }
    }

    @Test func incompleteOrMixedShardsAreRefused() throws {
        let root = Fixtures.tempDir()
        func shard(_ k: Int, of n: Int, kind: String = "sweep", arguments: [String] = ["s.lua"], first: Int, items: Int) throws -> String {
            let dir = root + "/\(kind)-\(arguments.count)-\(k)-\(n)-\(first)"
            var w = ShardWriter()
            w.int(0)
            let m = ShardManifest(kind: kind, shard: ShardSpec(index: k, count: n), arguments: arguments, directory: root, strategyHash: "h",
                                  first: first, items: items, total: 4, seconds: 0, lunarVersion: lunarVersion)
            try ShardFolder.write(m, payload: w.data, to: dir)
            return dir
        }
        let a = try shard(0, of: 2, first: 0, items: 2), b = try shard(1, of: 2, first: 2, items: 2)
        #expect(try ShardFolder.gather([b, a]).map(\.manifest.shard.index) == [0, 1])
        #expect { try ShardFolder.gather([a]) } throws: { "\($0)".contains("shard 1/2 of the sweep is missing") }
        #expect { try ShardFolder.gather([a, a, b]) } throws: { "\($0)".contains("shard 0/2 is given twice") }
        let other = try shard(1, of: 2, arguments: ["s.lua", "--fees", "0.1"], first: 2, items: 2)
        #expect { try ShardFolder.gather([a, other]) } throws: { "\($0)".contains("a different command") }
        let run = try shard(1, of: 2, kind: "run", first: 2, items: 2)
        #expect { try ShardFolder.gather([a, run]) } throws: { "\($0)".contains("is a run, not a sweep") }
        let gap = try shard(1, of: 2, first: 3, items: 1)
        #expect { try ShardFolder.gather([a, gap]) } throws: { "\($0)".contains("expected to start at 2") }
        #expect { try ShardFolder.gather([root]) } throws: { "\($0)".contains("not a shard's folder") }
        // A payload cut short is an error naming the file.
        let cut = try shard(0, of: 1, first: 0, items: 4)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: cut + "/shard.bin"))
        #expect { try SweepResult.merge(ShardFolder.gather([cut])) } throws: { "\($0)".contains("shard.bin: damaged") }
    }

    @Test func commandArgumentsLeaveOutWhatDiffersBetweenShards() {
        let argv = ["lunar", "sweep", "s.lua", "--shard", "1/4", "--out", "o/1", "--param", "fast=5:9", "--resume", "--out=x", "--shard=2/4"]
        #expect(ShardManifest.commandArguments(argv, kind: "sweep") == ["s.lua", "--param", "fast=5:9"])
    }
}

/// The shard commands as a user runs them: resume, exit statuses, messages.
@Suite struct ShardCommandTests {
    func lunar(_ args: [String]) throws -> (code: Int32, out: String, err: String) {
        try CommandLineTests.run(args, cwd: Fixtures.root.path)
    }

    @Test func resumeSkipsAFinishedShardAndMergeNamesWhatIsMissing() throws {
        let dir = Fixtures.tempDir()
        let args = ["sweep", "strategies/sma_cross.lua", "--data", "synthetic:6:300:2", "--param", "fast=5:15:5", "--param", "slow=30,60", "--no-record"]
        let first = try lunar(args + ["--shard", "0/2", "--out", dir + "/0"])
        #expect(first.code == 0 && first.out.contains("sweep shard 0/2: combinations 0..<3 of 6"), "\(first.err)")
        let again = try lunar(args + ["--shard", "0/2", "--out", dir + "/0", "--resume"])
        #expect(again.code == 0 && again.out.contains("already finished") && again.out.contains("skipped (--resume)"), "\(again.out)")
        // Another command's shard in that folder is not "finished": it is replaced.
        let other = try lunar(args + ["--fees", "0.01", "--shard", "0/2", "--out", dir + "/0", "--resume"])
        #expect(other.code == 0 && !other.out.contains("skipped"), "\(other.out)")
        let missing = try lunar(["merge", dir + "/0", "--out", dir + "/merged"])
        #expect(missing.code == FailureKind.shard.exitCode && missing.err.contains("shard 1/2 of the sweep is missing"), "\(missing.err)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/merged"))
        let noOut = try lunar(args + ["--shard", "0/2"])
        #expect(noOut.code == FailureKind.usage.exitCode && noOut.err.contains("--shard needs --out"), "\(noOut.err)")
        let badK = try lunar(args + ["--shard", "2/2", "--out", dir + "/2"])
        #expect(badK.code == FailureKind.usage.exitCode && badK.err.contains("0 ≤ K < N"), "\(badK.err)")
        let resumeAlone = try lunar(args + ["--resume"])
        #expect(resumeAlone.code == FailureKind.usage.exitCode && resumeAlone.err.contains("--resume"), "\(resumeAlone.err)")
    }

    @Test func mergedSweepRecordsLikeTheSingleSweep() throws {
        let dir = Fixtures.tempDir(), history = dir + "/h.sqlite"
        let args = ["sweep", "strategies/sma_cross.lua", "--data", "synthetic:6:300:2", "--param", "fast=5:15:5", "--param", "slow=30,60",
                    "--history", history]
        // First, so that neither sees the other's trials in the history (the DSR counts them).
        let single = try lunar(args + ["--out", dir + "/single", "--no-record"])
        for k in 0 ..< 3 { #expect(try lunar(args + ["--shard", "\(k)/3", "--out", dir + "/\(k)"]).code == 0) }
        let merged = try lunar(["merge", dir + "/0", dir + "/1", dir + "/2", "--out", dir + "/merged"])
        #expect(merged.code == 0, "\(merged.err)")
        for f in ["sweep.csv", "returns.csv", "sweep.html"] {
            #expect(FileManager.default.contents(atPath: dir + "/merged/" + f) == FileManager.default.contents(atPath: dir + "/single/" + f), "\(f)")
        }
        #expect(single.code == 0)
        // Only the merge is recorded: one sweep of 6 trials.
        let runs = try lunar(["runs", "list", "--history", history])
        #expect(runs.out.split(separator: "\n").filter { $0.contains("sweep") }.count == 1, "\(runs.out)")
    }
}
