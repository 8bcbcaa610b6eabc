import Foundation
import LunarTestSupport
import Testing
@testable import LunarScript
import LunarManifest

/// `require` over library roots: order, duplicates and pins, manifests, cycles, escapes.
@Suite struct LibraryResolverTests {
    /// A stdlib folder with a manifest, so version checks have something to check.
    func stdlib(in dir: String, version: String = "0.1.0") -> String {
        Fixtures.write("name = \"stdlib\"\nversion = \"\(version)\"\n", "stdlib/lunar-lib.toml", in: dir)
        Fixtures.write("return { name = 'stdlib ta' }", "stdlib/ta.lua", in: dir)
        return dir + "/stdlib"
    }

    func library(_ name: String, _ version: String, in dir: String, requires: String = "") -> String {
        Fixtures.write("name = \"\(name)\"\nversion = \"\(version)\"\n" + (requires.isEmpty ? "" : "[requires]\n\(requires)\n"),
                       "\(name)/lunar-lib.toml", in: dir)
        return dir + "/\(name)"
    }

    func message(_ body: () throws -> Void) -> String {
        do { try body(); return "" } catch { return "\(error)" }
    }

    @Test func rootsComeInTheDocumentedOrder() throws {
        let dir = Fixtures.tempDir()
        let std = stdlib(in: dir)
        let acme = library("acme", "1.0.0", in: dir)
        let flag = Fixtures.tempDir(), env = Fixtures.tempDir()
        Fixtures.write("libraries = [\"../acme\"]", "project/lunar.toml", in: dir)
        Fixtures.write("return strategy {}", "project/strategies/s.lua", in: dir)
        let settings = try LibrarySettings.standard(cwd: dir + "/project/strategies", flags: [flag],
                                                    environment: ["LUNAR_PATH": env + ":"], stdlib: std)
        let path = try LibraryPath(strategy: dir + "/project/strategies/s.lua", settings: settings)
        #expect(path.roots.map(\.origin) == [.strategy, .project, .flag, .environment, .stdlib])
        #expect(path.roots[1].path == acme && path.roots[1].manifest?.name == "acme")
        #expect(path.roots.last?.manifest?.name == "stdlib")
        // Relative folders are taken from the current directory (Foundation's `standardized`
        // alone would turn "a/../b" into "/b").
        let cwd = FileManager.default.currentDirectoryPath
        #expect(LibraryRoot(path: "a/../b", origin: .flag).path == URL(fileURLWithPath: cwd).appendingPathComponent("b").path)
    }

    @Test func aModuleInTwoRootsIsAnErrorNamingBothUnlessPinned() throws {
        let dir = Fixtures.tempDir()
        let std = stdlib(in: dir)
        let acme = library("acme", "1.0.0", in: dir)
        Fixtures.write("return { name = 'acme ta' }", "acme/ta.lua", in: dir)
        let plain = try LibraryPath(leading: [], settings: LibrarySettings(flags: [acme], stdlib: std))
        let m = message { _ = try plain.resolve("ta") }
        #expect(m.contains("module 'ta' is provided by two library roots"))
        #expect(m.contains("\(acme)/ta.lua (--lib)") && m.contains("\(std)/ta.lua (stdlib)"))
        #expect(m.contains("[pins] \"ta\" = \"acme\""))

        for (pin, winner) in [("stdlib", std), ("acme", acme)] {
            let project = try ProjectFileFixture.make("libraries = [\"acme\"]\n[pins]\nta = \"\(pin)\"", in: dir)
            let pinned = try LibraryPath(leading: [], settings: LibrarySettings(project: project, stdlib: std))
            #expect(try pinned.resolve("ta") == winner + "/ta.lua")
            let vm = try LuaVM(libraries: pinned)
            #expect(try vm.evaluate("return require('ta').name") == (pin == "acme" ? "acme ta" : "stdlib ta"))
        }
        // The suggested pin for a strategy folder is a valid pin value.
        let local = Fixtures.tempDir()
        Fixtures.write("return {}", "ta.lua", in: local)
        let withLocal = try LibraryPath(leading: [(local, .strategy)], settings: LibrarySettings(stdlib: std))
        #expect(message { _ = try withLocal.resolve("ta") }.contains("[pins] \"ta\" = \"strategy\""))
        let pinnedLocal = try ProjectFileFixture.make("[pins]\nta = \"strategy\"", in: Fixtures.tempDir())
        #expect(try LibraryPath(leading: [(local, .strategy)], settings: LibrarySettings(project: pinnedLocal, stdlib: std))
            .resolve("ta") == local + "/ta.lua")
        // A pin to a library that lacks the module says so.
        let project = try ProjectFileFixture.make("libraries = [\"acme\"]\n[pins]\nta = \"nowhere\"", in: dir)
        let bad = try LibraryPath(leading: [], settings: LibrarySettings(project: project, stdlib: std))
        #expect(message { _ = try bad.resolve("ta") }.contains("pins 'ta' to 'nowhere', which does not provide it"))
    }

    @Test func missingLibrariesAndVersionConflictsAreExplained() throws {
        let dir = Fixtures.tempDir()
        let std = stdlib(in: dir)
        let trend = library("trend", "1.0.0", in: dir, requires: "core = \"^2.0\"")
        #expect(message { _ = try LibraryPath(leading: [], settings: LibrarySettings(flags: [trend], stdlib: std)) }
            .contains("library 'trend' 1.0.0 (\(trend)/lunar-lib.toml) requires library 'core' (^2.0), which is not in reach"))
        let core = library("core", "1.4.0", in: dir)
        #expect(message { _ = try LibraryPath(leading: [], settings: LibrarySettings(flags: [trend, core], stdlib: std)) }
            == "library 'trend' 1.0.0 (\(trend)/lunar-lib.toml) requires 'core' ^2.0, but core 1.4.0 is in reach (\(core)/lunar-lib.toml)")
        let future = Fixtures.tempDir()
        Fixtures.write("name = \"future\"\nversion = \"1.0.0\"\nlunar = \">=9.0\"", "lunar-lib.toml", in: future)
        #expect(message { _ = try LibraryPath(leading: [], settings: LibrarySettings(flags: [future], stdlib: std)) }
            .contains("needs Lunar >=9.0, but this is Lunar 0.1.0"))
        #expect(message { _ = try LibraryPath(leading: [], settings: LibrarySettings(flags: [dir + "/nope"], stdlib: std)) }
            == "library folder not found: \(dir)/nope (from --lib)")
        let twin = Fixtures.tempDir()
        Fixtures.write("name = \"core\"\nversion = \"2.0.0\"", "lunar-lib.toml", in: twin)
        #expect(message { _ = try LibraryPath(leading: [], settings: LibrarySettings(flags: [core, twin], stdlib: std)) }
            .contains("library 'core' is in reach twice"))
    }

    @Test func manifestSyntaxErrorsNameTheFileAndLine() throws {
        let dir = Fixtures.tempDir()
        let std = stdlib(in: dir)
        Fixtures.write("name = \"broken\"\nversion = \"1.0\n", "broken/lunar-lib.toml", in: dir)
        let m = message { _ = try LibraryPath(leading: [], settings: LibrarySettings(flags: [dir + "/broken"], stdlib: std)) }
        #expect(m.hasPrefix("\(dir)/broken/lunar-lib.toml:2:") && m.contains("TOML syntax error"))
    }

    @Test func requireCyclesAreReportedWithTheChain() throws {
        let dir = Fixtures.tempDir()
        Fixtures.write("local b = require 'cyc.b'\nreturn {}", "cyc/a.lua", in: dir)
        Fixtures.write("local a = require 'cyc.a'\nreturn {}", "cyc/b.lua", in: dir)
        let vm = try LuaVM(roots: [dir])
        let m = message { _ = try vm.evaluate("return require 'cyc.a'") }
        #expect(m.contains("require cycle: cyc.a → cyc.b → cyc.a"))
        // The failed loads are not cached half-done: a second try reports the same cycle.
        #expect(message { _ = try vm.evaluate("return require 'cyc.a'") }.contains("require cycle"))
    }

    @Test func nothingOutsideTheRootsIsRead() throws {
        let dir = Fixtures.tempDir()
        let root = dir + "/root"
        Fixtures.write("return 1", "root/ok.lua", in: dir)
        Fixtures.write("return 'secret'", "secret.lua", in: dir)
        try FileManager.default.createSymbolicLink(atPath: root + "/escape.lua", withDestinationPath: dir + "/secret.lua")
        let vm = try LuaVM(roots: [root])
        for name in ["../../etc/passwd", "../secret", "/etc/passwd", ".secret", "a..b", "ok."] {
            #expect(message { _ = try vm.evaluate("return require '\(name)'") }.contains("module names hold letters, digits"), "\(name)")
        }
        #expect(message { _ = try vm.evaluate("return require 'escape'") }.contains("leads outside its library root"))
        #expect(try vm.evaluate("return require 'ok'") == "1")
    }
}

/// Writes a lunar.toml into `dir` and parses it.
enum ProjectFileFixture {
    static func make(_ text: String, in dir: String) throws -> ProjectFile {
        try ProjectFile(contentsOf: Fixtures.write(text, "lunar.toml", in: dir))
    }
}
