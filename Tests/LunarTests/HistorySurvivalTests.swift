import Foundation
import LunarTestSupport
import Testing
@testable import Lunar
@testable import LunarReport

/// `lunar run --out DIR` killed (SIGKILL) at random moments: the result folder is complete (every
/// file of one run, byte for byte) or absent, never half-written, and the run history stays
/// readable. The history under many recording processes is Tests/LunarHistoryTests/HistoryProcessTests.swift.
@Suite(.serialized) struct HistorySurvivalTests {
    /// A folder's files, by name (nil when the folder is absent).
    static func files(_ dir: String) -> [String: Data]? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return nil }
        var out: [String: Data] = [:]
        for n in names { out[n] = FileManager.default.contents(atPath: dir + "/" + n) ?? Data() }
        return out
    }

    /// The names in a folder (none when it is absent).
    static func names(_ dir: String) -> Set<String> { Set((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []) }

    /// Lunar's hidden work folders beside `dir` (`.NAME.lunar-new-…`, `.NAME.lunar-old-…`).
    static func leftovers(_ dir: String) -> [String] {
        let url = URL(fileURLWithPath: dir)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path)) ?? []
        return names.filter { $0.hasPrefix(".\(url.lastPathComponent).lunar-") }
    }

    @Test func killedRunsLeaveCompleteResultsOrNone() throws {
        let lunar = try #require(Fixtures.executable("lunar"), "build the lunar executable first")
        let work = Fixtures.tempDir("survival")
        let db = work + "/history/runs.sqlite"
        func run(_ out: String, fast: Int) throws -> Process {
            try Fixtures.start(lunar, ["run", "strategies/sma_cross.lua", "--data", "synthetic:30:300:3", "--param", "fast=\(fast)",
                                       "--out", out, "--history", db], cwd: Fixtures.root.path).process
        }
        // Two complete runs: the results a folder may hold before (old) and after (new) a run.
        var duration = Double.infinity
        for (dir, fast) in [("ref-old", 10), ("ref-new", 5)] {
            let started = Date()
            let p = try run(work + "/" + dir, fast: fast)
            p.waitUntilExit()
            #expect(p.terminationStatus == 0)
            duration = min(duration, Date().timeIntervalSince(started))
        }
        let old = try #require(Self.files(work + "/ref-old")), new = try #require(Self.files(work + "/ref-new"))
        #expect(old.keys.sorted() == ResultWriter.fileNames.sorted() && new.keys.sorted() == old.keys.sorted())
        #expect(ResultWriter.fileNames.allSatisfy { old[$0] != new[$0] })   // every file tells the two runs apart
        // Can this file system swap two folders in one step? Then a replaced folder is never absent either.
        try FileManager.default.createDirectory(atPath: work + "/probe-a", withIntermediateDirectories: false)
        try FileManager.default.createDirectory(atPath: work + "/probe-b", withIntermediateDirectories: false)
        let swaps = ResultFolder.exchange(work + "/probe-a", work + "/probe-b")

        var rng = SystemRandomNumberGenerator()
        var outcomes: [String: Int] = [:]
        let trials = 20
        for trial in 0 ..< trials {
            let dir = work + "/out\(trial)"
            let replacing = trial % 2 == 1   // the folder holds an earlier run's results
            if replacing { try FileManager.default.copyItem(atPath: work + "/ref-old", toPath: dir) }
            let before = Self.names(work).union(Self.names(dir).map { "in:" + $0 })
            let p = try run(dir, fast: 5)
            let moment: String
            if trial % 4 < 2 {
                // Any moment of the run: loading, running, recording into the history, writing.
                let fraction = Double.random(in: 0 ... 1.1, using: &rng)
                usleep(UInt32(fraction * duration * 1e6))
                moment = "at \(Int(fraction * 100)) % of a run"
            } else {
                // While the results are being written: from the first new name beside or in the
                // folder (a work folder, a temporary file), a random 0–4 ms later.
                while p.isRunning && Self.names(work).union(Self.names(dir).map { "in:" + $0 }) == before { usleep(100) }
                let delay = UInt32.random(in: 0 ... 4_000, using: &rng)
                usleep(delay)
                moment = "\(delay) µs into writing"
            }
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            if p.terminationReason == .exit { #expect(p.terminationStatus == 0) }
            let found = Self.files(dir)
            let outcome = found == nil ? "absent" : found == new ? "new" : found == old ? "old" : "broken"
            outcomes[outcome, default: 0] += 1
            #expect(outcome != "broken", "trial \(trial), killed \(moment): \(dir) holds \(found.map { $0.keys.sorted() } ?? []), not one run's files")
            if replacing && swaps { #expect(outcome != "absent", "trial \(trial), killed \(moment): the replaced folder vanished") }
            if !replacing { #expect(outcome != "old") }
        }
        print("killed lunar run outcomes: \(outcomes.sorted { $0.key < $1.key })")

        // The history: `lunar runs list` works, and every record decodes.
        let list = try CommandLineTests.run(["runs", "list", "--history", db, "--limit", "1000"], cwd: Fixtures.root.path)
        #expect(list.code == 0, "\(list.err)")
        let records = try RunHistory(path: db).list(limit: 1000)
        #expect(records.count >= 2 && list.out.split(separator: "\n").count == records.count + 1)
        #expect(records.allSatisfy { !$0.settings.isEmpty && $0.metrics["total_return"] != nil && !$0.resultHash.isEmpty })

        // A run that finishes replaces a killed run's folder and removes the work folders it left.
        for trial in 0 ..< trials where !Self.leftovers(work + "/out\(trial)").isEmpty {
            let p = try run(work + "/out\(trial)", fast: 5)
            p.waitUntilExit()
            #expect(p.terminationStatus == 0)
            #expect(Self.files(work + "/out\(trial)") == new)
            #expect(Self.leftovers(work + "/out\(trial)").isEmpty)
            break
        }
    }

    /// The rule for an existing DIR: an earlier run's results are replaced as a whole; a folder
    /// holding anything else is refused before any work, and nothing in it is touched.
    @Test func existingFoldersAreReplacedOrRefused() throws {
        let work = Fixtures.tempDir("result-folder")
        let files = ResultWriter.fileNames.map { (name: $0, data: Data("new \($0)\n".utf8)) }
        // Empty, absent, or an earlier run's (with a leftover of the older per-file writes): replaced.
        try FileManager.default.createDirectory(atPath: work + "/empty", withIntermediateDirectories: false)
        try FileManager.default.createDirectory(atPath: work + "/earlier", withIntermediateDirectories: false)
        for n in ResultWriter.fileNames.prefix(3) { Fixtures.write("old", n, in: work + "/earlier") }
        Fixtures.write("partial", ".trades.csv.tmp-123", in: work + "/earlier")
        for dir in ["absent/deeper", "empty", "earlier"] {
            try ResultFolder.replace(work + "/" + dir, with: files)
            #expect(Self.files(work + "/" + dir) == Dictionary(uniqueKeysWithValues: files.map { ($0.name, $0.data) }), "\(dir)")
            #expect(Self.leftovers(work + "/" + dir).isEmpty)
        }
        // Someone else's files: refused, untouched.
        let mine = work + "/mine"
        Fixtures.write("notes", "notes.txt", in: mine)
        Fixtures.write("old", "summary.json", in: mine)
        #expect { try ResultFolder.replace(mine, with: files) } throws: { "\($0)".contains("holds files Lunar did not write (notes.txt)") }
        #expect(Self.files(mine) == ["notes.txt": Data("notes".utf8), "summary.json": Data("old".utf8)])
        #expect(Self.leftovers(mine).isEmpty)
        Fixtures.write("x", "file", in: work)
        #expect { try ResultFolder.replace(work + "/file", with: files) } throws: { "\($0)".contains("not a folder") }
        // A link to a result folder: the folder it points to is replaced, the link stays.
        try FileManager.default.createSymbolicLink(atPath: work + "/link", withDestinationPath: "earlier")
        try ResultFolder.replace(work + "/link", with: files.map { ($0.name, Data("via link".utf8)) })
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: work + "/link") == "earlier")
        #expect(Self.files(work + "/earlier")?["summary.json"] == Data("via link".utf8))
        // A work folder left by a process that is gone is removed by the next write.
        let stale = work + "/.empty.lunar-new-999999999-abc"
        Fixtures.write("half", "summary.json", in: stale)
        try ResultFolder.replace(work + "/empty", with: files)
        #expect(!FileManager.default.fileExists(atPath: stale))
    }
}
