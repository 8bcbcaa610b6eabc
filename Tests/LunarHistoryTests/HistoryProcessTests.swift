import Foundation
import LunarTestSupport
import Testing
import LunarSim
@testable import LunarHistory

/// The run history under many recording processes at once, and under processes killed while
/// they record. The processes are `HistoryWriter` (Tests/HistoryWriter): it records the way
/// `lunar run` does (a fresh `RunHistory` per record) without running a backtest, since 400
/// `lunar run`s take ~0.2 s each here. Tests/LunarTests/HistorySurvivalTests.swift kills the
/// real `lunar run`.
@Suite(.serialized) struct HistoryProcessTests {
    static func writer() throws -> String {
        try #require(Fixtures.executable("HistoryWriter"), "build the HistoryWriter helper first (swift build --build-tests)")
    }

    /// Every record decodes, and the (writer, i) pairs it holds.
    static func contents(_ db: String) throws -> [String: Set<Int>] {
        let all = try RunHistory(path: db).list(limit: 1_000_000)
        var seen: [String: Set<Int>] = [:]
        for r in all {
            let tag = try #require(r.params["writer"]), i = try #require(r.params["i"].flatMap { Int($0) })
            #expect(r.resultHash == "\(tag)-\(i)" && r.strategyName == "writer-\(tag)" && r.settings == SimulationOptions().settings)
            #expect(r.metrics["total_return"]! == Double(i) / 1000 && r.metrics["cagr"]! == nil)
            #expect(seen[tag, default: []].insert(i).inserted, "\(tag) \(i) recorded twice")
        }
        #expect(Set(all.compactMap(\.id)).count == all.count)
        return seen
    }

    /// 8 processes record 50 runs each into one new history at the same moment (so they also race
    /// to create it): all 400 are there, once each, and decode.
    @Test func eightProcessesRecordFiftyRunsEach() throws {
        let db = Fixtures.tempDir("history-procs") + "/runs.sqlite"
        let exe = try Self.writer()
        let procs = try (0 ..< 8).map { try Fixtures.start(exe, [db, "50", "w\($0)"], captureOutput: true) }
        for (i, p) in procs.enumerated() {
            let err = p.error!.fileHandleForReading.readDataToEndOfFile()
            p.process.waitUntilExit()
            #expect(p.process.terminationStatus == 0, "writer \(i): \(String(decoding: err, as: UTF8.self))")
        }
        let seen = try Self.contents(db)
        #expect(try RunHistory(path: db).count() == 400)
        for i in 0 ..< 8 { #expect(seen["w\(i)"] == Set(0 ..< 50), "writer w\(i)") }
    }

    /// Writers killed (SIGKILL) at random moments while they record: every record a writer had
    /// reported committed is there, nothing else is half there (each writer's records are 0..<k,
    /// k its reported count or one more: committed, killed before it said so), every record
    /// decodes, and the history takes new records afterwards.
    @Test func killedWritersLoseNoCommittedRecord() throws {
        let db = Fixtures.tempDir("history-kill") + "/runs.sqlite"
        let exe = try Self.writer()
        var rng = SystemRandomNumberGenerator()
        var reported: [String: Int] = [:]
        for round in 0 ..< 3 {
            let procs = try (0 ..< 4).map { k in (tag: "r\(round)w\(k)", p: try Fixtures.start(exe, [db, "100000", "r\(round)w\(k)"], captureOutput: true)) }
            // Random moments 50–500 ms after the start (a record takes ~15 ms here), so some
            // writers die while others go on committing.
            let start = Date()
            let deadlines = procs.map { _ in Double.random(in: 0.05 ... 0.5, using: &rng) }
            for (k, w) in procs.enumerated().sorted(by: { deadlines[$0.offset] < deadlines[$1.offset] }) {
                let wait = deadlines[k] - Date().timeIntervalSince(start)
                if wait > 0 { usleep(UInt32(wait * 1e6)) }
                kill(w.p.process.processIdentifier, SIGKILL)
            }
            for w in procs {
                w.p.process.waitUntilExit()
                #expect(w.p.process.terminationReason == .uncaughtSignal, "\(w.tag) ended before it was killed")
                let lines = String(decoding: w.p.output!.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                reported[w.tag] = lines.split(separator: "\n").count
            }
        }
        let seen = try Self.contents(db)
        for (tag, n) in reported {
            let k = seen[tag]?.count ?? 0
            #expect(seen[tag, default: []] == Set(0 ..< k), "\(tag): records \(seen[tag, default: []].sorted().prefix(5))… not 0..<\(k)")
            #expect(k == n || k == n + 1, "\(tag) reported \(n) records, the history holds \(k)")
        }
        #expect(reported.values.reduce(0, +) > 0, "no writer got to record anything before it was killed")
        print("killed writers had reported \(reported.values.reduce(0, +)) committed records; the history holds \(seen.values.reduce(0) { $0 + $1.count })")
        // Still writable, and readable by a fresh process.
        let after = try Fixtures.start(exe, [db, "3", "after"], captureOutput: true)
        after.process.waitUntilExit()
        #expect(after.process.terminationStatus == 0)
        #expect(try Self.contents(db)["after"] == [0, 1, 2])
    }
}
