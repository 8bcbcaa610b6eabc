import LunarData
import CLua
import Foundation
import LunarGraph
import LunarKernels
import LunarSim

/// Loads strategy files into graphs inside a fresh sandboxed state.
public enum StrategyLoader {
    /// - Parameters:
    ///   - fields: the data's field names, which `bars` exposes.
    ///   - overrides: `--param name=value` texts.
    ///   - stdlib: the shipped library folder; `require` looks in the strategy's folder first, then there.
    ///   - libraries: the other library roots (lunar.toml, --lib, LUNAR_PATH); nil for none.
    public static func load(path: String, fields: [String], overrides: [String: String] = [:],
                            stdlib: String, libraries: LibrarySettings? = nil,
                            limits: ScriptLimits = ScriptLimits()) throws -> StrategyDefinition {
        let session = try StrategySession(path: path, fields: fields, stdlib: stdlib, libraries: libraries, limits: limits)
        return try session.build(params: session.resolve(overrides))
    }
}

/// A strategy file loaded once into its own Lua state, from which graphs are built for any
/// number of parameter sets. Every build adds to the same hash-consed graph, so a sweep's
/// parameter sets share every node that does not depend on what differs between them.
public final class StrategySession {
    let vm: LuaVM
    let dsl: DSLContext
    public let path: String
    public let name: String
    public let description: String
    /// Declared parameters with their defaults, in name order.
    public let declared: [(name: String, value: ParamValue)]
    /// Declared bounds of numeric parameters (`ranges`).
    public let ranges: [String: ParamRange]
    public let perBar: Bool
    /// Simulation settings of the strategy table (`fill`, `stop_loss`, …), checked by the prelude.
    public let settings: [String: SettingValue]
    public var graph: Graph { dsl.graph }
    private let strategyRef: Int32, barsRef: Int32

    public init(path: String, fields: [String], stdlib: String, libraries: LibrarySettings? = nil,
                limits: ScriptLimits = ScriptLimits(), graph: Graph = Graph()) throws {
        self.path = path
        let roots = try LibraryPath(strategy: path, settings: libraries ?? LibrarySettings(stdlib: stdlib))
        vm = try LuaVM(limits: limits, libraries: roots)
        dsl = DSLContext(graph: graph, fields: fields)
        vm.installDSL(dsl)
        try vm.installPrelude(dsl)
        let L = vm.L
        do { try vm.runFile(path, displayName: path, nresults: 1) } catch let e as ScriptError {
            throw StrategySession.placed(e, path: path, source: vm.modules.sources[path])
        }
        // stack: strategy table
        guard lua_type(L, -1) == LUA_TTABLE else {
            throw ScriptError("\(path): the file must return a strategy: end it with `return strategy { ... }`")
        }
        name = StrategySession.stringField(L, "name") ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        description = StrategySession.stringField(L, "description") ?? ""
        declared = try StrategySession.readParams(L, path: path)
        do { ranges = try StrategySession.readRanges(L, params: declared) } catch let e as ScriptError {
            throw StrategySession.placed(e, path: path, source: vm.modules.sources[path])   // the line of `ranges =`
        }
        settings = StrategySession.readSettings(L)
        rawField(L, -1, "on_bar")
        perBar = lua_type(L, -1) == LUA_TFUNCTION
        swl_pop(L, 1)
        strategyRef = luaL_ref(L, SWL_REGISTRYINDEX)
        vm.pushLunarField("make_bars")
        pushStringList(L, fields)
        try vm.call(nargs: 1, nresults: 1)
        barsRef = luaL_ref(L, SWL_REGISTRYINDEX)
    }

    /// `return strategy { … }` is a tail call, so Lua has no line for the errors the prelude
    /// raises about the table (`strategy: 'fees' must be …`): give them the file, and the line
    /// where the field is written.
    static func placed(_ e: ScriptError, path: String, source: Data?) -> ScriptError {
        guard e.message.hasPrefix("strategy: ") else { return e }
        var line: Int? = nil
        if let source, let text = String(data: source, encoding: .utf8),
           let q = e.message.range(of: "'"), let q2 = e.message.range(of: "'", range: q.upperBound ..< e.message.endIndex) {
            let key = NSRegularExpression.escapedPattern(for: String(e.message[q.upperBound ..< q2.lowerBound]))
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            line = lines.firstIndex { $0.range(of: "(^|[^A-Za-z0-9_.])\(key)\\s*=", options: .regularExpression) != nil }.map { $0 + 1 }
        }
        return ScriptError("\(path):\(line.map { "\($0):" } ?? "") \(e.message)", traceback: e.traceback)
    }

    /// The declared parameters with `--param` texts applied; unknown names and bad values throw.
    public func resolve(_ overrides: [String: String]) throws -> [(name: String, value: ParamValue)] {
        var params = declared
        for (key, text) in overrides.sorted(by: { $0.key < $1.key }) {
            guard let i = params.firstIndex(where: { $0.name == key }) else {
                let s = closestMatches(to: key, in: params.map(\.name))
                throw ScriptError("unknown parameter '\(key)' for \(path)" +
                    (s.isEmpty ? (params.isEmpty ? " (it declares no params)" : "; it declares \(params.map(\.name).joined(separator: ", "))")
                               : "; did you mean \(s.map { "'\($0)'" }.joined(separator: ", "))?"))
            }
            params[i].value = try params[i].value.parsing(text, name: key)
        }
        return params
    }

    /// Calls `indicators` and `signals` with these parameters and returns the definition.
    public func build(params: [(name: String, value: ParamValue)]) throws -> StrategyDefinition {
        let L = vm.L
        let graph = dsl.graph
        dsl.startCount = graph.count
        vm.pushLunar(); lua_pushstring(L, "used_params"); swl_newtable(L); lua_rawset(L, -3); swl_pop(L, 1)
        lua_rawgeti(L, SWL_REGISTRYINDEX, lua_Integer(strategyRef))
        lua_rawgeti(L, SWL_REGISTRYINDEX, lua_Integer(barsRef))
        vm.pushLunarField("make_params")
        swl_newtable(L)
        for p in params { pushParamValue(L, p.value); lua_setfield(L, -2, p.name) }
        pushStringList(L, params.map(\.name))
        try vm.call(nargs: 2, nresults: 1)
        // stack: strategy, bars, p
        var indicators: [(name: String, node: NodeID)] = []
        rawField(L, -3, "indicators")
        if lua_type(L, -1) == LUA_TFUNCTION {
            lua_pushvalue(L, -3); lua_pushvalue(L, -3)
            try vm.call(nargs: 2, nresults: 1)
            indicators = try StrategySession.readIndicators(L, graph: graph, path: path)
        }
        swl_pop(L, 1)
        var outputs: [String: NodeID] = [:]
        rawField(L, -3, "signals")
        if lua_type(L, -1) == LUA_TFUNCTION {
            lua_pushvalue(L, -3); lua_pushvalue(L, -3)
            try vm.call(nargs: 2, nresults: 1)
            // stack: strategy, bars, p, result
            outputs = try StrategySession.readSignals(L, graph: graph, path: path)
        } else if !perBar {
            throw ScriptError("\(path): the strategy needs signals(bars, p) or on_bar(ctx, p)")
        }
        swl_pop(L, 4)   // the result (or nil), p, bars, strategy
        vm.pushLunarField("used_params")
        let used = Set(params.map(\.name).filter { name in
            guard lua_type(L, -1) == LUA_TTABLE else { return false }
            rawField(L, -1, name); defer { swl_pop(L, 1) }
            return lua_toboolean(L, -1) != 0
        })
        swl_pop(L, 1)
        var def = StrategyDefinition(name: name, description: description, path: path, params: params,
                                     graph: graph, outputs: outputs, files: vm.modules.loadedFiles, usedParams: used,
                                     indicators: indicators, perBar: perBar)
        def.settings = settings
        def.ranges = ranges
        def.sources = vm.modules.sources
        def.globals = vm.globalNames()
        def.libraries = vm.modules.loadedRoots.filter { $0.manifest != nil }
        return def
    }

    static func stringField(_ L: OpaquePointer, _ key: String) -> String? {
        rawField(L, -1, key)
        defer { swl_pop(L, 1) }
        return lua_type(L, -1) == LUA_TSTRING ? String(cString: swl_tostring(L, -1)!) : nil
    }

    /// The settings of the strategy table (the prelude checked each against `Setting.all`).
    static func readSettings(_ L: OpaquePointer) -> [String: SettingValue] {
        var out: [String: SettingValue] = [:]
        for setting in Setting.all {
            rawField(L, -1, setting.name)
            if let v = settingValue(L, -1) { out[setting.name] = v }
            swl_pop(L, 1)
        }
        return out
    }

    /// `ranges = { name = {min, max[, step]} }`: each a numeric parameter's bounds, holding its default.
    /// Errors read "strategy: 'ranges' …", which `placed` gives the file and the field's line.
    static func readRanges(_ L: OpaquePointer, params: [(name: String, value: ParamValue)]) throws -> [String: ParamRange] {
        rawField(L, -1, "ranges")
        defer { swl_pop(L, 1) }
        if lua_type(L, -1) == LUA_TNIL { return [:] }
        guard lua_type(L, -1) == LUA_TTABLE else {
            throw ScriptError("strategy: 'ranges' must be a table such as { fast = {2, 100} }, got \(typeName(L, -1))")
        }
        var out: [String: ParamRange] = [:]
        lua_pushnil(L)
        while lua_next(L, -2) != 0 {
            defer { swl_pop(L, 1) }
            guard lua_type(L, -2) == LUA_TSTRING else { throw ScriptError("strategy: 'ranges' keys must be parameter names") }
            let key = String(cString: swl_tostring(L, -2)!)
            guard let p = params.first(where: { $0.name == key }) else {
                let s = closestMatches(to: key, in: params.map(\.name))
                throw ScriptError("strategy: 'ranges' names '\(key)', which params does not declare" + (s.isEmpty ? "" : "; did you mean \(s.map { "'\($0)'" }.joined(separator: ", "))?"))
            }
            guard case .number(let value) = p.value else { throw ScriptError("strategy: 'ranges' gives \(key) a range: only a numeric parameter has one") }
            var bounds: [Double] = []
            if lua_type(L, -1) == LUA_TTABLE {
                for k in 1 ... 4 {
                    lua_rawgeti(L, -1, lua_Integer(k))
                    defer { swl_pop(L, 1) }
                    if lua_type(L, -1) == LUA_TNIL { break }
                    guard lua_type(L, -1) == LUA_TNUMBER else { bounds = []; break }
                    bounds.append(lua_tonumberx(L, -1, nil))
                }
            }
            guard bounds.count == 2 || bounds.count == 3, bounds.allSatisfy(\.isFinite), bounds[0] < bounds[1],
                  bounds.count == 2 || bounds[2] > 0 else {
                throw ScriptError("strategy: 'ranges' of \(key) must be {min, max} or {min, max, step} with min < max and step > 0")
            }
            guard value >= bounds[0], value <= bounds[1] else {
                throw ScriptError("strategy: 'ranges' of \(key): its default \(p.value) is outside the range \(ParamValue.number(bounds[0]))…\(ParamValue.number(bounds[1]))")
            }
            out[key] = ParamRange(min: bounds[0], max: bounds[1], step: bounds.count == 3 ? bounds[2] : nil)
        }
        return out
    }

    static func readParams(_ L: OpaquePointer, path: String) throws -> [(name: String, value: ParamValue)] {
        rawField(L, -1, "params")
        defer { swl_pop(L, 1) }
        if lua_type(L, -1) == LUA_TNIL { return [] }
        // strategy{} checks this, but a file may return a plain table; lua_next on anything
        // but a table reads garbage (found by fuzzing: a segfault).
        guard lua_type(L, -1) == LUA_TTABLE else {
            throw ScriptError("\(path): 'params' must be a table of defaults, got \(typeName(L, -1))")
        }
        var out: [(name: String, value: ParamValue)] = []
        lua_pushnil(L)
        while lua_next(L, -2) != 0 {
            defer { swl_pop(L, 1) }
            guard lua_type(L, -2) == LUA_TSTRING else { throw ScriptError("\(path): params keys must be names") }
            let key = String(cString: swl_tostring(L, -2)!)
            switch lua_type(L, -1) {
            case LUA_TNUMBER: out.append((key, .number(lua_tonumberx(L, -1, nil))))
            case LUA_TBOOLEAN: out.append((key, .bool(lua_toboolean(L, -1) != 0)))
            case LUA_TSTRING: out.append((key, .string(String(cString: swl_tostring(L, -1)!))))
            default:
                throw ScriptError("\(path): parameter '\(key)' must default to a number, string or boolean")
            }
        }
        return out.sorted { $0.name < $1.name }
    }

    private static func readSignals(_ L: OpaquePointer, graph: Graph, path: String) throws -> [String: NodeID] {
        guard lua_type(L, -1) == LUA_TTABLE else {
            throw ScriptError("\(path): signals(bars, p) must return a table such as { entries = ..., exits = ... }")
        }
        var outputs: [String: NodeID] = [:]
        lua_pushnil(L)
        while lua_next(L, -2) != 0 {
            defer { swl_pop(L, 1) }
            let key = lua_type(L, -2) == LUA_TSTRING ? String(cString: swl_tostring(L, -2)!) : "?"
            guard let signal = Signal(rawValue: key) else {
                let s = closestMatches(to: key, in: Signal.names)
                throw ScriptError("\(path): signals returned an unknown key '\(key)'" +
                    (s.isEmpty ? "; expected \(Signal.names.joined(separator: ", "))" : "; did you mean \(s.map { "'\($0)'" }.joined(separator: ", "))?"))
            }
            guard let id = seriesAt(L, -1) else {
                throw ScriptError("\(path): signals: '\(key)' must be a bool Series, got \(typeName(L, -1))")
            }
            guard graph[id].type == .bool || !signal.isBool else {
                throw ScriptError("\(path): signals: '\(key)' must be a bool series, got a \(graph[id].type.rawValue) " +
                    "series (compare to make one, e.g. close:gt(sma))")
            }
            // Signals act on the base bars: a coarser one is aligned (last complete period).
            outputs[key] = graph.aligned(id)
        }
        guard Signal.allCases.contains(where: { $0.opensPositions && outputs[$0.name] != nil }) else {
            let others = Signal.allCases.filter { $0.opensPositions && $0 != .entries }.map(\.name)
            throw ScriptError("\(path): signals returned no 'entries' (nor \(others.joined(separator: ", "))): " +
                "return { entries = ..., exits = ... }")
        }
        return outputs
    }

    /// Names `on_bar` sees on ctx already; an indicator may not take one of them.
    public static var reservedContextNames: [String] { ContextVocabulary.names }

    private static func readIndicators(_ L: OpaquePointer, graph: Graph, path: String) throws -> [(name: String, node: NodeID)] {
        guard lua_type(L, -1) == LUA_TTABLE else {
            throw ScriptError("\(path): indicators(bars, p) must return a table of named series, e.g. { hi = ta.highest(bars.high, 20) }")
        }
        var out: [(name: String, node: NodeID)] = []
        lua_pushnil(L)
        while lua_next(L, -2) != 0 {
            defer { swl_pop(L, 1) }
            guard lua_type(L, -2) == LUA_TSTRING else { throw ScriptError("\(path): indicators: keys must be names") }
            let key = String(cString: swl_tostring(L, -2)!)
            guard key.range(of: "^[A-Za-z_][A-Za-z0-9_]*$", options: .regularExpression) != nil else {
                throw ScriptError("\(path): indicators: '\(key)' is not a valid name")
            }
            guard !reservedContextNames.contains(key) else {
                throw ScriptError("\(path): indicators: '\(key)' is already a ctx field; choose another name")
            }
            guard let id = seriesAt(L, -1) else {
                throw ScriptError("\(path): indicators: '\(key)' must be a Series, got \(typeName(L, -1))")
            }
            if graph[id].type == .scalar {
                throw ScriptError("\(path): indicators: '\(key)' is a constant, not a series")
            }
            out.append((key, graph.aligned(id)))   // ctx reads each bar's aligned value
        }
        return out.sorted { $0.name < $1.name }
    }

}

func pushStringList(_ L: OpaquePointer, _ items: [String]) {
    lua_createtable(L, Int32(items.count), 0)
    for (i, s) in items.enumerated() {
        lua_pushstring(L, s)
        lua_rawseti(L, -2, lua_Integer(i + 1))
    }
}

