import Foundation
import LunarTestSupport
import Testing
@testable import Lunar

/// A run tile by tile (`--memory-budget`) against the same run in memory: the same portfolio,
/// equity, benchmark, trades and per-symbol metrics, bit for bit, at any tile size.
@Suite struct TiledRunTests {
    static func options() -> BacktestOptions {
        var o = BacktestOptions()
        o.stdlib = Fixtures.path("stdlib")
        o.simulation.threads = 2
        return o
    }

    /// A store of `panel` in a fresh folder (removed by the caller).
    static func store(_ panel: Panel) throws -> (dir: String, store: ColumnStore) {
        let dir = Fixtures.tempDir()
        try ColumnStore.write(panel, to: dir + "/store", source: "test")
        return (dir, try ColumnStore(path: dir + "/store"))
    }

    static func bits(_ a: [Double], _ b: [Double]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }
    }

    static func expectSame(_ tiled: BacktestResult, _ whole: BacktestResult) {
        #expect(bits(tiled.equity, whole.equity))
        #expect(bits(tiled.benchmark, whole.benchmark))
        #expect(tiled.trades == whole.trades)
        #expect(bits(tiled.portfolio.fields.map(\.1), whole.portfolio.fields.map(\.1)))
        #expect(tiled.symbolMetrics.count == whole.symbolMetrics.count)
        for (a, b) in zip(tiled.symbolMetrics, whole.symbolMetrics) { #expect(bits(a.fields.map(\.1), b.fields.map(\.1))) }
        #expect(tiled.panel.isOutline && tiled.panel.symbols == whole.panel.symbols)
        // finalPrice is NaN for a listed symbol, which `==` never equals: compared as bits.
        let sameLives = zip(tiled.panel.lifecycle, whole.panel.lifecycle).allSatisfy {
            $0.firstBar == $1.firstBar && $0.lastBar == $1.lastBar && $0.delisted == $1.delisted && $0.finalPrice.bitPattern == $1.finalPrice.bitPattern
        }
        #expect(sameLives && tiled.panel.lifecycle.count == whole.panel.lifecycle.count)
        #expect(tiled.panel.fingerprint == whole.panel.fingerprint)
    }

    // 75 symbols: tiles of 32 leave a short last tile; budgets give one, two and three tiles.
    @Test(arguments: ["sma_cross", "rsi_reversion", "sma_cross_bar", "trailing_breakout"])
    func sameAsInMemory(_ name: String) throws {
        var panel = Synthetic.panel(symbols: 75, bars: 400, seed: 11)
        // A symbol listed late and one with a hole, so lifecycles and the benchmark's first
        // valid close are exercised.
        var close = panel.fields["close"]!
        for t in 0 ..< 120 { close[40 * 400 + t] = .nan }
        close[3 * 400 + 200] = .nan
        try panel.setField("close", close)
        let (dir, store) = try Self.store(panel)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = Fixtures.path("strategies/\(name).lua")
        let whole = try Backtest.run(strategyPath: path, panel: try store.panel(), options: Self.options())
        let perSymbol = TiledRun.bytesPerSymbol(fields: store.fieldNames.count, nodes: Backtest.wantedNodes(whole.strategy).count, bars: 400)
        for tiles in [1, 2, 3] {
            let budget = perSymbol * 2 * 32 * (tiles == 1 ? 3 : tiles == 2 ? 2 : 1)
            let tiled = try TiledRun.run(strategyPath: path, store: store, membership: nil, delistings: nil,
                                         options: Self.options(), budget: budget)
            Self.expectSame(tiled, whole)
        }
    }

    @Test func aSymbolBenchmarkComesFromItsTile() throws {
        let (dir, store) = try Self.store(Synthetic.panel(symbols: 70, bars: 300, seed: 2))
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var o = Self.options()
        o.overrides["benchmark"] = .text(store.symbols[50])
        let path = Fixtures.path("strategies/sma_cross.lua")
        let whole = try Backtest.run(strategyPath: path, panel: try store.panel(), options: o)
        let tiled = try TiledRun.run(strategyPath: path, store: store, membership: nil, delistings: nil, options: o, budget: 1)
        Self.expectSame(tiled, whole)
    }

    @Test func crossSectionalAndSharedCashStrategiesAreRefusedWithTheBudgetTheyNeed() throws {
        let (dir, store) = try Self.store(Synthetic.panel(symbols: 40, bars: 100, seed: 2))
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ranks = Fixtures.write(ShardTests.ranked, "ranked.lua", in: dir)
        for (file, why) in [(ranks, "ranks or compares symbols"), (Fixtures.path("strategies/momentum_topn.lua"), "shared-cash")] {
            do {
                _ = try TiledRun.run(strategyPath: file, store: store, membership: nil, delistings: nil, options: Self.options(), budget: 1)
                Issue.record("\(file) ran tile by tile")
            } catch let e as TiledRun.Refusal {
                #expect(e.description.contains(why) && e.description.contains("--memory-budget"), "\(e)")
                #expect(FailureKind(e).exitCode == 8)
            }
        }
    }

    @Test func sizesReadAsPeopleWriteThem() {
        #expect(ByteSize.parse("1GiB") == 1 << 30)
        #expect(ByteSize.parse("512MB") == 512_000_000)
        #expect(ByteSize.parse("2g") == 2 << 30)
        #expect(ByteSize.parse("300 m") == 300 << 20)
        #expect(ByteSize.parse("4096") == 4096)
        for bad in ["", "-1G", "lots", "1.5.2GB", "0"] { #expect(ByteSize.parse(bad) == nil, "\(bad)") }
        #expect(TiledRun.tileSymbols(budget: 1, perSymbol: 1000) == StreamingSums.tileMultiple)
        #expect(TiledRun.tileSymbols(budget: 2 * 100 * 1000, perSymbol: 1000) == 96)
    }
}
