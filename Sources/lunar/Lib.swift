import ArgumentParser
import Foundation
import Lunar

/// `--lib DIR` and the way every command finds its library roots.
struct LibraryOptions: ParsableArguments {
    @Option(name: .customLong("lib"), help: ArgumentHelp("Add a library root (repeatable); searched after lunar.toml's libraries.", valueName: "DIR"))
    var libs: [String] = []
    @Flag(help: "Never fetch dependencies: use only the cache, and fail if something is missing (also LUNAR_OFFLINE=1).")
    var offline = false

    /// lunar.toml from the current folder or above with its locked dependencies, the --lib
    /// flags, LUNAR_PATH and the stdlib.
    func settings() throws -> LibrarySettings {
        try LibrarySettings.standard(flags: libs, stdlib: Stdlib.locate(), offline: offline)
    }

    /// The project file that `lib add/remove/update` edit (nil: none in this folder or above).
    func projectPath() -> String? { ProjectFile.find(from: FileManager.default.currentDirectoryPath) }

    var isOffline: Bool { offline || LibrarySettings.isOffline(ProcessInfo.processInfo.environment) }

    func dependencies(_ project: ProjectFile) -> Dependencies {
        Dependencies(project: project, cache: DependencyCache(root: DependencyCache.defaultRoot(), offline: isOffline),
                     log: LibrarySettings.stderr)
    }

    /// The roots as a strategy outside every library would see them (no strategy folder).
    func path() throws -> LibraryPath {
        try LibraryPath(leading: [], settings: settings())
    }
}


struct Lib: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Libraries: list, depend on (add, remove, update), check and create them.",
        subcommands: [ListLibraries.self, Add.self, Remove.self, Update.self, CheckLibrary.self, New.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a dependency to lunar.toml, resolve it and write lunar.lock.")
        @Argument(help: "The library's name (its lunar-lib.toml name).") var name: String
        @Option(help: ArgumentHelp("Its git repository: a URL or a path.", valueName: "URL")) var git: String?
        @Option(help: ArgumentHelp("A folder instead of a repository.", valueName: "DIR")) var path: String?
        @Option(help: ArgumentHelp("Acceptable versions, e.g. ^1.2 (default: ^ of the newest tag).", valueName: "RANGE")) var version: String?
        @Option(help: "Follow a branch (locked to its commit until `lunar lib update`).") var branch: String?
        @Option(help: "One commit.") var rev: String?
        @OptionGroup var libraries: LibraryOptions

        func run() throws {
            do {
                let cwd = FileManager.default.currentDirectoryPath
                let tomlPath = libraries.projectPath() ?? cwd + "/" + ProjectFile.fileName
                let before = FileManager.default.contents(atPath: tomlPath).map { String(decoding: $0, as: UTF8.self) }
                guard (git == nil) != (path == nil) else { throw ValidationError("give --git URL or --path DIR") }
                let dir = URL(fileURLWithPath: tomlPath).deletingLastPathComponent()
                var range = version
                if range == nil, branch == nil, rev == nil, let git {
                    // The newest release, as ^MAJOR.MINOR: later compatible releases are one `update` away.
                    let url = DependencySpec.resolveLocal(git, directory: dir)
                    let cache = DependencyCache(root: DependencyCache.defaultRoot(), offline: libraries.isOffline)
                    let mirror = try cache.mirror(name: name, url: url, refresh: true)
                    guard let newest = try cache.tags(mirror: mirror).first(where: { $0.version.prerelease.isEmpty }) else {
                        throw DependencyError("\(git) has no release tags (v1.0.0 and the like); give --branch or --rev, or tag a release")
                    }
                    range = newest.version.major > 0 ? "^\(newest.version.major).\(newest.version.minor)" : "^0.\(newest.version.minor).\(newest.version.patch)"
                }
                let selector: DependencySpec.Selector
                if let branch { selector = .branch(branch) } else if let rev { selector = .rev(rev) } else {
                    guard let r = VersionRange(range ?? "*") else { throw ValidationError("--version '\(range ?? "")' is not a version range (try ^1.2)") }
                    selector = .range(r)
                }
                // Written as given, except that a relative local path typed in a subfolder of the
                // project is made absolute: lunar.toml reads it from its own folder.
                var written = git ?? path!
                let local = path != nil || DependencySpec.resolveLocal(written, directory: dir) != written
                if local, !written.hasPrefix("/"), !written.hasPrefix("~"),
                   URL(fileURLWithPath: cwd).standardized.path != dir.standardized.path {
                    written = URL(fileURLWithPath: cwd).appendingPathComponent(written).standardized.path
                }
                let spec = DependencySpec(name: name, source: git != nil ? .git(written) : .path(written), selector: selector)
                let line = DependencyEdit.line(spec, source: written)
                let text = DependencyEdit.setting(name, line: line, in: before ?? "")
                try edit(tomlPath, to: text, restoring: before) { project in _ = try libraries.dependencies(project).install() }
                print("added \(line) to \(tomlPath)")
            } catch { throw fail(error) }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a dependency from lunar.toml and lunar.lock.")
        @Argument var name: String
        @OptionGroup var libraries: LibraryOptions

        func run() throws {
            do {
                guard let tomlPath = libraries.projectPath(), let data = FileManager.default.contents(atPath: tomlPath) else {
                    throw ValidationError("no lunar.toml in this folder or above")
                }
                let before = String(decoding: data, as: UTF8.self)
                guard let text = DependencyEdit.removing(name, from: before) else {
                    throw ValidationError("\(tomlPath) has no dependency '\(name)'")
                }
                try edit(tomlPath, to: text, restoring: before) { project in _ = try libraries.dependencies(project).install() }
                print("removed \(name) from \(tomlPath)")
            } catch { throw fail(error) }
        }
    }

    /// Writes lunar.toml, runs `then` on it, and puts the old text back when either fails: a
    /// dependency that does not resolve leaves the project as it was.
    static func edit(_ path: String, to text: String, restoring before: String?, then: (ProjectFile) throws -> Void) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        do { try then(try ProjectFile(contentsOf: path)) } catch {
            if let before { try? Data(before.utf8).write(to: URL(fileURLWithPath: path), options: .atomic) }
            else { try? FileManager.default.removeItem(atPath: path) }
            throw error
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Fetch and move locked libraries to the newest versions their ranges allow (all, or those named).")
        @Argument var names: [String] = []
        @OptionGroup var libraries: LibraryOptions

        func run() throws {
            do {
                guard let tomlPath = libraries.projectPath() else { throw ValidationError("no lunar.toml in this folder or above") }
                let changes = try libraries.dependencies(try ProjectFile(contentsOf: tomlPath)).update(names)
                print(changes.isEmpty ? "lunar.lock is up to date" : changes.joined(separator: "\n"))
            } catch { throw fail(error) }
        }
    }

    struct CheckLibrary: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "check",
            abstract: "Check a library before a release: manifest, exports, modules load, tests pass, no stdlib shadowing.")
        @Argument(help: "The library's folder (default: the current folder).") var directory: String = "."
        @OptionGroup var libraries: LibraryOptions

        func run() throws {
            let report: LibraryCheck.Report
            do { report = LibraryCheck.run(directory: directory, settings: try libraries.settings()) } catch { throw fail(error) }
            print(LibraryCheck.render(report), terminator: "")
            if !report.passed { throw ExitCode(FailureKind.script.exitCode) }
        }
    }

    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a library: manifest, a module, its test and a README.")
        @Argument var name: String
        @Option(help: "The folder to create (default: NAME).") var dir: String?

        func run() throws {
            do {
                for f in try LibraryCheck.scaffold(name: name, at: dir ?? name) { print("created \(f)") }
            } catch { throw fail(error) }
        }
    }

    struct ListLibraries: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list",
            abstract: "Show the library roots in search order: name, version, where each comes from.")
        @OptionGroup var libraries: LibraryOptions

        func run() throws {
            do {
                let path = try libraries.path()
                if let p = path.project { print("project file: \(p.path)\n") }
                print(LibraryCatalog.renderRoots(path), terminator: "")
            } catch { throw fail(error) }
        }
    }
}

struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "test",
        abstract: "Run *_test.lua files (see docs/libraries.md for the assertion API).")
    @Argument(help: "Test files or folders to search for *_test.lua (default: the current folder).")
    var paths: [String] = []
    @OptionGroup var libraries: LibraryOptions
    @Option(help: ArgumentHelp("Also write the results as JUnit XML.", valueName: "FILE")) var junit: String?

    func run() throws {
        let results: [LuaTestFileResult]
        do {
            results = try LuaTests.run(paths: paths.isEmpty ? ["."] : paths, libraries: libraries.settings())
            if let junit { try Data(LuaTests.junit(results).utf8).write(to: URL(fileURLWithPath: junit), options: .atomic) }
        } catch { throw fail(error) }
        print(LuaTests.render(results), terminator: "")
        if results.isEmpty { throw fail(ValidationError("no *_test.lua files under \(paths.isEmpty ? "." : paths.joined(separator: ", "))")) }
        if results.contains(where: { $0.failed > 0 }) { throw ExitCode(1) }
    }
}
