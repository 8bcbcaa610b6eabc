import LunarData
import Foundation
import LunarKernels
import LunarManifest

/// Text for `lunar lib list`, `lunar list` and `lunar doc`.
extension LibraryCatalog {
    static func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s + "  " : s + String(repeating: " ", count: w - s.count) }

    public static func renderRoots(_ path: LibraryPath) -> String {
        var out = pad("#", 3) + pad("library", 16) + pad("version", 10) + pad("from", 18) + "path\n"
        for (i, root) in path.roots.enumerated() {
            out += pad("\(i + 1)", 3) + pad(root.manifest?.name ?? "-", 16) + pad(root.manifest.map { "\($0.version)" } ?? "-", 10)
                + pad(root.origin.rawValue, 18) + root.path + "\n"
            if let d = root.manifest?.description, !d.isEmpty { out += "   " + d + "\n" }
            if let source = root.source { out += "   locked: " + source + (root.commit.map { " @ " + $0.prefix(12) } ?? "") + "\n" }
            if let m = root.manifest, !m.requires.isEmpty {
                out += "   requires " + m.requires.map { "\($0.name) \($0.range)" }.joined(separator: ", ") + "\n"
            }
        }
        return out
    }

    public static func primitiveSignature(_ spec: PrimitiveSpec) -> String {
        let args = spec.inputs.map(\.name) + spec.params.map { p in
            p.defaultValue.map { "\(p.name)=\(PrimitiveSpec.Param.show($0))" } ?? p.name
        }
        return "ta.\(spec.name)(\(args.joined(separator: ", ")))"
    }

    /// Lua-defined functions of every module, one line each (for `lunar list indicators`).
    public static func renderFunctions(_ modules: [ModuleDoc]) -> String {
        modules.flatMap(\.functions).map { pad($0.signature, 34) + $0.summary + "\n" }.joined()
    }

    public static func renderModules(_ modules: [ModuleDoc]) -> String {
        modules.map { m in
            var out = pad(m.name, 24) + pad("[\(m.library)]", 12) + (m.summary.first ?? "") + "\n"
            for f in m.functions { out += "    " + pad(f.signature, 30) + f.summary + "\n" }
            return out
        }.joined()
    }

    public static func renderStrategies(_ strategies: [StrategyDoc]) -> String {
        strategies.map { s in
            var out = pad(s.name, 24) + pad("[\(s.library)]", 12) + s.file + "\n"
            if let p = s.problem { return out + "    does not load: \(p.split(separator: "\n").first ?? "")\n" }
            if !s.description.isEmpty { out += "    " + s.description + "\n" }
            for p in s.params { out += "    " + paramLine(p) + "\n" }
            return out
        }.joined()
    }

    static func paramLine(_ p: StrategyDoc.Param) -> String {
        pad("\(p.name) = \(p.value)", 18) + (p.range.map { "[\(PrimitiveSpec.Param.show($0.lowerBound))..\(PrimitiveSpec.Param.show($0.upperBound))]  " } ?? "") + p.doc
    }

    // MARK: - lunar doc

    static func renderPrimitive(_ spec: PrimitiveSpec) -> String {
        var out = primitiveSignature(spec) + "    [native, \(spec.category)]\n\n" + spec.summary + "\n\n    " + spec.formula + "\n"
        if !spec.params.isEmpty {
            out += "\nParameters:\n"
            for p in spec.params {
                out += "  " + pad(p.name, 10) + "default " + (p.defaultValue.map(PrimitiveSpec.Param.show) ?? "none")
                    + ", range \(PrimitiveSpec.Param.show(p.range.lowerBound))..\(PrimitiveSpec.Param.show(p.range.upperBound))"
                    + (p.isInteger ? ", whole number" : "") + "\n"
            }
        }
        out += "\nReturns: " + spec.outputs.map { "\($0.name) (\($0.kind.rawValue) series)" }.joined(separator: ", ") + "\n"
        return out
    }

    static func renderFunction(_ f: FunctionDoc) -> String {
        var out = f.signature + "    [\(f.file):\(f.line)]\n\n" + f.summary + "\n"
        let details = f.details.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        if !details.isEmpty { out += "\n" + details + "\n" }
        if !f.params.isEmpty {
            out += "\nParameters:\n" + f.params.map { "  " + pad($0.name, 10) + $0.doc + "\n" }.joined()
        }
        if let r = f.returns { out += "\nReturns: " + r + "\n" }
        return out
    }

    static func renderModule(_ m: ModuleDoc) -> String {
        var out = "module \(m.name)    [\(m.library), \(m.file)]\n"
        if !m.summary.isEmpty { out += "\n" + m.summary.joined(separator: "\n") + "\n" }
        if !m.functions.isEmpty { out += "\nFunctions:\n" + m.functions.map { "  " + pad($0.signature, 30) + $0.summary + "\n" }.joined() }
        return out
    }

    static func renderStrategy(_ s: StrategyDoc) -> String {
        var out = "strategy \(s.name)    [\(s.library), \(s.file)]\n"
        if let p = s.problem { return out + "\ndoes not load: \(p)\n" }
        if !s.description.isEmpty { out += "\n" + s.description + "\n" }
        if !s.params.isEmpty { out += "\nParameters:\n" + s.params.map { "  " + paramLine($0) + "\n" }.joined() }
        return out
    }

    static func renderLibrary(_ root: LibraryRoot, modules: [ModuleDoc]) -> String {
        let m = root.manifest!
        var out = "library \(m.name) \(m.version)    [\(root.origin.rawValue), \(root.path)]\n"
        if !m.description.isEmpty { out += "\n" + m.description + "\n" }
        if let l = m.lunar { out += "\nneeds Lunar \(l)\n" }
        if !m.requires.isEmpty { out += "requires " + m.requires.map { "\($0.name) \($0.range)" }.joined(separator: ", ") + "\n" }
        let mine = modules.filter { $0.file.hasPrefix(root.path + "/") }
        if !mine.isEmpty { out += "\nModules:\n" + mine.map { "  " + pad($0.name, 24) + ($0.summary.first ?? "") + "\n" }.joined() }
        return out
    }

    /// The documentation of `name`: a native primitive (`sma`, `ta.sma`), a Lua function
    /// (`ta.cross`, `acme.momentum.roc`), a module, a strategy (name or file) or a library.
    public static func doc(_ name: String, path: LibraryPath, strategyFolders: [String], settings: LibrarySettings) throws -> String {
        let bare = name.hasPrefix("ta.") ? String(name.dropFirst(3)) : name
        if let spec = Registry.spec(bare) { return renderPrimitive(spec) }
        let modules = modules(in: path)
        let functions = modules.flatMap(\.functions)
        if let f = functions.first(where: { $0.name == name }) { return renderFunction(f) }
        if let m = modules.first(where: { $0.name == name }) { return renderModule(m) }
        if let root = path.root(named: name) { return renderLibrary(root, modules: modules) }
        if name.hasSuffix(".lua"), FileManager.default.fileExists(atPath: name) {
            return renderStrategy(describeStrategy(name, library: "file", settings: settings))
        }
        let strategies = strategies(in: path, folders: strategyFolders, settings: settings)
        if let s = strategies.first(where: { $0.name == name }) { return renderStrategy(s) }
        // A short function name is enough when only one module defines it.
        let short = functions.filter { $0.name.hasSuffix("." + name) }
        if short.count == 1 { return renderFunction(short[0]) }
        let all = Registry.names + functions.map(\.name) + modules.map(\.name) + strategies.map(\.name)
            + path.roots.compactMap { $0.manifest?.name }
        let s = closestMatches(to: name, in: Array(Set(all)))
        var message = "nothing called '\(name)' in reach"
        if short.count > 1 { message += "; several functions match: \(short.map(\.name).joined(separator: ", "))" }
        else if !s.isEmpty { message += "; did you mean \(s.map { "'\($0)'" }.joined(separator: ", "))?" }
        throw ScriptError(message + " (see lunar list modules, lunar list strategies)")
    }
}
