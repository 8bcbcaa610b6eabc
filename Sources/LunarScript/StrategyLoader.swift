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
    ///   - libraryRoots: where `require` looks after… see `roots(for:stdlib:)`.
    public static func load(path: String, fields: [String], overrides: [String: String] = [:],
                            stdlib: String, limits: ScriptLimits = ScriptLimits()) throws -> StrategyDefinition {
        let strategyDir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let vm = try LuaVM(limits: limits, roots: [stdlib, strategyDir])
        let graph = Graph()
        let ctx = DSLContext(graph: graph, fields: fields)
        return try withExtendedLifetime(ctx) {
            vm.installDSL(ctx)
            try vm.installPrelude(ctx)
            let L = vm.L
            try vm.runFile(path, displayName: path, nresults: 1)
            // stack: strategy table
            guard lua_type(L, -1) == LUA_TTABLE else {
                throw ScriptError("\(path): the file must return a strategy: end it with `return strategy { ... }`")
            }
            let name = stringField(L, "name") ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            let description = stringField(L, "description") ?? ""
            let settings = readSettings(L)
            var params = try readParams(L, path: path)
            for (key, text) in overrides {
                guard let i = params.firstIndex(where: { $0.name == key }) else {
                    let s = closestMatches(to: key, in: params.map(\.name))
                    throw ScriptError("unknown parameter '\(key)' for \(path)" +
                        (s.isEmpty ? (params.isEmpty ? " (it declares no params)" : "; it declares \(params.map(\.name).joined(separator: ", "))")
                                   : "; did you mean \(s.map { "'\($0)'" }.joined(separator: ", "))?"))
                }
                params[i].value = try params[i].value.parsing(text, name: key)
            }
            lua_getfield(L, -1, "signals")
            guard lua_type(L, -1) == LUA_TFUNCTION else {
                throw ScriptError("\(path): the strategy has no signals(bars, p) function")
            }
            // stack: strategy, signals
            lua_getglobal(L, "_LUNAR"); lua_getfield(L, -1, "make_bars"); swl_remove(L, -2)
            pushStringList(L, fields)
            try vm.call(nargs: 1, nresults: 1)
            // stack: strategy, signals, bars
            lua_getglobal(L, "_LUNAR"); lua_getfield(L, -1, "make_params"); swl_remove(L, -2)
            swl_newtable(L)
            for p in params { pushParam(L, p.value); lua_setfield(L, -2, p.name) }
            pushStringList(L, params.map(\.name))
            try vm.call(nargs: 2, nresults: 1)
            // stack: strategy, signals, bars, p
            try vm.call(nargs: 2, nresults: 1)
            // stack: strategy, result
            let outputs = try readSignals(L, graph: graph, path: path)
            swl_pop(L, 2)
            var def = StrategyDefinition(name: name, description: description, path: path, params: params,
                                         graph: graph, outputs: outputs, files: vm.modules.loadedFiles)
            def.settings = settings
            return def
        }
    }

    private static func stringField(_ L: OpaquePointer, _ key: String) -> String? {
        lua_getfield(L, -1, key)
        defer { swl_pop(L, 1) }
        return lua_type(L, -1) == LUA_TSTRING ? String(cString: swl_tostring(L, -1)!) : nil
    }

    /// The simulation fields of the strategy table as text (types were checked by the prelude).
    private static func readSettings(_ L: OpaquePointer) -> [String: String] {
        var out: [String: String] = [:]
        for key in simulationFieldNames {
            lua_getfield(L, -1, key)
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

    private static func readParams(_ L: OpaquePointer, path: String) throws -> [(name: String, value: ParamValue)] {
        lua_getfield(L, -1, "params")
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

    private static func pushParam(_ L: OpaquePointer, _ v: ParamValue) {
        switch v {
        case .number(let x):
            if x == x.rounded(), abs(x) < 1e15 { lua_pushinteger(L, lua_Integer(x)) } else { lua_pushnumber(L, x) }
        case .string(let s): lua_pushstring(L, s)
        case .bool(let b): lua_pushboolean(L, b ? 1 : 0)
        }
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
local strategy_fields = { "name", "description", "params", "signals",
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
  if type(def.signals) ~= "function" then error("strategy: 'signals' must be a function(bars, p)", 2) end
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

function L.make_params(values, names)
  return setmetatable(values, { __index = function(_, k)
    error(("unknown parameter '%s'%s"):format(tostring(k), L.hint(tostring(k), names)), 2)
  end })
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
        let n = luaL_len(L, 2)
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
