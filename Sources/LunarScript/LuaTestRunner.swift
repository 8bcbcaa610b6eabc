import CLua
import Foundation
import LunarGraph

// MARK: - what the runner needs from the engine

/// A small panel written inline in a test: `fields[name][symbol][bar]`.
public struct InlinePanel: Sendable {
    public let symbols: [String]
    public let fields: [String: [[Double]]]
    public var barCount: Int { fields["close"]?.first?.count ?? 0 }
}

/// What `run_strategy` hands back to Lua: trades and portfolio metrics.
public struct StrategyRunRecord: Sendable {
    public struct TradeRecord: Sendable {
        public var symbol: String
        /// Name → value: entry_bar, exit_bar (1-based, as Lua indexes), entry_price, exit_price, size, pnl, return.
        public var values: [(String, Double)]
        public var isOpen: Bool
        public init(symbol: String, values: [(String, Double)], isOpen: Bool) {
            self.symbol = symbol; self.values = values; self.isOpen = isOpen
        }
    }
    public var trades: [TradeRecord]
    public var metrics: [(String, Double)]
    public init(trades: [TradeRecord], metrics: [(String, Double)]) { self.trades = trades; self.metrics = metrics }
}

/// Evaluation and backtesting for `lunar test`. The script layer cannot see the engine or the
/// simulator (they sit beside it), so the `Lunar` target supplies them through this protocol.
public protocol ScriptTestHost: AnyObject {
    /// The values of `node` for each symbol of `panel`.
    func evaluate(_ graph: Graph, _ node: NodeID, on panel: InlinePanel) throws -> [[Double]]
    /// Backtests the strategy file at `path` over `panel`.
    func runStrategy(path: String, on panel: InlinePanel, params: [String: String], capital: Double?, fees: Double?,
                     libraries: LibrarySettings) throws -> StrategyRunRecord
}

// MARK: - results

public struct LuaTestCase: Sendable {
    public let name: String
    /// nil when the test passed; else the failure, starting with `file:line:`.
    public let failure: String?
    public let seconds: Double
    public var passed: Bool { failure == nil }
}

public struct LuaTestFileResult: Sendable {
    public let file: String
    public let cases: [LuaTestCase]
    /// The file did not load (syntax error, failed require…): no test ran.
    public let loadError: String?
    public var failed: Int { cases.filter { !$0.passed }.count + (loadError == nil ? 0 : 1) }
}

// MARK: - the runner

/// Runs `*_test.lua` files, each in a fresh sandboxed state, with the assertion API of
/// docs/libraries.md (`test`, `expect`, `panel`, `expect_series`, `run_strategy`).
public enum LuaTestRunner {
    /// `*_test.lua` files under `paths` (files are taken as they are), sorted, without duplicates.
    public static func discover(_ paths: [String]) throws -> [String] {
        var out: [String] = []
        for path in paths {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                throw ScriptError("no such file or folder: \(path)")
            }
            if !isDir.boolValue { out.append(path); continue }
            let base = path.hasSuffix("/") ? path : path + "/"      // keep paths as the user wrote them
            let found = LibraryCatalog.relativeLuaFiles(under: path).filter { $0.hasSuffix("_test.lua") }
            out += found.sorted().map { base + $0 }
        }
        var seen: Set<String> = []
        return out.filter { seen.insert(URL(fileURLWithPath: $0).absoluteURL.standardized.path).inserted }
    }

    /// Runs one test file. Roots: the file's folder, the library it belongs to (if any), then `settings`.
    public static func run(file: String, settings: LibrarySettings, host: ScriptTestHost,
                           limits: ScriptLimits = ScriptLimits()) -> LuaTestFileResult {
        let dir = URL(fileURLWithPath: file).deletingLastPathComponent().path
        var leading: [(String, LibraryRoot.Origin)] = [(dir, .test)]
        var settings = settings
        if let lib = LibraryPath.enclosingLibrary(of: dir) {
            leading.append((lib, .library))
            // Strategies that run_strategy loads need the library under test too.
            settings.flags.insert(lib, at: 0)
        }
        let ctx: TestContext
        let vm: LuaVM
        do {
            let roots = try LibraryPath(leading: leading, settings: settings)
            vm = try LuaVM(limits: limits, libraries: roots)
            ctx = TestContext(graph: Graph(), host: host, settings: settings, roots: roots, testDir: dir)
        } catch {
            return LuaTestFileResult(file: file, cases: [], loadError: "\(error)")
        }
        return withExtendedLifetime(ctx) {
            let L = vm.L
            do {
                vm.installDSL(ctx.dsl)
                try vm.installPrelude(ctx.dsl)
                let c = Unmanaged.passUnretained(ctx).toOpaque()
                lua_getglobal(L, "_LUNAR")
                swl_pushswift(L, testEvaluate, c, 0); lua_setfield(L, -2, "eval")
                swl_pushswift(L, testRunStrategy, c, 0); lua_setfield(L, -2, "run_strategy")
                swl_pop(L, 1)
                try vm.load(Data(testPrelude.utf8), chunkName: "=lunar-test")
                try vm.call(nargs: 0, nresults: 0)
                try vm.runFile(file, displayName: file, nresults: 0)
            } catch {
                return LuaTestFileResult(file: file, cases: [], loadError: "\(error)")
            }
            // stack: (empty). _LUNAR.tests holds { name, fn } in declaration order.
            lua_getglobal(L, "_LUNAR"); lua_getfield(L, -1, "tests"); swl_remove(L, -2)
            let count = Int(luaL_len(L, -1))
            var cases: [LuaTestCase] = []
            for i in 0 ..< count {
                lua_rawgeti(L, -1, lua_Integer(i + 1))
                lua_getfield(L, -1, "name")
                let name = swl_tostring(L, -1).map { String(cString: $0) } ?? "test \(i + 1)"
                swl_pop(L, 1)
                lua_getfield(L, -1, "fn")
                swl_remove(L, -2)
                // stack: tests, fn
                var clock = DispatchTime.now().uptimeNanoseconds
                var failure: String? = nil
                do { try vm.call(nargs: 0, nresults: 0) } catch let e as ScriptError { failure = e.message } catch { failure = "\(error)" }
                clock = DispatchTime.now().uptimeNanoseconds - clock
                cases.append(LuaTestCase(name: name, failure: failure, seconds: Double(clock) / 1e9))
            }
            swl_pop(L, 1)
            return LuaTestFileResult(file: file, cases: cases, loadError: nil)
        }
    }
}

/// What the test natives share; reached through a light userdata upvalue, kept alive by `run`.
final class TestContext {
    let dsl: DSLContext
    let host: ScriptTestHost
    let settings: LibrarySettings
    let roots: LibraryPath
    let testDir: String
    init(graph: Graph, host: ScriptTestHost, settings: LibrarySettings, roots: LibraryPath, testDir: String) {
        dsl = DSLContext(graph: graph, fields: ["open", "high", "low", "close", "volume"])
        self.host = host; self.settings = settings; self.roots = roots; self.testDir = testDir
    }
}

// MARK: - natives

/// Reads the panel data table built by `panel{}`: `{ symbols = {...}, fields = { name = {{...}, ...} } }`.
private func readInlinePanel(_ L: OpaquePointer?, _ index: Int32) -> InlinePanel? {
    guard lua_type(L, index) == LUA_TTABLE else { return nil }
    func list(_ i: Int32) -> [Double] {
        let n = luaL_len(L, i)
        guard n > 0 else { return [] }
        return (1 ... n).map { k in
            lua_rawgeti(L, i, k)
            defer { swl_pop(L, 1) }
            return lua_type(L, -1) == LUA_TNUMBER ? lua_tonumberx(L, -1, nil) : .nan
        }
    }
    var symbols: [String] = []
    lua_getfield(L, index, "symbols")
    let n = lua_type(L, -1) == LUA_TTABLE ? luaL_len(L, -1) : 0
    if n > 0 {
        for k in 1 ... n {
            lua_rawgeti(L, -1, k)
            symbols.append(swl_tostring(L, -1).map { String(cString: $0) } ?? "S\(k - 1)")
            swl_pop(L, 1)
        }
    }
    swl_pop(L, 1)
    var fields: [String: [[Double]]] = [:]
    lua_getfield(L, index, "fields")
    guard lua_type(L, -1) == LUA_TTABLE else { swl_pop(L, 1); return nil }
    lua_pushnil(L)
    while lua_next(L, -2) != 0 {
        // stack: fields, name, per-symbol lists
        if lua_type(L, -2) == LUA_TSTRING, lua_type(L, -1) == LUA_TTABLE {
            let name = String(cString: swl_tostring(L, -2)!)
            fields[name] = (0 ..< symbols.count).map { s in
                lua_rawgeti(L, -1, lua_Integer(s + 1))
                defer { swl_pop(L, 1) }
                return lua_type(L, -1) == LUA_TTABLE ? list(lua_gettop(L)) : []
            }
        }
        swl_pop(L, 1)
    }
    swl_pop(L, 1)
    return InlinePanel(symbols: symbols, fields: fields)
}

private func pushNumbers(_ L: OpaquePointer?, _ values: [Double]) {
    lua_createtable(L, Int32(values.count), 0)
    for (i, v) in values.enumerated() { lua_pushnumber(L, v); lua_rawseti(L, -2, lua_Integer(i + 1)) }
}

/// `_LUNAR.eval(series, data)` → one list of values per symbol.
private func testEvaluate(_ L: OpaquePointer?) -> Int32 {
    let ctx = luaContext(L, as: TestContext.self)
    guard let id = seriesAt(L, 1) else { return luaFail(L, "expected a Series, got \(typeName(L, 1))") }
    guard let panel = readInlinePanel(L, 2) else { return luaFail(L, "expected a panel made by panel{...}") }
    do {
        let values = try ctx.host.evaluate(ctx.dsl.graph, id, on: panel)
        lua_createtable(L, Int32(values.count), 0)
        for (s, v) in values.enumerated() { pushNumbers(L, v); lua_rawseti(L, -2, lua_Integer(s + 1)) }
        return 1
    } catch {
        return luaFail(L, "\(error)")
    }
}

/// `_LUNAR.run_strategy(path, data, params, options)` → `{ trades = {...}, metrics = {...} }`.
private func testRunStrategy(_ L: OpaquePointer?) -> Int32 {
    let ctx = luaContext(L, as: TestContext.self)
    guard lua_type(L, 1) == LUA_TSTRING, let raw = swl_tostring(L, 1) else {
        return luaFail(L, "run_strategy(path, panel, params): path must be a string")
    }
    let given = String(cString: raw)
    guard let panel = readInlinePanel(L, 2) else { return luaFail(L, "run_strategy: expected a panel made by panel{...}") }
    // The strategy file is read only from the test's folder or a library root, like modules.
    let path = (given.hasPrefix("/") ? URL(fileURLWithPath: given)
        : URL(fileURLWithPath: ctx.testDir).appendingPathComponent(given)).absoluteURL.standardized.path
    let real = LibraryPath.realPath(path)
    guard ctx.roots.roots.contains(where: { real.hasPrefix(LibraryPath.realPath($0.path) + "/") }) else {
        return luaFail(L, "run_strategy: \(given) is outside the test's folder and the library roots; it is not read")
    }
    guard FileManager.default.fileExists(atPath: path) else { return luaFail(L, "run_strategy: no strategy file at \(path)") }
    var params: [String: String] = [:]
    if lua_type(L, 3) == LUA_TTABLE {
        lua_pushnil(L)
        while lua_next(L, 3) != 0 {
            if lua_type(L, -2) == LUA_TSTRING, let v = luaL_tolstring(L, -1, nil) {
                params[String(cString: swl_tostring(L, -3)!)] = String(cString: v)
                swl_pop(L, 1)                              // the string luaL_tolstring pushed
            }
            swl_pop(L, 1)
        }
    }
    func option(_ key: String) -> Double? {
        guard lua_type(L, 4) == LUA_TTABLE else { return nil }
        lua_getfield(L, 4, key)
        defer { swl_pop(L, 1) }
        return lua_type(L, -1) == LUA_TNUMBER ? lua_tonumberx(L, -1, nil) : nil
    }
    do {
        let record = try ctx.host.runStrategy(path: path, on: panel, params: params, capital: option("capital"),
                                              fees: option("fees"), libraries: ctx.settings)
        lua_createtable(L, 0, 2)
        lua_createtable(L, Int32(record.trades.count), 0)
        for (i, t) in record.trades.enumerated() {
            lua_createtable(L, 0, Int32(t.values.count + 2))
            lua_pushstring(L, t.symbol); lua_setfield(L, -2, "symbol")
            lua_pushboolean(L, t.isOpen ? 1 : 0); lua_setfield(L, -2, "open")
            for (k, v) in t.values { pushNumberOrInteger(L, v); lua_setfield(L, -2, k) }
            lua_rawseti(L, -2, lua_Integer(i + 1))
        }
        lua_setfield(L, -2, "trades")
        lua_createtable(L, 0, Int32(record.metrics.count))
        for (k, v) in record.metrics { pushNumberOrInteger(L, v); lua_setfield(L, -2, k) }
        lua_setfield(L, -2, "metrics")
        return 1
    } catch {
        return luaFail(L, "run_strategy(\(given)): \(error)")
    }
}

/// Whole numbers as Lua integers, so tests can write `to_equal(3)` for counts and bars.
private func pushNumberOrInteger(_ L: OpaquePointer?, _ v: Double) {
    if v == v.rounded(), abs(v) < 1e15 { lua_pushinteger(L, lua_Integer(v)) } else { lua_pushnumber(L, v) }
}

// MARK: - the assertion API, in Lua

private let testPrelude = #"""
local L = _LUNAR
L.tests = {}
nan = 0 / 0

local function is_nan(x) return type(x) == "number" and x ~= x end

local function show(v, depth)
  depth = depth or 0
  if type(v) == "string" then return string.format("%q", v) end
  if is_nan(v) then return "nan" end
  if type(v) ~= "table" or depth > 1 then return tostring(v) end
  local parts, n = {}, #v
  for i = 1, math.min(n, 20) do parts[#parts + 1] = show(v[i], depth + 1) end
  if n > 20 then parts[#parts + 1] = "... (" .. n .. " items)" end
  for k, x in pairs(v) do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then
      parts[#parts + 1] = tostring(k) .. " = " .. show(x, depth + 1)
    end
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

-- Tables compare by content; NaN equals NaN, so warm-up bars can be written as nan.
local function deep_equal(a, b)
  if is_nan(a) and is_nan(b) then return true end
  if type(a) ~= "table" or type(b) ~= "table" then return a == b end
  for k, v in pairs(a) do if not deep_equal(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

function test(name, fn)
  if type(name) ~= "string" then error("test(name, fn): name must be a string", 2) end
  if type(fn) ~= "function" then error("test(name, fn): fn must be a function", 2) end
  L.tests[#L.tests + 1] = { name = name, fn = fn }
end

function expect(actual)
  local e = {}
  local function fail(msg) error(msg, 3) end
  function e.to_equal(expected)
    if not deep_equal(actual, expected) then fail(("expected %s to equal %s"):format(show(actual), show(expected))) end
  end
  function e.not_to_equal(other)
    if deep_equal(actual, other) then fail(("expected a value other than %s"):format(show(other))) end
  end
  function e.to_be_near(expected, tol)
    tol = tol or 1e-9
    if type(actual) ~= "number" or math.abs(actual - expected) > tol then
      fail(("expected %s to be within %g of %s"):format(show(actual), tol, show(expected)))
    end
  end
  function e.to_be_true() if actual ~= true then fail(("expected true, got %s"):format(show(actual))) end end
  function e.to_be_false() if actual ~= false then fail(("expected false, got %s"):format(show(actual))) end end
  function e.to_be_nil() if actual ~= nil then fail(("expected nil, got %s"):format(show(actual))) end end
  function e.to_contain(part)
    if type(actual) == "string" then
      if not actual:find(part, 1, true) then fail(("expected %s to contain %s"):format(show(actual), show(part))) end
    elseif type(actual) == "table" then
      for _, v in pairs(actual) do if deep_equal(v, part) then return end end
      fail(("expected %s to contain %s"):format(show(actual), show(part)))
    else
      fail(("to_contain needs a string or a table, got %s"):format(type(actual)))
    end
  end
  -- expect(function() ... end).to_fail("part of the message")
  function e.to_fail(part)
    if type(actual) ~= "function" then fail("to_fail needs a function") end
    local ok, err = pcall(actual)
    if ok then fail("expected an error, but the function returned") end
    if part and not tostring(err):find(part, 1, true) then
      fail(("expected an error containing %s, got %s"):format(show(part), show(tostring(err))))
    end
  end
  return e
end

-- Calls a native and re-raises its error at the test's line rather than this prelude's.
local function native(fn, ...)
  local ok, result = pcall(fn, ...)
  if not ok then error((tostring(result):gsub("^lunar%-test:%d+: ", "")), 3) end
  return result
end

local panel_meta = {}
local standard = { open = true, high = true, low = true, close = true, volume = true }

-- panel { close = {1, 2, 3} } for one symbol, or
-- panel { symbols = {"A", "B"}, close = {{...}, {...}} } for several. open, high and low default
-- to close and volume to 1000; any other field (a = {...}) becomes a series p.a. true/false
-- read as 1/0, nan as a missing value.
function panel(spec)
  if type(spec) ~= "table" then error("panel{...} expects a table of fields", 2) end
  if type(spec.close) ~= "table" then error("panel{...}: 'close' is required, e.g. panel { close = {1, 2, 3} }", 2) end
  local symbols = spec.symbols
  local multi = symbols ~= nil
  if not multi then symbols = { "S0" } end
  local first = multi and spec.close[1] or spec.close
  if type(first) ~= "table" then error("panel{...}: with symbols = {...}, each field is a list of lists, one per symbol", 2) end
  local fields, bars = {}, #first
  local function number(v, where)
    if v == true then return 1 elseif v == false then return 0 end
    if type(v) ~= "number" then error(("panel{...}: %s must be a number, got %s"):format(where, type(v)), 4) end
    return v
  end
  for name, values in pairs(spec) do
    if name ~= "symbols" then
      if type(name) ~= "string" or type(values) ~= "table" then error("panel{...}: fields are name = {values}", 2) end
      local per = multi and values or { values }
      if #per ~= #symbols then
        error(("panel{...}: '%s' has %d series for %d symbols"):format(name, #per, #symbols), 2)
      end
      fields[name] = {}
      for s, list in ipairs(per) do
        if type(list) ~= "table" then error(("panel{...}: '%s' for symbol %d must be a list"):format(name, s), 2) end
        if #list ~= bars then
          error(("panel{...}: '%s' has %d bars, 'close' has %d"):format(name, #list, bars), 2)
        end
        local out = {}
        for i = 1, bars do out[i] = number(list[i], ("%s[%d]"):format(name, i)) end
        fields[name][s] = out
      end
    end
  end
  for name in pairs({ open = 1, high = 1, low = 1 }) do fields[name] = fields[name] or fields.close end
  if not fields.volume then
    fields.volume = {}
    for s = 1, #symbols do
      local v = {}
      for i = 1, bars do v[i] = 1000 end
      fields.volume[s] = v
    end
  end
  local p = { symbols = symbols, bars = bars, _data = { symbols = symbols, fields = fields } }
  return setmetatable(p, panel_meta)
end

panel_meta.__index = function(p, k)
  local data = rawget(p, "_data")
  if data.fields[k] then return L.field(k) end
  local names = {}
  for n in pairs(data.fields) do names[#names + 1] = n end
  error(("panel has no field '%s'%s"):format(tostring(k), L.hint(tostring(k), names)), 2)
end

local function check_panel(p, who)
  if getmetatable(p) ~= panel_meta then error(who .. ": the second argument must be a panel made by panel{...}", 3) end
end

-- The values of a series over a panel: a list for one symbol, a list of lists for several.
function series_values(s, p)
  check_panel(p, "series_values")
  local values = native(L.eval, s, p._data)
  return #values == 1 and values[1] or values
end

function expect_series(s, p)
  check_panel(p, "expect_series")
  local values = native(L.eval, s, p._data)
  local e = {}
  function e.near(expected, tol)
    tol = tol or 1e-9
    if type(expected) ~= "table" then error("near(values, tol): values must be a list", 2) end
    local per = (#p.symbols == 1 and type(expected[1]) ~= "table") and { expected } or expected
    for sym = 1, #p.symbols do
      local got, want = values[sym], per[sym]
      if type(want) ~= "table" then error(("near: no expected values for symbol %s"):format(p.symbols[sym]), 2) end
      if #want ~= #got then
        error(("series has %d bars, expected %d values"):format(#got, #want), 2)
      end
      for i = 1, #got do
        local w = want[i]
        if w == true then w = 1 elseif w == false then w = 0 end
        local g = got[i]
        local same = (is_nan(g) and is_nan(w)) or (not is_nan(g) and not is_nan(w) and math.abs(g - w) <= tol)
        if not same then
          error(("series differs at bar %d%s: got %s, expected %s (tolerance %g)\n  got:      %s\n  expected: %s")
            :format(i, #p.symbols > 1 and (" of " .. p.symbols[sym]) or "", show(g), show(w), tol, show(got), show(want)), 2)
        end
      end
    end
  end
  function e.to_equal(expected) return e.near(expected, 0) end
  return e
end

-- run_strategy("path/to/strategy.lua", panel, {param = value}, {capital = ..., fees = ...})
-- Paths are relative to the test file. Returns { trades = {...}, metrics = {...} }.
function run_strategy(path, p, params, options)
  check_panel(p, "run_strategy")
  if params ~= nil and type(params) ~= "table" then error("run_strategy: params must be a table", 2) end
  -- Not a tail call: native's error level counts this frame.
  local result = native(L.run_strategy, path, p._data, params or {}, options or {})
  return result
end
"""#
