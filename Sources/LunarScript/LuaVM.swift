import CLua
import Foundation
import LunarData

/// Errors from loading or running Lua: the message starts with `file:line:` where Lua knows it.
public struct ScriptError: Error, CustomStringConvertible, Equatable {
    /// The whole message, `file:line: reason` where the error has a place.
    public let message: String
    /// Lua's stack traceback, when there is one (empty otherwise).
    public let traceback: String
    public init(_ message: String, traceback: String = "") { self.message = message; self.traceback = traceback }
    public var description: String { message }

    /// The file the error points at, when the message starts with one (`path:line: …` or `path: …`).
    public var file: String? { location.file }
    /// The line in `file`, when the message names one.
    public var line: Int? { location.line }
    /// The message without its place.
    public var reason: String { location.reason }

    /// Lua and the loader both write places as `file:line: ` (or `file: ` for whole-file
    /// problems); everything before the first such prefix is the place.
    private var location: (file: String?, line: Int?, reason: String) {
        let parts = message.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        if parts.count == 3, let n = Int(parts[1]), !parts[0].isEmpty, !parts[0].contains(" ") {
            return (String(parts[0]), n, parts[2].trimmingCharacters(in: .whitespaces))
        }
        if parts.count >= 2, parts[0].hasSuffix(".lua") {
            return (String(parts[0]), nil, message.dropFirst(parts[0].count + 1).trimmingCharacters(in: .whitespaces))
        }
        return (nil, nil, message)
    }

    /// Splits a message produced by the traceback handler into message and traceback.
    init(raw: String) {
        if let r = raw.range(of: "\nstack traceback:") {
            message = String(raw[..<r.lowerBound]); traceback = String(raw[r.lowerBound...].dropFirst())
        } else { message = raw; traceback = "" }
    }
}

/// Limits that keep an untrusted script from taking the process down. Neither the instruction
/// budget nor the deadline can be caught: once one is spent, every `pcall`/`xpcall` re-raises.
public struct ScriptLimits: Sendable {
    /// Lua VM instructions per top-level call (signals, a module body…); also the character
    /// tests one call of string.find, match, gmatch (per step) or gsub may make.
    public var instructions: Int = 200_000_000
    /// Bytes the Lua state may hold.
    public var memoryBytes: Int = 512 << 20
    /// Wall-clock seconds per top-level call (`signals`, a module body, one symbol of the
    /// per-bar path); 0 = none. A second guard beside the instruction count, for time spent
    /// in C (long string operations, allocation) that the count does not see.
    public var seconds: Double = 30
    public init(instructions: Int = 200_000_000, memoryBytes: Int = 512 << 20, seconds: Double = 30) {
        self.instructions = instructions; self.memoryBytes = memoryBytes; self.seconds = seconds
    }
}

/// A sandboxed Lua 5.4 state: base (without dofile, loadfile and binary chunks), string, table,
/// math and utf8; `require` limited to library roots; an instruction budget and a memory cap.
/// A state is used by one thread only.
public final class LuaVM {
    let L: OpaquePointer
    private let host: UnsafeMutablePointer<swl_Host>
    public let limits: ScriptLimits
    let modules: ModuleLoader
    /// The `_LUNAR` table, held in the registry: scripts may reassign or wrap the global.
    var lunarRef: Int32 = -2   // LUA_NOREF
    private var randomseedRef: Int32 = -2

    public convenience init(limits: ScriptLimits = ScriptLimits(), roots: [String]) throws {
        try self.init(limits: limits, libraries: LibraryPath(plain: roots))
    }

    public init(limits: ScriptLimits = ScriptLimits(), libraries: LibraryPath) throws {
        self.limits = limits
        host = UnsafeMutablePointer<swl_Host>.allocate(capacity: 1)
        host.initialize(to: swl_Host(used: 0, limit: Int.max, inhost: 0, patternsteps: Int64(limits.instructions),
                                     remaining: 0, deadline: 0, timelimit: 0, stopped: 0))
        guard let state = swl_newstate(host) else {
            host.deallocate()
            throw ScriptError("cannot create a Lua state")
        }
        L = state
        modules = ModuleLoader(libraries: libraries)
        openSandbox()
        host.pointee.limit = limits.memoryBytes
        // Outside a protected call the cap is off: a refused allocation there would raise with
        // no handler and abort the process. swl_pcall turns it on for the Lua code it runs.
        host.pointee.inhost = 1
    }

    /// The names the global table holds now (the sandbox's, the DSL's, the script's own).
    func globalNames() -> [String] {
        var out: [String] = []
        lua_rawgeti(L, SWL_REGISTRYINDEX, lua_Integer(LUA_RIDX_GLOBALS))
        lua_pushnil(L)
        while lua_next(L, -2) != 0 {
            if lua_type(L, -2) == LUA_TSTRING, let k = swl_tostring(L, -2) { out.append(String(cString: k)) }
            swl_pop(L, 1)
        }
        swl_pop(L, 1)
        return out.sorted()
    }

    deinit {
        lua_close(L)
        host.deallocate()
    }

    private func openSandbox() {
        let libs: [(String, lua_CFunction)] = [
            ("_G", luaopen_base), (LUA_STRLIBNAME, luaopen_string), (LUA_TABLIBNAME, luaopen_table),
            (LUA_MATHLIBNAME, luaopen_math), (LUA_UTF8LIBNAME, luaopen_utf8),
        ]
        for (name, open) in libs {
            luaL_requiref(L, name, open, 1)
            // Pattern functions that count their work: the instruction budget cannot stop a
            // backtracking match, which runs inside one C call.
            if name == LUA_STRLIBNAME { swl_install_patterns(L) }
            swl_pop(L, 1)
        }
        swl_install_guarded_pcalls(L)
        // stack: (empty)
        swl_newtable(L)                                   // upvalue 3: loaded-module cache
        swl_pushswift(L, luaRequire, Unmanaged.passUnretained(modules).toOpaque(), 1)
        lua_setglobal(L, "require")
        let prelude = """
            dofile, loadfile = nil, nil
            local rawload = load
            load = function(chunk, name, mode, ...) return rawload(chunk, name, "t", ...) end
            math.randomseed(42)
            -- collectgarbage may only report and collect: stopping the collector or changing its
            -- mode would let one script change the memory behaviour of every later one.
            local rawcollect = collectgarbage
            collectgarbage = function(opt, ...)
              opt = opt or "collect"
              if opt == "count" or opt == "collect" or opt == "step" or opt == "isrunning" then return rawcollect(opt, ...) end
              error(("collectgarbage('%s') is not available in Lunar scripts (only count, collect, step, isrunning)"):format(tostring(opt)), 2)
            end
            local rawsetmetatable, getmetatable, rawget, rawset, next, type, error, tostring, ipairs =
              setmetatable, getmetatable, rawget, rawset, next, type, error, tostring, ipairs
            -- Tables every script in this state shares (the libraries, the modules `require`
            -- returns): their fields move to a hidden table read through __index, the visible
            -- table refuses writes, and its metatable is locked, so no script can change what
            -- `string.upper` or `ta.sma` means for the next one.
            local frozen = rawsetmetatable({}, { __mode = "k" })
            local function freeze(t, name)
              if type(t) ~= "table" or frozen[t] then return t end
              local hidden, old = {}, getmetatable(t)
              for k, v in next, t do hidden[k] = v end
              for k in next, hidden do rawset(t, k, nil) end
              -- A table that had an __index (ta's "did you mean") keeps it behind the fields.
              if type(old) == "table" and old.__index ~= nil then rawsetmetatable(hidden, { __index = old.__index }) end
              rawsetmetatable(t, {
                __index = hidden,
                __newindex = function(_, k)
                  error(("%s.%s cannot be set: %s is shared by every script and symbol in this state (keep per-symbol values in ctx.state)")
                    :format(name, tostring(k), name), 2)
                end,
                __pairs = function() return next, hidden, nil end,
                __len = function() return #hidden end,
                __metatable = name .. " is protected",
              })
              frozen[t] = true
              return t
            end
            for _, name in ipairs({ "string", "table", "math", "utf8" }) do freeze(_G[name], name) end
            -- The string metatable: getmetatable("") returns a locked value, not the table.
            rawset(getmetatable(""), "__metatable", "the string metatable is protected")
            _ENV.rawset = function(t, k, v)
              if frozen[t] then error(("rawset: %s is protected"):format(tostring(getmetatable(t))), 2) end
              return rawset(t, k, v)
            end
            -- Lua runs finalizers with hooks off, so an endless __gc could never be stopped; a
            -- table is marked for finalization only when setmetatable sees __gc (a raw field).
            setmetatable = function(t, mt)
              if type(t) ~= "table" then error("bad argument #1 to 'setmetatable' (table expected, got " .. type(t) .. ")", 2) end
              if mt ~= nil and type(mt) ~= "table" then error("bad argument #2 to 'setmetatable' (nil or table expected)", 2) end
              if type(mt) == "table" and rawget(mt, "__gc") ~= nil then
                error("__gc metamethods are not available in Lunar scripts: finalizers run where the instruction budget cannot stop them", 2)
              end
              -- Errors (a protected metatable, a non-table) point at the caller's line.
              local ok, result = pcall(rawsetmetatable, t, mt)
              if not ok then error(result, 2) end
              return result
            end
            return freeze
            """
        luaL_loadbufferx(L, prelude, prelude.utf8.count, "=sandbox", "t")
        _ = lua_pcallk(L, 0, 1, 0, 0, nil)
        // `freeze` stays Lunar's (in the registry): `require` applies it to every module.
        modules.freezeRef = luaL_ref(L, SWL_REGISTRYINDEX)
        // Lunar's own reference to math.randomseed, for `reseed` (scripts may replace the field).
        lua_getglobal(L, "math")
        lua_getfield(L, -1, "randomseed")
        randomseedRef = luaL_ref(L, SWL_REGISTRYINDEX)
        swl_pop(L, 1)
    }

    /// Makes the library tables a script shares with every other symbol of its worker —
    /// `string`, `table`, `math`, `utf8` and `ta` — refuse new fields, so a value stored there
    /// cannot carry from one symbol to the next. An existing metatable (ta's suggestions) is
    /// kept and gets the `__newindex`.
    func freezeSharedTables() throws {
        let code = """
            local getmetatable, setmetatable, rawget, error, tostring = getmetatable, setmetatable, rawget, error, tostring
            local function freeze(t, name)
              local mt = getmetatable(t)
              if mt == nil then mt = {}; setmetatable(t, mt) end
              if type(mt) ~= "table" or rawget(mt, "__newindex") ~= nil then return end
              mt.__newindex = function(_, k)
                error(name .. "." .. tostring(k) .. " cannot be set: " .. name ..
                      " is shared by every symbol of a worker; keep your values in ctx.state", 2)
              end
            end
            freeze(string, "string"); freeze(table, "table"); freeze(math, "math"); freeze(utf8, "utf8")
            if _LUNAR and _LUNAR.ta then freeze(_LUNAR.ta, "ta") end
            """
        try load(Data(code.utf8), chunkName: "=freeze")
        try call(nargs: 0, nresults: 0)
    }

    /// Restarts math.random's sequence at the sandbox's fixed seed.
    func reseed() {
        lua_rawgeti(L, SWL_REGISTRYINDEX, lua_Integer(randomseedRef))
        lua_pushinteger(L, 42)
        _ = swl_pcall(L, 1, 0, 0)
    }

    // MARK: - running code

    /// Loads and runs a file as a chunk; returns with its results left on the stack (`nresults`).
    func runFile(_ path: String, displayName: String, nresults: Int32) throws {
        guard let data = modules.read(path) else { throw ScriptError("cannot read \(displayName)") }
        try load(data, chunkName: "@" + displayName)
        try call(nargs: 0, nresults: nresults)
    }

    /// Loads a text chunk (binary chunks are refused) and leaves the function on the stack.
    func load(_ data: Data, chunkName: String) throws {
        let rc = data.withUnsafeBytes { raw -> Int32 in
            let base = raw.baseAddress?.assumingMemoryBound(to: CChar.self) ?? UnsafePointer<CChar>(bitPattern: 1)!
            return luaL_loadbufferx(L, base, data.count, chunkName, "t")
        }
        guard rc == LUA_OK else {
            // Syntax errors name "file:line:" already; a refused binary chunk names nothing.
            var e = popError(rc)
            let name = chunkName.hasPrefix("@") || chunkName.hasPrefix("=") ? String(chunkName.dropFirst()) : chunkName
            if !e.message.hasPrefix(name) { e = ScriptError("\(name): \(e.message)", traceback: e.traceback) }
            throw e
        }
    }

    /// Calls the function below `nargs` arguments under the instruction budget, with a traceback handler.
    func call(nargs: Int32, nresults: Int32) throws {
        let base = lua_gettop(L) - nargs             // index of the function
        swl_pushmsgh(L)
        swl_insert(L, base)
        swl_setbudget(L, Int64(limits.instructions), limits.seconds)
        let rc = swl_pcall(L, nargs, nresults, base)
        swl_clearbudget(L)
        swl_remove(L, base)
        if rc != LUA_OK { throw popError(rc) }
    }

    func popError(_ rc: Int32) -> ScriptError {
        let text = swl_tostring(L, -1).map { String(cString: $0) } ?? "(error object is not a string)"
        swl_pop(L, 1)
        if rc == LUA_ERRMEM {
            return ScriptError("not enough memory: the script went over its limit of \(limits.memoryBytes >> 20) MiB")
        }
        return ScriptError(raw: text)
    }

    /// Runs a snippet (for tests and tools) and returns its first result as text.
    public func evaluate(_ code: String, chunkName: String = "=eval") throws -> String? {
        try load(Data(code.utf8), chunkName: chunkName)
        try call(nargs: 0, nresults: 1)
        defer { swl_pop(L, 1) }
        switch lua_type(L, -1) {
        case LUA_TNIL: return nil
        case LUA_TBOOLEAN: return lua_toboolean(L, -1) != 0 ? "true" : "false"
        case LUA_TNUMBER, LUA_TSTRING:
            lua_pushvalue(L, -1)   // lua_tolstring converts numbers in place: work on a copy
            defer { swl_pop(L, 1) }
            return swl_tostring(L, -1).map { String(cString: $0) }
        default: return String(cString: lua_typename(L, lua_type(L, -1)))   // no __tostring: it could raise
        }
    }
}

// MARK: - require over library roots

/// Resolves `require "a.b"` through the library roots (see LibraryResolver.swift); remembers
/// every file loaded and the modules being loaded, to report a cycle instead of recursing.
final class ModuleLoader {
    let libraries: LibraryPath
    var loadedFiles: [String] = []
    /// The bytes of every file loaded, as they were read: a run is recorded with what it ran,
    /// and the per-bar workers run those same bytes instead of reading the files again.
    var sources: [String: Data] = [:]
    /// Files to take from here instead of the disk (another state's `sources`).
    var pinned: [String: Data] = [:]
    var loading: [String] = []
    /// The library roots that provided a loaded module, in load order (once each): what a run
    /// record names with their versions and commits.
    var loadedRoots: [LibraryRoot] = []
    /// Module name → the root it was loaded from, for the exports check on cached modules.
    var moduleRoots: [String: LibraryRoot] = [:]
    /// The sandbox's `freeze(table, name)`, applied to each module's table once it has loaded.
    var freezeRef: Int32 = -2
    init(libraries: LibraryPath) { self.libraries = libraries }

    /// A file's bytes, pinned or read now, remembered as loaded.
    func read(_ path: String) -> Data? {
        guard let data = pinned[path] ?? FileManager.default.contents(atPath: path) else { return nil }
        loadedFiles.append(path)
        sources[path] = data
        return data
    }
}

/// Pushes `t[key]` for the table at `index` without metamethods: user tables may carry an
/// `__index` that raises, and a raise outside a protected call (or through a Swift frame)
/// would abort the process.
func rawField(_ L: OpaquePointer?, _ index: Int32, _ key: String) {
    let table = lua_absindex(L, index)
    lua_pushstring(L, key)
    lua_rawget(L, table)
}

extension LuaVM {
    /// Pushes Lunar's own `_LUNAR` table (whatever the script did to the global).
    func pushLunar() {
        if lunarRef == -2 { lua_getglobal(L, "_LUNAR") } else { lua_rawgeti(L, SWL_REGISTRYINDEX, lua_Integer(lunarRef)) }
    }

    /// Pushes `_LUNAR[key]`, read raw.
    func pushLunarField(_ key: String) {
        pushLunar()
        rawField(L, -1, key)
        swl_remove(L, -2)
    }
}

func luaFail(_ L: OpaquePointer?, _ message: String) -> Int32 {
    lua_pushstring(L, message)
    return SWL_ERRORCODE
}

func luaContext<T: AnyObject>(_ L: OpaquePointer?, as _: T.Type) -> T {
    Unmanaged<T>.fromOpaque(lua_touserdata(L, swl_upvalueindex(2))!).takeUnretainedValue()
}

/// Why `require module` may not load it from `root`, or nil when it may: a library with an
/// `exports` list keeps its other modules to itself, so only files inside the library (its own
/// modules and tests) may require them. The requirer is the Lua function calling `require`.
private func exportRefusal(_ L: OpaquePointer?, module: String, root: LibraryRoot) -> String? {
    guard let manifest = root.manifest, !manifest.exports(module) else { return nil }
    var ar = lua_Debug()
    var caller: String?
    if lua_getstack(L, 1, &ar) != 0, lua_getinfo(L, "S", &ar) != 0, let src = ar.source {
        let text = String(cString: src)
        if text.hasPrefix("@") { caller = String(text.dropFirst()) }
    }
    if let caller, root.holds(caller) { return nil }
    let listed = manifest.exports.joined(separator: ", ")
    let close = closestMatches(to: module, in: manifest.exports)
    return "module '\(module)' is internal to library '\(manifest.name)' (\(manifest.path)): it exports only \(listed)" +
        (close.isEmpty || close == manifest.exports ? "" : "; did you mean \(close.joined(separator: ", "))?") +
        " (a module may be required from outside its library only when its exports list it)"
}

private func luaRequire(_ L: OpaquePointer?) -> Int32 {
    guard lua_type(L, 1) == LUA_TSTRING, let raw = swl_tostring(L, 1) else {
        return luaFail(L, "require: module name expected")
    }
    let name = String(cString: raw)
    guard LibraryPath.isValidModuleName(name) else { return luaFail(L, "require '\(name)': module names hold letters, digits, '_' and '.' only") }
    // stack: name | cache at upvalue 3
    let loader = luaContext(L, as: ModuleLoader.self)
    lua_getfield(L, swl_upvalueindex(3), name)
    if lua_type(L, -1) != LUA_TNIL {
        // Loaded already (perhaps by its own library): the exports rule still holds for this caller.
        if let root = loader.moduleRoots[name], let refusal = exportRefusal(L, module: name, root: root) { return luaFail(L, refusal) }
        return 1
    }
    swl_pop(L, 1)
    if let i = loader.loading.firstIndex(of: name) {
        return luaFail(L, "require cycle: " + (loader.loading[i...] + [name]).joined(separator: " → "))
    }
    let found: (root: LibraryRoot, file: String)
    do { found = try loader.libraries.resolveRoot(name) } catch { return luaFail(L, "\(error)") }
    let path = found.file
    if let refusal = exportRefusal(L, module: name, root: found.root) { return luaFail(L, refusal) }
    guard let data = loader.read(path) else { return luaFail(L, "cannot read \(path)") }
    if !loader.loadedRoots.contains(where: { $0.path == found.root.path }) { loader.loadedRoots.append(found.root) }
    loader.moduleRoots[name] = found.root
    let rc = data.withUnsafeBytes { raw -> Int32 in
        let base = raw.baseAddress?.assumingMemoryBound(to: CChar.self) ?? UnsafePointer<CChar>(bitPattern: 1)!
        return luaL_loadbufferx(L, base, data.count, "@" + path, "t")
    }
    if rc != LUA_OK { return SWL_ERRORCODE }            // the message is on the stack
    loader.loading.append(name)
    let rc2 = swl_pcall(L, 0, 1, 0)
    loader.loading.removeLast()
    if rc2 != LUA_OK {
        let msg = swl_tostring(L, -1).map { String(cString: $0) } ?? "error"
        return luaFail(L, "require '\(name)': \(msg)")
    }
    if lua_type(L, -1) == LUA_TNIL { swl_pop(L, 1); lua_pushboolean(L, 1) }
    // A module is shared by every script that requires it in this state: freeze it, so one
    // cannot change what it means for the next.
    if lua_type(L, -1) == LUA_TTABLE && loader.freezeRef >= 0 {
        lua_rawgeti(L, SWL_REGISTRYINDEX, lua_Integer(loader.freezeRef))
        lua_pushvalue(L, -2)
        lua_pushstring(L, name)
        if swl_pcall(L, 2, 1, 0) != LUA_OK { return SWL_ERRORCODE }
        swl_pop(L, 1)
    }
    lua_pushvalue(L, -1)
    lua_setfield(L, swl_upvalueindex(3), name)
    return 1
}
