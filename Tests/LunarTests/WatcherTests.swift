import Foundation
import LunarData
import LunarTestSupport
import Testing
@testable import Lunar

@Suite(.serialized) struct WatcherTests {
    /// Collects events from a watcher running on its own thread.
    final class Recorder: @unchecked Sendable {
        private let lock = NSLock()
        private var events: [WatchEvent] = []
        func add(_ e: WatchEvent) { lock.lock(); events.append(e); lock.unlock() }
        var count: Int { lock.lock(); defer { lock.unlock() }; return events.count }
        var all: [WatchEvent] { lock.lock(); defer { lock.unlock() }; return events }
        /// Waits until there are `n` events (or 10 s pass).
        func wait(for n: Int) -> Bool {
            let deadline = Date().addingTimeInterval(10)
            while count < n && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
            return count >= n
        }
    }

    func start(_ path: String, polling: Bool) -> (Watcher, Recorder) {
        var o = BacktestOptions()
        o.stdlib = Fixtures.stdlib
        let w = Watcher(strategyPath: path, panel: Synthetic.panel(symbols: 5, bars: 200, seed: 1), options: o, forcePolling: polling)
        let rec = Recorder()
        Thread { w.run { rec.add($0) } }.start()
        return (w, rec)
    }

    func edit(_ path: String, _ from: String, _ to: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try text.replacingOccurrences(of: from, with: to).write(toFile: path, atomically: true, encoding: .utf8)
    }

    func fast(_ e: WatchEvent) -> String? {
        if case .result(let r, _, _, _) = e { return r.strategy.params.first { $0.name == "fast" }?.value.description }
        return nil
    }

    @Test(arguments: [false, true])
    func brokenSaveThenGoodSave(polling: Bool) throws {
        let dir = Fixtures.tempDir()
        let path = dir + "/s.lua"
        try FileManager.default.copyItem(atPath: Fixtures.path("strategies/sma_cross.lua"), toPath: path)
        let (w, rec) = start(path, polling: polling)
        defer { w.stop() }
        #expect(rec.wait(for: 1))
        #expect(fast(rec.all[0]) == "10")
        Thread.sleep(forTimeInterval: 0.05)
        try edit(path, "fast = 10", "fast = 12")
        #expect(rec.wait(for: 2))
        guard case .result(let second, let previous, let changed, _) = rec.all[1] else { Issue.record("expected a result"); return }
        #expect(fast(rec.all[1]) == "12" && previous?.strategy.params.first?.value.description == "10")
        #expect(changed.first?.hasSuffix("s.lua") == true)
        #expect(second.portfolio != previous?.portfolio)
        try edit(path, "return strategy {", "return strategy {{")    // a broken save
        #expect(rec.wait(for: 3))
        guard case .failure(let message, _) = rec.all[2] else { Issue.record("expected a failure"); return }
        #expect(message.contains("s.lua:"))
        try edit(path, "return strategy {{", "return strategy {")     // fixed again
        #expect(rec.wait(for: 4))
        #expect(fast(rec.all[3]) == "12")
        if case .result(_, let prev, _, _) = rec.all[3] { #expect(fast(.result(prev!, previous: nil, changed: [], seconds: 0)) == "12") }
    }

    /// Editing a required module re-runs the strategy that uses it.
    @Test func moduleEditsRerunTheStrategy() throws {
        let dir = Fixtures.tempDir()
        Fixtures.write("return { level = 100 }\n", "levels.lua", in: dir)
        let path = Fixtures.write("""
            local levels = require "levels"
            return strategy { signals = function(bars, p)
              return { entries = bars.close:gt(levels.level), exits = bars.close:lt(levels.level) }
            end }
            """, "s.lua", in: dir)
        let (w, rec) = start(path, polling: false)
        defer { w.stop() }
        #expect(rec.wait(for: 1))
        Thread.sleep(forTimeInterval: 0.05)
        try edit(dir + "/levels.lua", "100", "50")
        #expect(rec.wait(for: 2))
        guard case .result(_, _, let changed, _) = rec.all[1] else { Issue.record("expected a result"); return }
        #expect(changed.first?.hasSuffix("levels.lua") == true)
    }

    /// A multi-timeframe strategy re-runs on save like any other, and a timeframe typo is a
    /// failure at its line that keeps the watcher alive.
    @Test func timeframeEditsRerun() throws {
        let dir = Fixtures.tempDir()
        let path = dir + "/w8.lua"
        try FileManager.default.copyItem(atPath: Fixtures.path("bench/workloads/w8_weekly_trend.lua"), toPath: path)
        let (w, rec) = start(path, polling: false)
        defer { w.stop() }
        #expect(rec.wait(for: 1))
        Thread.sleep(forTimeInterval: 0.05)
        try edit(path, "bars:timeframe(\"1W\")", "bars:timeframe(\"1w\")")
        #expect(rec.wait(for: 2))
        guard case .failure(let message, _) = rec.all[1] else { Issue.record("expected a failure"); return }
        #expect(message.contains("w8.lua:10") && message.contains("did you mean '1W'"), "\(message)")
        try edit(path, "bars:timeframe(\"1w\")", "bars:timeframe(\"1M\")")
        #expect(rec.wait(for: 3))
        guard case .result = rec.all[2] else { Issue.record("expected a result"); return }
    }

    @Test func asyncSequenceDeliversResults() async throws {
        var o = BacktestOptions()
        o.stdlib = Fixtures.stdlib
        let w = Watcher(strategyPath: Fixtures.path("strategies/sma_cross.lua"),
                        panel: Synthetic.panel(symbols: 3, bars: 120, seed: 2), options: o)
        for await event in w.events() {
            guard case .result(let r, nil, [], _) = event else { Issue.record("first event must be a result"); break }
            #expect(r.panel.symbolCount == 3)
            break   // ending the iteration stops the watcher
        }
    }
}
