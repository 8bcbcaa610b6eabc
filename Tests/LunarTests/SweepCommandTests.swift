import Foundation
import LunarTestSupport
import Testing
@testable import Lunar

/// `lunar sweep` and `lunar walkforward` with the statistics, JSON, the report and the history.
@Suite struct SweepCommandTests {
    func json(_ r: (code: Int32, out: String, err: String)) throws -> [String: Any] {
        #expect(r.code == 0, "\(r.err)")
        return try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
    }

    @Test func sweepsAndWalkForwardsAreRecordedAndCountTrials() throws {
        let dir = Fixtures.tempDir()
        let history = dir + "/runs.sqlite"
        let args = ["sweep", Fixtures.path("strategies/sma_cross.lua"), "--param", "fast=5:20:5", "--param", "slow=40,60",
                    "--data", "synthetic:10:700:4", "--history", history, "--json"]
        let first = try json(try CommandLineTests.run(args, cwd: dir))
        let s1 = try #require(first["statistics"] as? [String: Any])
        #expect(first["combinations"] as? Int == 8 && s1["trials"] as? Int == 8 && s1["earlier_trials"] as? Int == 0)
        for key in ["psr", "dsr", "pbo", "sharpe_90", "cagr_90", "max_drawdown_90", "plateau"] { #expect(s1[key] != nil, "\(key)") }
        let second = try json(try CommandLineTests.run(args + ["--out", dir + "/out"], cwd: dir))
        let s2 = try #require(second["statistics"] as? [String: Any])
        #expect(s2["trials"] as? Int == 16 && s2["earlier_trials"] as? Int == 8)
        #expect((s2["dsr"] as? Double ?? 1) < (s1["dsr"] as? Double ?? 0))
        let html = try String(contentsOfFile: dir + "/out/sweep.html", encoding: .utf8)
        #expect(html.contains("Is the winner real?") && html.contains("<svg") && html.contains("<circle"))
        #expect(FileManager.default.fileExists(atPath: dir + "/out/returns.csv"))
        // A walk-forward counts the sweeps before it, and is recorded too.
        let wf = try json(try CommandLineTests.run(["walkforward", Fixtures.path("strategies/sma_cross.lua"), "--param", "fast=5:20:5",
                                                    "--param", "slow=40,60", "--train", "300", "--test", "100",
                                                    "--data", "synthetic:10:700:4", "--history", history, "--json"], cwd: dir))
        #expect((wf["windows"] as? [Any])?.count == 4)
        #expect((wf["statistics"] as? [String: Any])?["earlier_trials"] as? Int == 16)
        let records = try RunHistory(path: history).list()
        #expect(records.map(\.kind) == ["walkforward", "sweep", "sweep"] && records.map(\.trials) == [8, 8, 8])
        // --no-record leaves the history alone.
        _ = try json(try CommandLineTests.run(args + ["--no-record"], cwd: dir))
        #expect(try RunHistory(path: history).count() == 3)
    }
}
