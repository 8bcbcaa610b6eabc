import Foundation
import LunarData
import LunarEngine
import LunarGraph
import LunarScript
import LunarReport

/// One problem `lunar check` found.
public struct Finding: Sendable, Equatable {
    public enum Severity: String, Sendable { case error, warning }
    public var severity: Severity
    public var file: String
    public var line: Int?
    public var message: String

    /// `file:line: severity: message`, as compilers print.
    public var description: String {
        "\(file)\(line.map { ":\($0)" } ?? ""): \(severity.rawValue): \(message)"
    }
}

/// Static checks of strategies and modules: loads them and builds their graphs, runs nothing.
public enum Checker {
    public struct Options: Sendable {
        /// The data's length, to flag look-backs that can never be satisfied (nil: skip that check).
        public var bars: Int? = nil
        /// The data's fields; `member` is in every run's view of the data.
        public var fields: [String] = Panel.standardFields + ["member"]
        public var stdlib: String? = nil
        /// Library roots (lunar.toml, --lib, LUNAR_PATH) for the strategies' `require`s.
        public var libraries: LibrarySettings? = nil
        public init() {}
    }

    /// Checks every `.lua` file under the given files and folders (`*_test.lua` files are skipped).
    public static func check(paths: [String], options: Options = Options()) throws -> [Finding] {
        let stdlib = try options.stdlib ?? Stdlib.locate()
        var findings: [Finding] = []
        for file in try luaFiles(paths) {
            findings += checkFile(file, stdlib: stdlib, options: options)
        }
        return findings
    }

    public static func luaFiles(_ paths: [String]) throws -> [String] {
        var out: [String] = []
        for p in paths {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: p, isDirectory: &isDir) else {
                throw DataError.fileNotFound(p)
            }
            if isDir.boolValue {
                let items = FileManager.default.enumerator(atPath: p)?.compactMap { $0 as? String } ?? []
                out += items.filter { $0.hasSuffix(".lua") && !$0.hasSuffix("_test.lua") }.sorted()
                    .map { p.hasSuffix("/") ? p + $0 : p + "/" + $0 }
            } else {
                out.append(p)
            }
        }
        return out
    }

    /// A file is checked as a strategy when it calls `strategy`; otherwise as a module (syntax only).
    static func checkFile(_ file: String, stdlib: String, options: Options) -> [Finding] {
        if let e = ScriptSyntax.check(file: file) { return [finding(from: e, defaultFile: file)] }
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        guard text.range(of: #"(^|[^A-Za-z0-9_.])strategy\s*[{(]"#, options: .regularExpression) != nil else { return [] }
        let s: StrategyDefinition
        do {
            s = try StrategyLoader.load(path: file, fields: options.fields, stdlib: stdlib, libraries: options.libraries)
        } catch {
            return [finding(from: error, defaultFile: file)]
        }
        var out: [Finding] = []
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        // on_bar runs only during a backtest, so for per-bar strategies a parameter counts as
        // used when the file mentions it as p.NAME.
        func mentioned(_ name: String) -> Bool {
            s.perBar && text.range(of: #"\bp\.\#(name)\b"#, options: .regularExpression) != nil
        }
        for p in s.params where !s.usedParams.contains(p.name) && !mentioned(p.name) {
            let line = lines.firstIndex { $0.range(of: #"\b\#(p.name)\s*="#, options: .regularExpression) != nil }.map { $0 + 1 }
            out.append(Finding(severity: .warning, file: file, line: line,
                               message: "parameter '\(p.name)' is never used by signals"))
        }
        // Globals the file reads that nothing defines: most likely a typo.
        let known = Set(s.globals)
        for read in GlobalReads.undeclared(in: text) where !known.contains(read.name) {
            let close = closestMatches(to: read.name, in: s.globals.filter { !$0.hasPrefix("_") } + GlobalReads.declaredNames(in: text))
            out.append(Finding(severity: .warning, file: file, line: read.line,
                               message: "'\(read.name)' is read but defined nowhere (not a local, a parameter or a global)"
                                   + (close.isEmpty ? "" : "; did you mean \(close.map { "'\($0)'" }.joined(separator: ", "))?")))
        }
        for (name, id) in s.outputs.sorted(by: { $0.key < $1.key }) {
            let node = s.graph[id]
            if let bars = options.bars, node.lookback >= bars {
                out.append(Finding(severity: .warning, file: file, line: nil,
                    message: "'\(name)' needs \(node.lookback + 1) bars of history, but the data have \(bars): it is never defined"))
            }
            if neverTrue(s.graph, id) {
                out.append(Finding(severity: .warning, file: file, line: nil,
                    message: "'\(name)' can never be true (it folds to a constant false)"))
            }
        }
        return out
    }

    /// True when constant folding proves a bool node is never 1: a false constant, an `&` with
    /// such an input, an `|` of two such inputs, or a `where` whose chosen branches all are.
    static func neverTrue(_ g: Graph, _ id: NodeID) -> Bool {
        if let c = constantValue(g, id) { return c != 1 }
        let n = g[id]
        switch n.op {
        case .binary(.and): return neverTrue(g, n.inputs[0]) || neverTrue(g, n.inputs[1])
        case .binary(.or): return neverTrue(g, n.inputs[0]) && neverTrue(g, n.inputs[1])
        case .select:
            if let c = constantValue(g, n.inputs[0]) { return c.isNaN || neverTrue(g, n.inputs[c == 1 ? 1 : 2]) }
            return neverTrue(g, n.inputs[1]) && neverTrue(g, n.inputs[2])
        default: return false
        }
    }

    /// The value of a node that depends on no field and no calendar value (constant
    /// folding), or nil.
    static func constantValue(_ g: Graph, _ id: NodeID) -> Double? {
        let needed = g.reachable(from: [id])
        if needed.contains(where: {
            switch g[$0].op { case .field, .calendar: return true; default: return false }
        }) { return nil }
        let one = try! Panel(symbols: ["_"], timestamps: [0],
                             fields: Dictionary(uniqueKeysWithValues: Panel.standardFields.map { ($0, [Double.nan]) }))
        return (try? NaiveEvaluator(panel: one).evaluate(g, outputs: [id]))?[id]?.first
    }

    static func finding(from error: Error, defaultFile: String) -> Finding {
        let text = (error as? ScriptError)?.message ?? "\(error)"
        // "path:line: message" → its parts.
        if let m = text.firstMatch(of: /^(.+?\.lua):(\d+): (.*)$/.dotMatchesNewlines()) {
            return Finding(severity: .error, file: String(m.1), line: Int(m.2), message: String(m.3))
        }
        if text.hasPrefix(defaultFile + ": ") {
            return Finding(severity: .error, file: defaultFile, line: nil, message: String(text.dropFirst(defaultFile.count + 2)))
        }
        return Finding(severity: .error, file: defaultFile, line: nil, message: text)
    }

    /// Findings as JSON for tools.
    public static func json(_ findings: [Finding], files: Int) -> String {
        let items = findings.map { f in
            "    {\"severity\": \"\(f.severity.rawValue)\", \"file\": \(ResultWriter.jsonString(f.file)), \"line\": \(f.line.map(String.init) ?? "null"), \"message\": \(ResultWriter.jsonString(f.message))}"
        }
        let errors = findings.filter { $0.severity == .error }.count
        return "{\n  \"files\": \(files),\n  \"errors\": \(errors),\n  \"warnings\": \(findings.count - errors),\n  \"findings\": [\n"
            + items.joined(separator: ",\n") + (items.isEmpty ? "" : "\n") + "  ]\n}\n"
    }
}
