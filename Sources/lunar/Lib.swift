import ArgumentParser
import Foundation
import Lunar

/// `--lib DIR` and the way every command finds its library roots.
struct LibraryOptions: ParsableArguments {
    @Option(name: .customLong("lib"), help: ArgumentHelp("Add a library root (repeatable); searched after lunar.toml's libraries.", valueName: "DIR"))
    var libs: [String] = []

    /// lunar.toml from the current folder or above, the --lib flags, LUNAR_PATH and the stdlib.
    func settings() throws -> LibrarySettings {
        try LibrarySettings.standard(flags: libs, stdlib: Stdlib.locate())
    }

    /// The roots as a strategy outside every library would see them (no strategy folder).
    func path() throws -> LibraryPath {
        try LibraryPath(leading: [], settings: settings())
    }
}

struct Lib: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Inspect the libraries in reach.", subcommands: [ListLibraries.self])

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
