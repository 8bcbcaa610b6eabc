import Foundation
import LunarTestSupport
import Testing
@testable import LunarHistory

@Suite struct RunHistoryTests {
    func sample(_ name: String = "s", fast: String = "10", ret: Double? = 0.1) -> RunRecord {
        RunRecord(createdAt: "2026-01-01T00:00:00Z", strategyName: name, strategyPath: "/x/\(name).lua", strategyHash: "abc",
                  files: ["/x/\(name).lua": "abc"], params: ["fast": fast], dataSpec: "synthetic", dataSymbols: 5,
                  dataFirst: "2020-01-01", dataLast: "2020-12-31", dataHash: "d", lunarVersion: "0.1.0",
                  options: ["fees": "0.001"], metrics: ["total_return": ret, "cagr": nil])
    }

    @Test func recordsListsAndReadsBack() throws {
        let h = try RunHistory(path: Fixtures.tempDir() + "/h/runs.sqlite")
        let a = try h.record(sample("alpha"))
        let b = try h.record(sample("beta", fast: "5", ret: -0.2))
        #expect(a.id == 1 && b.id == 2)
        #expect(try h.list().map(\.id) == [2, 1])                 // newest first
        #expect(try h.list(strategy: "alp").map(\.strategyName) == ["alpha"])
        let back = try h.run(id: 2)
        #expect(back == b)
        #expect(back.metrics["cagr"]! == nil && back.metrics["total_return"]! == -0.2)
        #expect(throws: HistoryError.self) { try h.run(id: 99) }
    }

    @Test func concurrentWritersLoseNothing() throws {
        let path = Fixtures.tempDir() + "/runs.sqlite"
        DispatchQueue.concurrentPerform(iterations: 8) { i in   // they also race to create the database
            let h = try! RunHistory(path: path)   // one connection pool per writer, as separate processes have
            for k in 0 ..< 25 { try! h.record(sample("w\(i)", fast: "\(k)")) }
        }
        #expect(try RunHistory(path: path).count() == 200)
    }

    @Test func corruptFileGivesAClearError() throws {
        let path = Fixtures.tempDir() + "/runs.sqlite"
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: path))
        do {
            _ = try RunHistory(path: path)
            Issue.record("a corrupt database must be refused")
        } catch {
            #expect("\(error)".contains("not a valid run history"))
        }
    }

    @Test func contentHashIsStableAndSensitive() {
        var a = ContentHash(), b = ContentHash(), c = ContentHash()
        a.add([1.0, 2.0]); b.add([1.0, 2.0]); c.add([2.0, 1.0])
        #expect(a.hex == b.hex && a.hex != c.hex && a.hex.count == 16)
    }
}
