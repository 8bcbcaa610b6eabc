import Foundation
import Lunar
import LunarTestSupport
import Testing

/// `lunar lib new/check/add/update/remove`, exports and provenance through the real binary and
/// real git, with repositories in a temporary folder (no network).
@Suite struct GitDependencyEndToEndTests {
    func lunar(_ args: [String], cwd: String, cache: String) throws -> (code: Int32, out: String, err: String) {
        try CommandLineTests.run(args, cwd: cwd, environment: ["LUNAR_STDLIB": Fixtures.stdlib, "LUNAR_PATH": nil,
                                                               "LUNAR_CACHE": cache, "LUNAR_OFFLINE": nil])
    }

    func git(_ args: [String], in dir: String) throws {
        try Git.run(["-c", "user.name=Lunar Tests", "-c", "user.email=tests@lunar.invalid", "-c", "commit.gpgsign=false"] + args, in: dir)
    }

    @Test func publishConsumeUpdateAndRerun() throws {
        let dir = Fixtures.tempDir(), cache = dir + "/cache"
        // Publish: scaffold, check, an internal module, tag v0.1.0, push to a bare repository.
        let made = try lunar(["lib", "new", "desk"], cwd: dir, cache: cache)
        #expect(made.code == 0 && made.out.contains("created desk/lunar-lib.toml"), "\(made.err)")
        let checked = try lunar(["lib", "check", "desk"], cwd: dir, cache: cache)
        #expect(checked.code == 0 && checked.out.contains("1 passed, 0 failed") && checked.out.contains("ready to release"), "\(checked.out)\(checked.err)")
        Fixtures.write("return { secret = 1 }\n", "desk/desk/internal.lua", in: dir)
        let lib = dir + "/desk", bare = dir + "/desk.git"
        try Git.run(["init", "--quiet", "--initial-branch=main", lib])
        try git(["add", "-A"], in: lib); try git(["commit", "--quiet", "-m", "0.1.0"], in: lib); try git(["tag", "v0.1.0"], in: lib)
        try Git.run(["init", "--quiet", "--bare", bare])
        try git(["push", "--quiet", bare, "main", "--tags"], in: lib)

        // Consume: lib add writes lunar.toml and lunar.lock; a run loads the checkout.
        let project = dir + "/project"
        Fixtures.write("""
            local ta = require "ta"
            local signals = require "desk.signals"
            return strategy { name = "s", signals = function(bars, p)
              return { entries = signals.golden_cross(bars.close, 5, 20), exits = bars.close:lt(ta.sma(bars.close, 20)) }
            end }
            """, "strategies/s.lua", in: project)
        Fixtures.write("strategies = [\"strategies\"]\n", "lunar.toml", in: project)
        let added = try lunar(["lib", "add", "desk", "--git", bare], cwd: project, cache: cache)
        #expect(added.code == 0 && added.err.contains("lunar.lock: added desk 0.1.0"), "\(added.out)\(added.err)")
        #expect(try String(contentsOfFile: project + "/lunar.toml", encoding: .utf8).contains("desk = { git = \"\(bare)\", version = \"^0.1.0\" }"))
        let listed = try lunar(["lib", "list"], cwd: project, cache: cache)
        #expect(listed.out.contains("lunar.lock") && listed.out.contains("locked: git+\(bare) @ "), "\(listed.out)")
        let first = try lunar(["run", "strategies/s.lua", "--data", "synthetic:3:300", "--out", dir + "/out"], cwd: project, cache: cache)
        #expect(first.code == 0, "\(first.err)")
        let shown = try lunar(["runs", "show", "1"], cwd: project, cache: cache)
        let commit1 = try Git.run(["rev-parse", "v0.1.0"], in: bare).prefix(12)
        #expect(shown.out.contains("library   desk 0.1.0 (git+\(bare), \(commit1))"), "\(shown.out)")
        #expect(try String(contentsOfFile: dir + "/out/report.html", encoding: .utf8).contains("libraries: stdlib 0.1.0 (stdlib) · desk 0.1.0 (git+\(bare), \(commit1))"))

        // Exports: the internal module cannot be required from outside the library.
        Fixtures.write("local x = require \"desk.internal\"\nreturn strategy { signals = function(b) return { entries = b.close:gt(0) } end }",
                       "strategies/peek.lua", in: project)
        let peek = try lunar(["run", "strategies/peek.lua", "--data", "synthetic:2:50", "--no-record"], cwd: project, cache: cache)
        #expect(peek.code == FailureKind.script.exitCode, "\(peek.err)")
        #expect(peek.err.contains("module 'desk.internal' is internal to library 'desk'") && peek.err.contains("exports only desk.signals"), "\(peek.err)")

        // Also when the library's own module loaded it first (the module cache keeps the rule).
        Fixtures.write("local ta = require \"ta\"\nlocal x = require \"desk.internal\"\nreturn { golden_cross = function() end }\n", "desk/desk/signals.lua", in: dir)
        Fixtures.write("local s = require \"desk.signals\"\nlocal x = require \"desk.internal\"\nreturn strategy { signals = function(b) return { entries = b.close:gt(0) } end }",
                       "strategies/peek2.lua", in: project)
        let lib2 = try lunar(["run", project + "/strategies/peek2.lua", "--data", "synthetic:2:50", "--no-record", "--lib", dir + "/desk"], cwd: dir, cache: cache)
        #expect(lib2.err.contains("module 'desk.internal' is internal to library 'desk'"), "\(lib2.err)")
        try git(["checkout", "--quiet", "--", "."], in: dir + "/desk")

        // A new release moves nothing until `lib update`; then a rerun says the lock moved.
        try "name = \"desk\"\nversion = \"0.1.1\"\nlunar = \"^0.1\"\nexports = [\"desk.signals\"]\n[requires]\nstdlib = \"^0.1\"\n"
            .write(toFile: lib + "/lunar-lib.toml", atomically: true, encoding: .utf8)
        try git(["commit", "--quiet", "-am", "0.1.1"], in: lib); try git(["tag", "v0.1.1"], in: lib)
        try git(["push", "--quiet", bare, "main", "--tags"], in: lib)
        let again = try lunar(["run", "strategies/s.lua", "--data", "synthetic:3:300", "--offline", "--no-record"], cwd: project, cache: cache)
        #expect(again.code == 0 && !again.err.contains("lunar.lock:"), "\(again.err)")
        let updated = try lunar(["lib", "update"], cwd: project, cache: cache)
        #expect(updated.code == 0 && updated.out.contains("desk 0.1.0 (\(commit1)) → 0.1.1"), "\(updated.out)\(updated.err)")
        let rerun = try lunar(["runs", "rerun", "1"], cwd: project, cache: cache)
        #expect(rerun.code == 0, "\(rerun.err)")
        #expect(rerun.out.contains("library desk 0.1.0 (git+\(bare), \(commit1)) is now desk 0.1.1") && rerun.out.contains("lunar.lock moved"), "\(rerun.out)")

        // A range nothing satisfies is refused with exit 6 and leaves lunar.toml as it was.
        let before = try String(contentsOfFile: project + "/lunar.toml", encoding: .utf8)
        let refused = try lunar(["lib", "add", "desk", "--git", bare, "--version", "^3.0"], cwd: project, cache: cache)
        #expect(refused.code == FailureKind.dependency.exitCode && refused.err.contains("no version of library 'desk'"), "\(refused.err)")
        #expect(try String(contentsOfFile: project + "/lunar.toml", encoding: .utf8) == before)
        let removed = try lunar(["lib", "remove", "desk"], cwd: project, cache: cache)
        #expect(removed.code == 0 && removed.err.contains("lunar.lock: removed desk 0.1.1"), "\(removed.err)")
        // From a subfolder, a relative repository path is written absolute (lunar.toml reads
        // relative ones from its own folder).
        let nested = try lunar(["lib", "add", "desk", "--git", "../../desk.git", "--version", "^0.1"], cwd: project + "/strategies", cache: cache)
        #expect(nested.code == 0, "\(nested.err)")
        #expect(try String(contentsOfFile: project + "/lunar.toml", encoding: .utf8).contains("desk = { git = \"\(bare)\", version = \"^0.1\" }"))
    }
}
