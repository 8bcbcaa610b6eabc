import Foundation
import Testing
@testable import LunarDeps
import LunarManifest

/// Real git, no network: bare repositories in a temporary folder, depended on by path.
struct GitFixture {
    let dir: String
    let cache: DependencyCache

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("lunar-deps-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir + "/work", withIntermediateDirectories: true)
        cache = DependencyCache(root: dir + "/cache")
    }

    func git(_ args: [String], in d: String) throws {
        try Git.run(["-c", "user.name=Lunar Tests", "-c", "user.email=tests@lunar.invalid", "-c", "commit.gpgsign=false"] + args, in: d)
    }

    /// `repos/NAME.git` with one commit per version, each tagged `vVERSION`; `needs` gives that
    /// version's `[dependencies]` lines.
    @discardableResult
    func library(_ name: String, versions: [String], needs: [String: String] = [:]) throws -> String {
        let bare = "\(dir)/repos/\(name).git", work = "\(dir)/work/\(name)"
        try FileManager.default.createDirectory(atPath: bare, withIntermediateDirectories: true)
        try Git.run(["init", "--bare", "--quiet", "--initial-branch=main", bare])
        try Git.run(["init", "--quiet", "--initial-branch=main", work])
        try git(["remote", "add", "origin", bare], in: work)
        try FileManager.default.createDirectory(atPath: "\(work)/\(name)", withIntermediateDirectories: true)
        for v in versions { try release(name, v, needs: needs[v]) }
        return bare
    }

    /// Another commit of `name` at version `v`, tagged and pushed.
    func release(_ name: String, _ v: String, needs: String? = nil, tag: Bool = true) throws {
        let work = "\(dir)/work/\(name)"
        var manifest = "name = \"\(name)\"\nversion = \"\(v)\"\nexports = [\"\(name).api\"]\n"
        if let needs { manifest += "[dependencies]\n\(needs)\n" }
        try manifest.write(toFile: "\(work)/lunar-lib.toml", atomically: true, encoding: .utf8)
        try "return { version = \"\(v)\" }\n".write(toFile: "\(work)/\(name)/api.lua", atomically: true, encoding: .utf8)
        try "return {}\n".write(toFile: "\(work)/\(name)/internal.lua", atomically: true, encoding: .utf8)
        try git(["add", "-A"], in: work)
        try git(["commit", "--quiet", "-m", "release \(v)"], in: work)
        if tag { try git(["tag", "v\(v)"], in: work) }
        try git(["push", "--quiet", "origin", "main", "--tags"], in: work)
    }

    func commit(_ name: String, _ ref: String) throws -> String {
        try Git.run(["rev-parse", ref + "^{commit}"], in: "\(dir)/repos/\(name).git").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func project(_ deps: String) throws -> ProjectFile {
        let path = dir + "/project/lunar.toml"
        try FileManager.default.createDirectory(atPath: dir + "/project", withIntermediateDirectories: true)
        try "[dependencies]\n\(deps)\n".write(toFile: path, atomically: true, encoding: .utf8)
        return try ProjectFile(contentsOf: path)
    }

    func deps(_ deps: String, offline: Bool = false) throws -> Dependencies {
        Dependencies(project: try project(deps), cache: DependencyCache(root: cache.root, offline: offline))
    }

    func repo(_ name: String) -> String { "\(dir)/repos/\(name).git" }
}

func message(_ body: () throws -> Void) -> String {
    do { try body(); return "" } catch { return "\(error)" }
}

@Suite struct DependenciesTests {
    /// acme 1.x needs base ^1.0 (1.2.0: ^1.2); acme 2.0.0 needs base ^2.0.
    func fixture() throws -> GitFixture {
        let f = try GitFixture()
        try f.library("base", versions: ["1.0.0", "1.2.0", "2.0.0"])
        let base = f.repo("base")
        try f.library("acme", versions: ["1.0.0", "1.2.0", "2.0.0"], needs: [
            "1.0.0": "base = { git = \"\(base)\", version = \"^1.0\" }",
            "1.2.0": "base = { git = \"\(base)\", version = \"^1.2\" }",
            "2.0.0": "base = { git = \"\(base)\", version = \"^2.0\" }",
        ])
        return f
    }

    @Test func resolvesTheGraphToTheHighestFittingVersionsAndLocksCommits() throws {
        let f = try fixture()
        let d = try f.deps("acme = { git = \"\(f.repo("acme"))\", version = \"^1.0\" }")
        let libs = try d.install()
        #expect(libs.map { "\($0.name) \($0.version)" } == ["acme 1.2.0", "base 1.2.0"])
        let lock = try #require(try d.readLock())
        #expect(lock.entry("acme")?.commit == (try f.commit("acme", "v1.2.0")))
        #expect(lock.entry("base")?.commit == (try f.commit("base", "v1.2.0")))
        #expect(lock.entry("acme")?.dependencies == ["base"])
        #expect(lock.entry("acme")?.source == .git(f.repo("acme")))
        // The checkout holds that commit's files, read-only, and hashes to the lock's hash.
        let acme = libs[0].path
        #expect(try String(contentsOfFile: acme + "/acme/api.lua", encoding: .utf8).contains("1.2.0"))
        // (The mode bits, not isWritableFile: root may write anything.)
        let mode = try FileManager.default.attributesOfItem(atPath: acme + "/acme/api.lua")[.posixPermissions] as? Int
        #expect(mode.map { $0 & 0o222 } == 0)
        #expect(try CheckoutHash.of(folder: acme) == lock.entry("acme")?.hash)
        // The lock reads back as written.
        #expect(try LockFile(contentsOf: d.lockPath) == lock)
    }

    @Test func theLockHoldsUntilUpdateMovesIt() throws {
        let f = try fixture()
        let d = try f.deps("acme = { git = \"\(f.repo("acme"))\", version = \"^1.0\" }")
        _ = try d.install()
        try f.release("acme", "1.3.0", needs: "base = { git = \"\(f.repo("base"))\", version = \"^1.0\" }")
        try f.release("base", "1.4.0")
        // A new release changes nothing until asked: every command uses the locked commits.
        #expect(try d.install().map(\.version.description) == ["1.2.0", "1.2.0"])
        // Updating one library moves only that one.
        let changes = try d.update(["acme"])
        #expect(changes.count == 1 && changes[0].hasPrefix("acme 1.2.0"), "\(changes)")
        #expect(try d.readLock()?.entry("acme")?.version.description == "1.3.0")
        #expect(try d.readLock()?.entry("base")?.version.description == "1.2.0")
        _ = try d.update([])
        #expect(try d.readLock()?.entry("base")?.version.description == "1.4.0")
        #expect(message { _ = try d.update(["acm"]) }.contains("did you mean acme"))
    }

    @Test func aConflictIsExplainedByItsChainOfRequirements() throws {
        let f = try fixture()
        let d = try f.deps("""
            acme = { git = "\(f.repo("acme"))", version = "^1.0" }
            base = { git = "\(f.repo("base"))", version = "^2.0" }
            """)
        let m = message { _ = try d.install() }
        #expect(m.contains("no version of library 'base' satisfies every requirement"), "\(m)")
        #expect(m.contains("requires base ^2.0"), "\(m)")
        #expect(m.contains("→ acme 1.2.0 requires base ^1.2"), "\(m)")
        #expect(m.contains("versions of base at git+\(f.repo("base")): 2.0.0, 1.2.0, 1.0.0"), "\(m)")
        #expect(!FileManager.default.fileExists(atPath: d.lockPath))
        // With acme ^2.0 both fit.
        let ok = try f.deps("""
            acme = { git = "\(f.repo("acme"))", version = "^2.0" }
            base = { git = "\(f.repo("base"))", version = "^2.0" }
            """)
        #expect(try ok.install().map(\.version.description) == ["2.0.0", "2.0.0"])
    }

    @Test func backtracksToAnOlderVersionWhenTheNewestConflicts() throws {
        let f = try fixture()
        // acme 1.2.0 needs base ^1.2, but the project pins base to 1.0.x: acme 1.0.0 fits.
        let d = try f.deps("""
            acme = { git = "\(f.repo("acme"))", version = "^1.0" }
            base = { git = "\(f.repo("base"))", version = "~1.0" }
            """)
        #expect(try d.install().map { "\($0.name) \($0.version)" } == ["acme 1.0.0", "base 1.0.0"])
    }

    @Test func aTamperedCheckoutIsDetectedByItsHash() throws {
        let f = try fixture()
        let d = try f.deps("base = { git = \"\(f.repo("base"))\", version = \"^1.0\" }")
        let path = try d.install()[0].path
        let file = path + "/base/api.lua"
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
        try "return { evil = true }\n".write(toFile: file, atomically: false, encoding: .utf8)
        let m = message { _ = try d.install() }
        #expect(m.contains("does not match lunar.lock") && m.contains("rm -rf \(path)"), "\(m)")
        // Removing it, as the message says, gets the locked files back.
        try FileManager.default.removeItem(atPath: path)
        #expect(try d.install()[0].path == path)
        #expect(try String(contentsOfFile: file, encoding: .utf8).contains("1.2.0"))
    }

    @Test func offlineUsesTheCacheAndFailsClearlyWithoutIt() throws {
        let f = try fixture()
        let spec = "acme = { git = \"\(f.repo("acme"))\", version = \"^1.0\" }"
        let m = message { _ = try f.deps(spec, offline: true).install() }
        #expect(m.contains("not in the cache") && m.contains("--offline"), "\(m)")
        _ = try f.deps(spec).install()
        // With the repositories gone, only the cache is left: offline still works, and so does
        // a new checkout of a locked commit (from the mirror, with no fetch).
        try FileManager.default.moveItem(atPath: f.dir + "/repos", toPath: f.dir + "/gone")
        try FileManager.default.removeItem(atPath: f.cache.checkoutPath(name: "acme", commit: try Git.run(["rev-parse", "v1.2.0"], in: f.dir + "/gone/acme.git").trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(try f.deps(spec, offline: true).install().map(\.version.description) == ["1.2.0", "1.2.0"])
        #expect(try f.deps(spec).install().count == 2)
    }

    @Test func branchesAndRevisionsStayAtTheirLockedCommit() throws {
        let f = try fixture()
        let head = try f.commit("base", "main")
        let d = try f.deps("base = { git = \"\(f.repo("base"))\", branch = \"main\" }")
        #expect(try d.install()[0].commit == head)
        #expect(try d.readLock()?.entry("base")?.ref == "branch:main")
        try f.release("base", "2.1.0", tag: false)
        #expect(try d.install()[0].commit == head)                 // locked
        _ = try d.update(["base"])
        #expect(try d.readLock()?.entry("base")?.commit == (try f.commit("base", "main")))
        #expect(try d.readLock()?.entry("base")?.version.description == "2.1.0")
        let old = try f.commit("base", "v1.0.0")
        let r = try f.deps("base = { git = \"\(f.repo("base"))\", rev = \"\(old.prefix(10))\" }")
        #expect(try r.install()[0].version.description == "1.0.0")
    }

    @Test func aManifestChangeReresolvesAndRemovedLibrariesLeaveTheLock() throws {
        let f = try fixture()
        _ = try f.deps("acme = { git = \"\(f.repo("acme"))\", version = \"^1.0\" }").install()
        let d = try f.deps("base = { git = \"\(f.repo("base"))\", version = \"^2.0\" }")
        #expect(try d.install().map { "\($0.name) \($0.version)" } == ["base 2.0.0"])
        #expect(try d.readLock()?.entries.map(\.name) == ["base"])
    }

    @Test func wrongNamesAndMissingSourcesAreClearErrors() throws {
        let f = try fixture()
        let m = message { _ = try f.deps("other = { git = \"\(f.repo("acme"))\" }").install() }
        #expect(m.contains("is library 'acme'") && m.contains("not 'other'"), "\(m)")
        let missing = message { _ = try f.deps("nope = { git = \"\(f.dir)/repos/nope.git\" }").install() }
        #expect(missing.contains("cannot fetch library 'nope'"), "\(missing)")
        #expect(message { _ = try f.project("a = { git = \"x\", path = \"y\" }") }.contains("give git or path, not both"))
        #expect(message { _ = try f.project("a = { git = \"x\", version = \"^1\", branch = \"main\" }") }.contains("not version and branch"))
        #expect(message { _ = try f.project("a = \"^1.0\"") }.contains("must be a table"))
    }

    @Test func hostileLockFilesAndMismatchedTagsAreRefused() throws {
        func lock(_ body: String) -> String {
            message { _ = try LockFile(text: "version = 1\n[[library]]\n" + body, path: "/p/lunar.lock") }
        }
        #expect(lock("name = \"a\"\nsource = \"git+x\"\nversion = \"1.0.0\"\ncommit = \"--upload-pack=evil\"\n").contains("not a full commit hash"))
        #expect(lock("name = \"../../etc\"\nsource = \"git+x\"\nversion = \"1.0.0\"\ncommit = \"\(String(repeating: "a", count: 40))\"\n").contains("not a library name"))
        #expect(lock("name = \"a\"\nsource = \"http://x\"\nversion = \"1.0.0\"\n").contains("must start with git+ or path+"))
        #expect(message { _ = try LockFile(text: "version = 7\n", path: "/p/lunar.lock") }.contains("delete it"))
        let twice = "name = \"a\"\nsource = \"path+/a\"\nversion = \"1.0.0\"\n"
        #expect(lock(twice + "[[library]]\n" + twice).contains("library 'a' is locked twice"))
        // A tag whose manifest says another version is refused when resolving.
        let f = try GitFixture()
        try f.library("odd", versions: ["1.0.0"])
        try f.git(["tag", "v1.5.0"], in: f.dir + "/work/odd")
        try f.git(["push", "--quiet", "origin", "--tags"], in: f.dir + "/work/odd")
        let m = message { _ = try f.deps("odd = { git = \"\(f.repo("odd"))\" }").install() }
        #expect(m.contains("tag v1.5.0 holds lunar-lib.toml version 1.0.0"), "\(m)")
    }

    @Test func lockFileEditsKeepTheAuthorsText() throws {
        let text = "# my project\nstrategies = [\"s\"]\n\n[dependencies]\n# team code\nacme = { git = \"a\" }\n\n[pins]\nta = \"stdlib\"\n"
        let spec = DependencySpec(name: "base", source: .git("b"), selector: .range(VersionRange("^1.2")!))
        let added = DependencyEdit.setting("base", line: DependencyEdit.line(spec, source: "b"), in: text)
        #expect(added == "# my project\nstrategies = [\"s\"]\n\n[dependencies]\n# team code\nacme = { git = \"a\" }\nbase = { git = \"b\", version = \"^1.2\" }\n\n[pins]\nta = \"stdlib\"\n")
        #expect(DependencyEdit.removing("base", from: added) == text)
        #expect(DependencyEdit.removing("zzz", from: text) == nil)
        #expect(DependencyEdit.setting("x", line: "x = { path = \"p\" }", in: "a = 1") == "a = 1\n\n[dependencies]\nx = { path = \"p\" }\n")
        let parsed = try ProjectFile(text: added, path: "/p/lunar.toml")
        #expect(parsed.dependencies.map(\.name) == ["acme", "base"])
    }
}
