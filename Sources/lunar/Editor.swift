import ArgumentParser
import Foundation
import Lunar

/// `lunar types [DIR]`: the editor annotations (docs/dsl.md, "Editors").
struct Types: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write Lua annotation files (LuaLS / EmmyLua ---@meta) for ta, bars, strategy{}, ctx, the test API and the libraries in reach.")

    @Argument(help: "Folder to write into.") var dir = ".lunar/types"
    @Option(help: "A data file or folder whose extra columns are typed on `bars` (its header is read).") var data: String?
    @OptionGroup var libraries: LibraryOptions

    func run() throws {
        do {
            let written = try EditorSetup.writeTypes(to: dir, libraries: libraries.path(), extraFields: try extraFields())
            print("wrote \(written.count) annotation file(s) to \(dir)")
        } catch { throw fail(error) }
    }

    /// Columns of `--data` beyond the standard ones.
    func extraFields() throws -> [String] {
        guard let data else { return [] }
        let panel = try DataOrigin(spec: data).load()
        return panel.fields.keys.filter { !Panel.standardFields.contains($0) && $0 != "member" }.sorted()
    }
}

/// `lunar init DIR`: a research project an editor understands.
struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a research project: lunar.toml, an example strategy and its test, editor settings and annotations, .gitignore, README.")

    @Argument(help: "The project's folder (new, or empty).") var dir: String

    func run() throws {
        do {
            try EditorSetup.initProject(at: dir, stdlib: Stdlib.locate())
            print("""
                created \(dir): open it in VS Code or Neovim with a Lua language server (docs/dsl.md, "Editors"), then
                  cd \(dir)
                  lunar run strategies/example.lua
                  lunar test strategies/
                  lunar watch strategies/example.lua
                """)
        } catch { throw fail(error) }
    }
}

/// Shell completion of `--param`: the declared parameters (`fast=`, `slow=`) of the strategy
/// file already on the command line. Quiet when there is none or it does not load.
@Sendable func parameterCompletions(_ words: [String]) -> [String] {
    guard let path = words.first(where: { $0.hasSuffix(".lua") && FileManager.default.fileExists(atPath: $0) }),
          let stdlib = try? Stdlib.locate(),
          let session = try? StrategySession(path: path, fields: Panel.standardFields + ["member"], stdlib: stdlib) else { return [] }
    return session.declared.map { "\($0.name)=" }
}
