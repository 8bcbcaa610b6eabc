import CLua
import Foundation
import LunarGraph
import LunarKernels

/// A strategy parameter's value: Lua numbers, strings and booleans.
public enum ParamValue: Equatable, Sendable, CustomStringConvertible {
    case number(Double)
    case string(String)
    case bool(Bool)

    public var description: String {
        switch self {
        case .number(let v): return v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
        case .string(let s): return s
        case .bool(let b): return String(b)
        }
    }

    /// Reads `text` as a value of the same kind as `self` (the default).
    func parsing(_ text: String, name: String) throws -> ParamValue {
        switch self {
        case .number:
            guard let v = Double(text.trimmingCharacters(in: .whitespaces)) else {
                throw ScriptError("parameter '\(name)' takes a number, got '\(text)'")
            }
            return .number(v)
        case .bool:
            switch text.lowercased() {
            case "true", "1", "yes": return .bool(true)
            case "false", "0", "no": return .bool(false)
            default: throw ScriptError("parameter '\(name)' takes true or false, got '\(text)'")
            }
        case .string: return .string(text)
        }
    }
}

/// A strategy file turned into a graph: what the engine needs to run it.
public struct StrategyDefinition: @unchecked Sendable {
    public let name: String
    public let description: String
    public let path: String
    /// Declared parameters in name order, with the values used (defaults unless overridden).
    public let params: [(name: String, value: ParamValue)]
    public let graph: Graph
    /// The named outputs of `signals`: `entries`, and `exits` when given.
    public let outputs: [String: NodeID]
    /// Every Lua file loaded: the strategy first, then modules in load order.
    public let files: [String]
    /// Parameters that `signals` or `indicators` read.
    public let usedParams: Set<String>
    /// Named series from `indicators(bars, p)`, in name order: what `on_bar` reads as ctx fields.
    public let indicators: [(name: String, node: NodeID)]
    /// True when the strategy has an `on_bar(ctx, p)`: it runs on the per-bar path.
    public let perBar: Bool
    /// Simulation settings from the strategy table (`fill`, `stop_loss`, `rebalance`, …) as text,
    /// in the form `SimulationOptions.set(_:_:)` reads.
    public var settings: [String: String] = [:]
}

/// The signal names `signals` may return.
public let signalNames = ["entries", "exits", "short_entries", "short_exits", "position", "weight", "score",
                          "stop_loss", "take_profit", "trailing_stop"]
/// The ones that must be bool series; the others are float series (a bool one reads as 0/1).
public let boolSignalNames: Set<String> = ["entries", "exits", "short_entries", "short_exits"]
/// Strategy-table fields that configure the simulator.
public let simulationFieldNames = ["fill", "fees", "fixed_fee", "slippage", "sizing", "integer", "reverse",
                                   "stop_loss", "take_profit", "trailing_stop", "rebalance", "portfolio", "top"]

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
    public let perBar: Bool
    /// Simulation fields of the strategy table (`fill`, `stop_loss`, …) as text.
    public let settings: [String: String]
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
        try vm.runFile(path, displayName: path, nresults: 1)
        // stack: strategy table
        guard lua_type(L, -1) == LUA_TTABLE else {
            throw ScriptError("\(path): the file must return a strategy: end it with `return strategy { ... }`")
        }
        name = StrategySession.stringField(L, "name") ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        description = StrategySession.stringField(L, "description") ?? ""
        declared = try StrategySession.readParams(L, path: path)
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
        return def
    }

    static func stringField(_ L: OpaquePointer, _ key: String) -> String? {
        rawField(L, -1, key)
        defer { swl_pop(L, 1) }
        return lua_type(L, -1) == LUA_TSTRING ? String(cString: swl_tostring(L, -1)!) : nil
    }

    /// The simulation fields of the strategy table as text (types were checked by the prelude).
    static func readSettings(_ L: OpaquePointer) -> [String: String] {
        var out: [String: String] = [:]
        for key in simulationFieldNames {
            rawField(L, -1, key)
            switch lua_type(L, -1) {
            case LUA_TSTRING: out[key] = String(cString: swl_tostring(L, -1)!)
            case LUA_TNUMBER: out[key] = ParamValue.number(lua_tonumberx(L, -1, nil)).description
            case LUA_TBOOLEAN: out[key] = lua_toboolean(L, -1) != 0 ? "true" : "false"
            default: break
            }
            swl_pop(L, 1)
        }
        return out
    }

    static func readParams(_ L: OpaquePointer, path: String) throws -> [(name: String, value: ParamValue)] {
        rawField(L, -1, "params")
        defer { swl_pop(L, 1) }
        if lua_type(L, -1) == LUA_TNIL { return [] }
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
            guard signalNames.contains(key) else {
                let s = closestMatches(to: key, in: signalNames)
                throw ScriptError("\(path): signals returned an unknown key '\(key)'" +
                    (s.isEmpty ? "; expected \(signalNames.joined(separator: ", "))" : "; did you mean \(s.map { "'\($0)'" }.joined(separator: ", "))?"))
            }
            guard let id = seriesAt(L, -1) else {
                throw ScriptError("\(path): signals: '\(key)' must be a bool Series, got \(typeName(L, -1))")
            }
            guard graph[id].type == .bool || !boolSignalNames.contains(key) else {
                throw ScriptError("\(path): signals: '\(key)' must be a bool series, got a \(graph[id].type.rawValue) " +
                    "series (compare to make one, e.g. close:gt(sma))")
            }
            outputs[key] = id
        }
        guard ["entries", "short_entries", "position", "weight", "score"].contains(where: { outputs[$0] != nil }) else {
            throw ScriptError("\(path): signals returned no 'entries' (nor short_entries, position, weight or score): " +
                "return { entries = ..., exits = ... }")
        }
        return outputs
    }

    /// Names `on_bar` sees as ctx fields already; an indicator may not take one of them.
    public static let reservedContextNames = ["open", "high", "low", "close", "volume", "bar", "date", "symbol",
        "position", "entry_price", "equity", "cash", "state", "past", "buy", "sell", "short", "cover",
        "close_position", "stop_loss", "take_profit", "trailing_stop", "cancel"]

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
            out.append((key, id))
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

// MARK: - the Lua half of the DSL

extension LuaVM {
    /// `strategy{}`, `bars` and `p` tables with helpful errors, written in Lua; natives `field` and `hint`.
    func installPrelude(_ ctx: DSLContext) throws {
        let c = Unmanaged.passUnretained(ctx).toOpaque()
        lua_getglobal(L, "_LUNAR")
        swl_pushswift(L, fieldSeries, c, 0); lua_setfield(L, -2, "field")
        swl_pushswift(L, closestHint, c, 0); lua_setfield(L, -2, "hint")
        swl_pop(L, 1)
        try load(Data(dslPrelude.utf8), chunkName: "=lunar")
        try call(nargs: 0, nresults: 0)
    }
}

private let dslPrelude = """
local L = _LUNAR
local strategy_fields = { "name", "description", "params", "signals", "indicators", "on_bar", "init",
  "fill", "fees", "fixed_fee", "slippage", "sizing", "integer", "reverse",
  "stop_loss", "take_profit", "trailing_stop", "rebalance", "portfolio", "top" }
local sim_checks = {
  fill = function(v) return v == "close" or v == "next_open", '"close" or "next_open"' end,
  fees = function(v) return type(v) == "number" and v >= 0 and v < 1, "a fraction in [0, 1)" end,
  fixed_fee = function(v) return type(v) == "number" and v >= 0, "a number >= 0" end,
  slippage = function(v) return type(v) == "number" and v >= 0 and v < 1, "a fraction in [0, 1)" end,
  sizing = function(v) return type(v) == "string" or (type(v) == "number" and v > 0 and v <= 1),
    '"all", "fraction:F", "cash:X", "units:N" or a fraction in (0, 1]' end,
  integer = function(v) return type(v) == "boolean", "true or false" end,
  reverse = function(v) return type(v) == "boolean", "true or false" end,
  stop_loss = function(v) return type(v) == "number" and v > 0 and v < 1, "a fraction in (0, 1)" end,
  take_profit = function(v) return type(v) == "number" and v > 0, "a fraction > 0" end,
  trailing_stop = function(v) return type(v) == "number" and v > 0 and v < 1, "a fraction in (0, 1)" end,
  rebalance = function(v)
    return v == "every" or v == "weekly" or v == "monthly" or v == "change" or
      (math.type(v) == "integer" and v >= 1), '"every", "weekly", "monthly", "change" or a number of bars'
  end,
  portfolio = function(v) return v == "independent" or v == "shared", '"independent" or "shared"' end,
  top = function(v) return math.type(v) == "integer" and v >= 1, "a whole number >= 1" end,
}
local function keyset(list) local s = {} for _, k in ipairs(list) do s[k] = true end return s end
local known = keyset(strategy_fields)

function strategy(def)
  if type(def) ~= "table" then error("strategy{...} expects a table", 2) end
  for k, v in pairs(def) do
    if not known[k] then
      error(("strategy: unknown field '%s'%s"):format(tostring(k), L.hint(tostring(k), strategy_fields)), 2)
    end
  end
  if def.name ~= nil and type(def.name) ~= "string" then error("strategy: 'name' must be a string", 2) end
  if def.description ~= nil and type(def.description) ~= "string" then error("strategy: 'description' must be a string", 2) end
  if def.params ~= nil and type(def.params) ~= "table" then error("strategy: 'params' must be a table of defaults", 2) end
  for _, f in ipairs({ "signals", "indicators", "on_bar", "init" }) do
    if def[f] ~= nil and type(def[f]) ~= "function" then error(("strategy: '%s' must be a function"):format(f), 2) end
  end
  if def.signals == nil and def.on_bar == nil then
    error("strategy: define signals(bars, p) (vectorized) or on_bar(ctx, p) (per bar)", 2)
  end
  for k, check in pairs(sim_checks) do
    local v = def[k]
    if v ~= nil then
      local ok, want = check(v)
      if not ok then error(("strategy: '%s' must be %s, got %s"):format(k, want, tostring(v)), 2) end
    end
  end
  return def
end

function L.make_bars(fields)
  local bars = {}
  for _, f in ipairs(fields) do bars[f] = L.field(f) end
  return setmetatable(bars, { __index = function(_, k)
    error(("bars has no field '%s'%s"):format(tostring(k), L.hint(tostring(k), fields)), 2)
  end })
end

-- p is a read-only proxy, so that reads can be recorded (`lunar check` warns about unused params).
L.used_params = {}
function L.make_params(values, names)
  return setmetatable({}, {
    __index = function(_, k)
      local v = values[k]
      if v == nil then
        error(("unknown parameter '%s'%s"):format(tostring(k), L.hint(tostring(k), names)), 2)
      end
      L.used_params[k] = true
      return v
    end,
    __newindex = function(_, k) error(("parameters are read-only (assigning p.%s)"):format(tostring(k)), 2) end,
    __pairs = function() return next, values, nil end,
  })
end
"""

private func fieldSeries(_ L: OpaquePointer?) -> Int32 {
    let ctx = luaContext(L, as: DSLContext.self)
    guard let raw = swl_tostring(L, 1) else { return luaFail(L, "field name expected") }
    pushSeries(L, ctx.graph.field(String(cString: raw)))
    return 1
}

/// `hint(name, list)` → "; did you mean 'x'?" or "".
private func closestHint(_ L: OpaquePointer?) -> Int32 {
    let name = swl_tostring(L, 1).map { String(cString: $0) } ?? ""
    var candidates: [String] = []
    if lua_type(L, 2) == LUA_TTABLE {
        let n = lua_type(L, 2) == LUA_TTABLE ? lua_Integer(lua_rawlen(L, 2)) : 0
        if n > 0 {
            for i in 1 ... n {
                lua_rawgeti(L, 2, i)
                if let s = swl_tostring(L, -1) { candidates.append(String(cString: s)) }
                swl_pop(L, 1)
            }
        }
    }
    let s = closestMatches(to: name, in: candidates)
    lua_pushstring(L, s.isEmpty ? "" : "; did you mean \(s.map { "'\($0)'" }.joined(separator: ", "))?")
    return 1
}

/// Syntax checks without running anything.
public enum ScriptSyntax {
    /// The syntax error in a Lua file (with file:line), or nil when it compiles.
    public static func check(file path: String) -> ScriptError? {
        do {
            let vm = try LuaVM(roots: [])
            guard let data = FileManager.default.contents(atPath: path) else { return ScriptError("cannot read \(path)") }
            try vm.load(data, chunkName: "@" + path)
            return nil
        } catch let e as ScriptError { return e } catch { return ScriptError("\(error)") }
    }
}
