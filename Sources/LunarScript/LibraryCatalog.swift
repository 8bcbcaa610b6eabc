import CLua
import Foundation
import LunarGraph
import LunarKernels
import LunarManifest

// MARK: - what the catalog finds

/// A Lua function documented with an LDoc block (`---` first line, then `--` lines) above it.
public struct FunctionDoc: Sendable {
    /// Module-qualified: `acme.momentum.roc`.
    public let name: String
    /// `acme.momentum.roc(x, n)`.
    public let signature: String
    public let summary: String
    /// Description lines after the summary.
    public let details: [String]
    public let params: [(name: String, doc: String)]
    public let returns: String?
    public let file: String
    public let line: Int
}

/// A module in a library root: its header comment and documented functions.
public struct ModuleDoc: Sendable {
    public let name: String
    public let file: String
    public let library: String
    /// The comment lines at the top of the file.
    public let summary: [String]
    public let functions: [FunctionDoc]
}

/// A strategy file in reach: what its table declares, plus comments on its parameters.
public struct StrategyDoc: Sendable {
    public struct Param: Sendable {
        public let name: String
        public let value: ParamValue
        /// The comment after the parameter in the source (`fast = 10, -- bars in the fast average`).
        public let doc: String
        /// A range written in that comment as `2..50`.
        public let range: ClosedRange<Double>?
    }
    public let name: String
    public let description: String
    public let file: String
    public let library: String
    public let params: [Param]
    /// Why the file did not load, when it did not; the other fields are then guesses.
    public let problem: String?
}

/// Finds and documents what the library roots hold: modules, their functions, strategies.
public enum LibraryCatalog {
    /// Lua files under a root, relative, sorted; hidden folders and `*_test.lua` are skipped.
    static func luaFiles(in root: String) -> [String] {
        relativeLuaFiles(under: root).filter { !$0.hasSuffix("_test.lua") }
    }

    /// `.lua` files under `root`, relative to it, sorted. Hidden folders (`.build`, `.git`) are
    /// not entered: a project folder may hold thousands of files there.
    static func relativeLuaFiles(under root: String) -> [String] {
        let base = URL(fileURLWithPath: root).absoluteURL.standardized
        let prefix = base.path.hasSuffix("/") ? base.path : base.path + "/"
        guard let e = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil, options: [.skipsHiddenFiles]) else { return [] }
        return e.compactMap { ($0 as? URL)?.absoluteURL.standardized.path }
            .filter { $0.hasSuffix(".lua") && $0.hasPrefix(prefix) }
            .map { String($0.dropFirst(prefix.count)) }
            .sorted()
    }

    /// A file is a strategy when it returns `strategy { ... }`; everything else is a module.
    static func isStrategy(_ source: String) -> Bool {
        source.range(of: #"return\s+strategy\s*[{(]"#, options: .regularExpression) != nil
    }

    static func read(_ path: String) -> String {
        FileManager.default.contents(atPath: path).flatMap { String(data: $0, encoding: .utf8) } ?? ""
    }

    /// Every module of every root, in root order (a module shadowed by an earlier root is still listed).
    public static func modules(in path: LibraryPath) -> [ModuleDoc] {
        path.roots.flatMap { root in
            luaFiles(in: root.path).compactMap { rel -> ModuleDoc? in
                let name = String(rel.dropLast(4)).replacingOccurrences(of: "/", with: ".")
                guard LibraryPath.isValidModuleName(name) else { return nil }
                let file = URL(fileURLWithPath: root.path).appendingPathComponent(rel).path
                let source = read(file)
                guard !isStrategy(source) else { return nil }
                return parseModule(source, name: name, file: file, library: root.label)
            }
        }
    }

    /// Strategy files in the library roots and in `folders` (the project's strategies).
    public static func strategies(in path: LibraryPath, folders: [String], settings: LibrarySettings) -> [StrategyDoc] {
        var seen: Set<String> = []
        var out: [StrategyDoc] = []
        let places = folders.map { ($0, "project") } + path.roots.map { ($0.path, $0.label) }
        for (dir, label) in places {
            for rel in luaFiles(in: dir) {
                let file = URL(fileURLWithPath: dir).appendingPathComponent(rel).absoluteURL.standardized.path
                guard seen.insert(file).inserted, isStrategy(read(file)) else { continue }
                out.append(describeStrategy(file, library: label, settings: settings))
            }
        }
        return out
    }

    // MARK: - LDoc comments

    /// Reads the header comment and every documented, non-local function of a module's source.
    public static func parseModule(_ source: String, name: String, file: String, library: String) -> ModuleDoc {
        let lines = source.components(separatedBy: "\n")
        var header: [String] = []
        for line in lines {
            let t = line.trimmingCharacters(in: .whitespaces)
            guard t.hasPrefix("--"), !t.hasPrefix("---") else { break }
            header.append(stripComment(t))
        }
        while header.last == "" { header.removeLast() }
        let patterns = [#"^\s*function\s+([A-Za-z_][\w.:]*)\s*\(([^)]*)\)"#,
                        #"^\s*([A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)+)\s*=\s*function\s*\(([^)]*)\)"#]
        let regexes = patterns.map { try! NSRegularExpression(pattern: $0) }
        var functions: [FunctionDoc] = []
        for (i, line) in lines.enumerated() {
            let range = NSRange(line.startIndex..., in: line)
            guard let m = regexes.lazy.compactMap({ $0.firstMatch(in: line, range: range) }).first else { continue }
            let fname = String(line[Range(m.range(at: 1), in: line)!])
            let args = String(line[Range(m.range(at: 2), in: line)!]).replacingOccurrences(of: " ", with: "")
                .split(separator: ",").joined(separator: ", ")
            // The doc block: the comment lines right above, starting with a `---` line.
            var block: [String] = []
            var k = i - 1
            while k >= 0, lines[k].trimmingCharacters(in: .whitespaces).hasPrefix("--") {
                block.insert(lines[k].trimmingCharacters(in: .whitespaces), at: 0)
                k -= 1
            }
            guard let start = block.firstIndex(where: { $0.hasPrefix("---") }) else { continue }
            let short = String(fname.split(whereSeparator: { $0 == "." || $0 == ":" }).last!)
            functions.append(parseDocBlock(Array(block[start...]), name: name + "." + short, short: short,
                                           args: args, file: file, line: i + 1))
        }
        return ModuleDoc(name: name, file: file, library: library, summary: header, functions: functions)
    }

    static func stripComment(_ line: String) -> String {
        var s = Substring(line)
        while s.first == "-" { s = s.dropFirst() }
        return s.hasPrefix(" ") ? String(s.dropFirst()) : String(s)
    }

    static func parseDocBlock(_ block: [String], name: String, short: String, args: String, file: String, line: Int) -> FunctionDoc {
        var text: [String] = [], params: [(String, String)] = [], returns: String? = nil
        for raw in block.map(stripComment) {
            let words = raw.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true).map(String.init)
            switch words.first {
            case "@param" where words.count >= 2: params.append((words[1], words.count > 2 ? words[2] : ""))
            case "@tparam" where words.count >= 3:
                let rest = words[2].split(separator: " ", maxSplits: 1).map(String.init)
                params.append((rest[0], "(\(words[1])) " + (rest.count > 1 ? rest[1] : "")))
            case "@return", "@treturn": returns = words.dropFirst().joined(separator: " ")
            default: text.append(raw)
            }
        }
        while text.first == "" { text.removeFirst() }
        var summary = text.first ?? ""
        // stdlib style repeats the signature: "cross(a, b): true when ..." → "true when ...".
        if summary.hasPrefix(short + "("), let r = summary.range(of: "): ") { summary = String(summary[r.upperBound...]) }
        return FunctionDoc(name: name, signature: "\(name)(\(args))", summary: summary, details: Array(text.dropFirst()),
                           params: params, returns: returns, file: file, line: line)
    }

    // MARK: - strategies

    /// Loads a strategy file far enough to read its table (its signals are not built).
    public static func describeStrategy(_ file: String, library: String, settings: LibrarySettings) -> StrategyDoc {
        let fallback = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        do {
            let roots = try LibraryPath(strategy: file, settings: settings)
            let vm = try LuaVM(libraries: roots)
            let ctx = DSLContext(graph: Graph(), fields: ["open", "high", "low", "close", "volume"])
            return try withExtendedLifetime(ctx) {
                vm.installDSL(ctx)
                try vm.installPrelude(ctx)
                try vm.runFile(file, displayName: file, nresults: 1)
                defer { swl_pop(vm.L, 1) }
                guard lua_type(vm.L, -1) == LUA_TTABLE else { throw ScriptError("\(file): the file must return a strategy") }
                let name = StrategySession.stringField(vm.L, "name") ?? fallback
                let description = StrategySession.stringField(vm.L, "description") ?? ""
                let values = try StrategySession.readParams(vm.L, path: file)
                let comments = paramComments(read(file))
                let params = values.map { p in
                    let (range, doc) = range(in: comments[p.name] ?? "")
                    return StrategyDoc.Param(name: p.name, value: p.value, doc: doc, range: range)
                }
                return StrategyDoc(name: name, description: description, file: file, library: library, params: params, problem: nil)
            }
        } catch {
            return StrategyDoc(name: fallback, description: "", file: file, library: library, params: [], problem: "\(error)")
        }
    }

    /// `name = value, -- comment` lines: name → comment.
    static func paramComments(_ source: String) -> [String: String] {
        let re = try! NSRegularExpression(pattern: #"^\s*([A-Za-z_]\w*)\s*=\s*[^-]*?,?\s*--\s*(.*?)\s*$"#)
        var out: [String: String] = [:]
        for line in source.components(separatedBy: "\n") {
            let r = NSRange(line.startIndex..., in: line)
            guard let m = re.firstMatch(in: line, range: r) else { continue }
            let key = String(line[Range(m.range(at: 1), in: line)!])
            if out[key] == nil { out[key] = String(line[Range(m.range(at: 2), in: line)!]) }
        }
        return out
    }

    /// `2..50` (or `2 .. 50`, decimals allowed) in a parameter comment, and the comment without it.
    static func range(in doc: String) -> (ClosedRange<Double>?, String) {
        let re = try! NSRegularExpression(pattern: #"(-?\d+(?:\.\d+)?)\s*\.\.\s*(-?\d+(?:\.\d+)?)"#)
        guard let m = re.firstMatch(in: doc, range: NSRange(doc.startIndex..., in: doc)),
              let lo = Double(doc[Range(m.range(at: 1), in: doc)!]), let hi = Double(doc[Range(m.range(at: 2), in: doc)!]),
              lo <= hi else { return (nil, doc) }
        var rest = doc
        rest.removeSubrange(Range(m.range, in: doc)!)
        return (lo ... hi, rest.trimmingCharacters(in: .whitespaces))
    }
}
