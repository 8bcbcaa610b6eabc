import ArgumentParser
import Foundation
import Lunar

/// Where `lunar list strategies` and `lunar doc` look for the project's strategies: lunar.toml's
/// `strategies`, else `./strategies` when it exists.
func strategyFolders(_ settings: LibrarySettings) -> [String] {
    if let p = settings.project, !p.strategies.isEmpty { return p.strategies }
    let local = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("strategies").path
    return FileManager.default.fileExists(atPath: local) ? [local] : []
}

struct Doc: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the documentation of a primitive, Lua function, module, strategy or library.")
    @Argument(help: "e.g. sma, ta.cross, acme.momentum, sma_cross, strategies/sma_cross.lua, acme") var name: String
    @OptionGroup var libraries: LibraryOptions

    func run() throws {
        do {
            let settings = try libraries.settings()
            print(try LibraryCatalog.doc(name, path: LibraryPath(leading: [], settings: settings),
                                         strategyFolders: strategyFolders(settings), settings: settings), terminator: "")
        } catch { throw fail(error) }
    }
}

/// `lunar list strategies|modules` and the Lua half of `lunar list indicators`.
enum Listing {
    static func run(_ what: String, libraries: LibraryOptions) throws {
        let settings = try libraries.settings()
        let path = try LibraryPath(leading: [], settings: settings)
        switch what {
        case "strategies":
            print(LibraryCatalog.renderStrategies(LibraryCatalog.strategies(in: path, folders: strategyFolders(settings), settings: settings)),
                  terminator: "")
        case "modules":
            print(LibraryCatalog.renderModules(LibraryCatalog.modules(in: path)), terminator: "")
        default:
            print(LibraryCatalog.renderFunctions(LibraryCatalog.modules(in: path)), terminator: "")
        }
    }
}
