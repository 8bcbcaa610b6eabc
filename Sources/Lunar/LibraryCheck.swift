import Foundation
import LunarEngine
import LunarManifest
import LunarScript

/// `lunar lib check`: what a library must pass before a release — a valid manifest, exports that
/// exist, every module loading in the sandbox, its `*_test.lua` passing, and no module that
/// shadows the stdlib without a pin.
public enum LibraryCheck {
    public struct Report: Sendable {
        public var manifest: LibraryManifest?
        public var modules: [String] = []
        public var problems: [String] = []
        public var tests: [LuaTestFileResult] = []
        public var passed: Bool { problems.isEmpty && tests.allSatisfy { $0.failed == 0 } }
    }

    public static func run(directory: String, settings: LibrarySettings) -> Report {
        var report = Report()
        let dir = URL(fileURLWithPath: directory).absoluteURL.standardized.path
        let file = dir + "/" + LibraryManifest.fileName
        guard FileManager.default.fileExists(atPath: file) else {
            report.problems.append("\(dir) has no \(LibraryManifest.fileName) (create one with `lunar lib new NAME`)")
            return report
        }
        let manifest: LibraryManifest
        do { manifest = try LibraryManifest(contentsOf: file) } catch { report.problems.append("\(error)"); return report }
        report.manifest = manifest
        // The library's requirements must be in reach, as a consumer's would be.
        do { _ = try LibraryPath(leading: [(dir, .library)], settings: settings) } catch { report.problems.append("\(error)") }
        report.modules = modules(in: dir, problems: &report.problems)
        for e in manifest.exports {
            let ok = e.hasSuffix(".*") ? report.modules.contains { $0.hasPrefix(String(e.dropLast(1))) } : report.modules.contains(e)
            if !ok { report.problems.append("\(file): exports lists '\(e)', but the library has no such module (\(e.replacingOccurrences(of: ".", with: "/")).lua)") }
        }
        let std = LibraryRoot(path: settings.stdlib, origin: .stdlib)
        let pins = settings.project?.pins ?? [:]
        for m in report.modules where FileManager.default.fileExists(atPath: std.path + "/" + m.replacingOccurrences(of: ".", with: "/") + ".lua") {
            let pinned = pins.contains { m == $0.key || m.hasPrefix($0.key + ".") }
            if !pinned {
                report.problems.append("module '\(m)' shadows the stdlib's: every project using both must pin one in lunar.toml; rename it (e.g. \(manifest.name.replacingOccurrences(of: "-", with: "_")).\(m))")
            }
        }
        let host = EngineTestHost()
        for (m, error) in LuaTestRunner.loadModules(report.modules, library: dir, settings: settings, host: host) {
            if let error { report.problems.append("module '\(m)' does not load: \(error)") }
        }
        do { report.tests = try LuaTests.run(paths: [dir], libraries: settings) } catch { report.problems.append("\(error)") }
        return report
    }

    /// Module names of the `.lua` files under `dir`, except tests and hidden folders.
    static func modules(in dir: String, problems: inout [String]) -> [String] {
        var out: [String] = []
        guard let walker = FileManager.default.enumerator(atPath: dir) else { return [] }
        for case let rel as String in walker {
            if rel.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
            guard rel.hasSuffix(".lua"), !rel.hasSuffix("_test.lua") else { continue }
            let name = String(rel.dropLast(4)).replacingOccurrences(of: "/", with: ".")
            // Files in tests/ and strategies/ folders are not modules others require.
            if rel.hasPrefix("tests/") || rel.split(separator: "/").contains("strategies") { continue }
            if LibraryPath.isValidModuleName(name) { out.append(name) }
            else { problems.append("\(dir)/\(rel): not a valid module name ('\(name)'); use letters, digits and '_'") }
        }
        return out.sorted()
    }

    public static func render(_ r: Report) -> String {
        var out = ""
        if let m = r.manifest { out += "library \(m.name) \(m.version): \(r.modules.count) module\(r.modules.count == 1 ? "" : "s"), exports \(m.exports.isEmpty ? "everything" : m.exports.joined(separator: ", "))\n" }
        for p in r.problems { out += "  ✗ \(p)\n" }
        let passed = r.tests.reduce(0) { $0 + $1.cases.filter { $0.failure == nil }.count }
        let failed = r.tests.reduce(0) { $0 + $1.failed }
        out += "  tests: \(passed) passed, \(failed) failed in \(r.tests.count) file\(r.tests.count == 1 ? "" : "s")\n"
        if failed > 0 { out += LuaTests.render(r.tests.filter { $0.failed > 0 }) }
        out += r.passed ? "ready to release: tag it (git tag v\(r.manifest?.version.description ?? "X.Y.Z")) and push the tag\n" : "not ready: fix the problems above\n"
        return out
    }

    /// `lunar lib new NAME`: a library folder with a manifest, one module, its test and a README.
    public static func scaffold(name: String, at dir: String) throws -> [String] {
        guard LibraryManifest.isValidName(name) else {
            throw ManifestError("library name '\(name)' must be lower-case letters, digits, '_' or '-', starting with a letter")
        }
        let fm = FileManager.default
        if fm.fileExists(atPath: dir), let items = try? fm.contentsOfDirectory(atPath: dir), !items.isEmpty {
            throw ManifestError("\(dir) already exists and is not empty")
        }
        let module = name.replacingOccurrences(of: "-", with: "_")
        let files: [(String, String)] = [
            (LibraryManifest.fileName, """
                name = "\(name)"
                version = "0.1.0"
                description = "What \(name) is for, in one line."
                lunar = "^\(LunarVersion.current.major).\(LunarVersion.current.minor)"
                # Only these modules may be required from outside the library.
                exports = ["\(module).signals"]

                [requires]
                stdlib = "^0.1"

                """),
            ("\(module)/signals.lua", """
                -- \(module).signals: signals shared by the team's strategies.
                local ta = require "ta"

                local M = {}

                --- The fast moving average crosses above the slow one.
                -- @param x a price series
                -- @param fast bars in the fast average (default 10)
                -- @param slow bars in the slow average (default 30)
                -- @return a bool series
                function M.golden_cross(x, fast, slow)
                  return ta.crossover(ta.sma(x, fast or 10), ta.sma(x, slow or 30))
                end

                return M

                """),
            ("tests/signals_test.lua", """
                local signals = require "\(module).signals"

                test("golden_cross fires on the bar the fast average crosses above", function()
                  local p = panel { close = { 5, 4, 3, 4, 5, 6 } }
                  expect_series(signals.golden_cross(p.close, 1, 2), p).to_equal { nan, false, false, true, false, false }
                end)

                """),
            ("README.md", """
                # \(name)

                A Lunar library. `lunar test` runs its tests; `lunar lib check` checks it before a release.

                Release: bump `version` in lunar-lib.toml, commit, then `git tag v0.1.0 && git push --tags`.

                Use it from a project: `lunar lib add \(name) --git URL` (see Lunar's docs/libraries.md).

                """),
        ]
        var written: [String] = []
        for (rel, text) in files {
            let path = dir + "/" + rel
            try fm.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            written.append(path)
        }
        return written
    }
}
