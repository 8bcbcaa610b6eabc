import CLua
import Foundation
import LunarGraph
import LunarManifest

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
                try installTestAPI(vm, ctx)
                try vm.runFile(file, displayName: file, nresults: 0)
            } catch {
                return LuaTestFileResult(file: file, cases: [], loadError: "\(error)")
            }
            // stack: (empty). _LUNAR.tests holds { name, fn } in declaration order.
            vm.pushLunarField("tests")
            let count = lua_type(L, -1) == LUA_TTABLE ? Int(lua_rawlen(L, -1)) : 0
            var cases: [LuaTestCase] = []
            for i in 0 ..< count {
                lua_rawgeti(L, -1, lua_Integer(i + 1))
                rawField(L, -1, "name")
                let name = swl_tostring(L, -1).map { String(cString: $0) } ?? "test \(i + 1)"
                swl_pop(L, 1)
                rawField(L, -1, "fn")
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

extension LuaTestRunner {
    /// The DSL, the prelude and the assertion API in a test state.
    static func installTestAPI(_ vm: LuaVM, _ ctx: TestContext) throws {
        let L = vm.L
        vm.installDSL(ctx.dsl)
        try vm.installPrelude(ctx.dsl)
        let c = Unmanaged.passUnretained(ctx).toOpaque()
        lua_getglobal(L, "_LUNAR")
        swl_pushswift(L, testEvaluate, c, 0); lua_setfield(L, -2, "eval")
        swl_pushswift(L, testRunStrategy, c, 0); lua_setfield(L, -2, "run_strategy")
        swl_pop(L, 1)
        try vm.load(Data(luaTestAPI.utf8), chunkName: "=lunar-test")
        try vm.call(nargs: 0, nresults: 0)
    }

    /// Requires each module of the library at `library` in a fresh sandboxed state, as a test
    /// file inside the library would: nil when it loads, else the error (`lunar lib check`).
    public static func loadModules(_ modules: [String], library: String, settings: LibrarySettings, host: ScriptTestHost,
                                   limits: ScriptLimits = ScriptLimits()) -> [(module: String, error: String?)] {
        var settings = settings
        settings.flags.insert(library, at: 0)
        return modules.map { module in
            do {
                let roots = try LibraryPath(leading: [(library, .library)], settings: settings)
                let vm = try LuaVM(limits: limits, libraries: roots)
                let ctx = TestContext(graph: Graph(), host: host, settings: settings, roots: roots, testDir: library)
                return try withExtendedLifetime(ctx) {
                    try installTestAPI(vm, ctx)
                    // Named as a file of the library, so its internal modules may be required.
                    let chunk = URL(fileURLWithPath: library).appendingPathComponent(LibraryManifest.fileName).path
                    try vm.load(Data("require \"\(module)\"".utf8), chunkName: "@" + chunk)
                    try vm.call(nargs: 0, nresults: 0)
                    return (module, nil)
                }
            } catch let e as ScriptError { return (module, e.message) } catch { return (module, "\(error)") }
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
        let n = lua_type(L, i) == LUA_TTABLE ? lua_Integer(lua_rawlen(L, i)) : 0
        guard n > 0 else { return [] }
        return (1 ... n).map { k in
            lua_rawgeti(L, i, k)
            defer { swl_pop(L, 1) }
            return lua_type(L, -1) == LUA_TNUMBER ? lua_tonumberx(L, -1, nil) : .nan
        }
    }
    var symbols: [String] = []
    rawField(L, index, "symbols")
    let n = lua_type(L, -1) == LUA_TTABLE ? lua_Integer(lua_rawlen(L, -1)) : 0
    if n > 0 {
        for k in 1 ... n {
            lua_rawgeti(L, -1, k)
            symbols.append(swl_tostring(L, -1).map { String(cString: $0) } ?? "S\(k - 1)")
            swl_pop(L, 1)
        }
    }
    swl_pop(L, 1)
    var fields: [String: [[Double]]] = [:]
    rawField(L, index, "fields")
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
            // Only plain values: a table's __tostring could raise through this Swift frame.
            if lua_type(L, -2) == LUA_TSTRING {
                let key = String(cString: swl_tostring(L, -2)!)
                switch lua_type(L, -1) {
                case LUA_TBOOLEAN: params[key] = lua_toboolean(L, -1) != 0 ? "true" : "false"
                case LUA_TNUMBER, LUA_TSTRING:
                    lua_pushvalue(L, -1)                   // tolstring converts numbers in place
                    params[key] = String(cString: swl_tostring(L, -1)!)
                    swl_pop(L, 1)
                default: break
                }
            }
            swl_pop(L, 1)
        }
    }
    func option(_ key: String) -> Double? {
        guard lua_type(L, 4) == LUA_TTABLE else { return nil }
        rawField(L, 4, key)
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
