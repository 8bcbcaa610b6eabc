import CLua
import Foundation

/// The interpreter's floor of a per-bar strategy (`lunar bench`, W3 and W3b): the same decisions
/// written as a plain Lua loop over arrays, on a bare Lua 5.4 state of this process — the same
/// interpreter the per-bar path runs on, without its sandbox, hooks, ctx or simulator. What the
/// per-bar path costs above this is Lunar's own overhead.
public enum LuaFloor {
    /// `code` is a chunk returning `function(n, array…) -> number` (e.g. the trades it made);
    /// it is called once per symbol with that symbol's arrays (1-based Lua tables, built before
    /// the clock starts). Returns the seconds of the calls and the sum of their results.
    public static func run(code: String, symbols: [[[Double]]]) throws -> (seconds: Double, total: Double) {
        guard let L = luaL_newstate() else { throw ScriptError("the Lua floor: cannot create a Lua state") }
        defer { lua_close(L) }
        // No host: the shim's calls read the state's extra space as one, and Lua leaves it unset.
        swl_sethost(L, nil)
        luaL_openlibs(L)
        guard luaL_loadbufferx(L, code, code.utf8.count, "=floor", "t") == LUA_OK, swl_pcall(L, 0, 1, 0) == LUA_OK else {
            throw ScriptError("the Lua floor: \(swl_tostring(L, -1).map { String(cString: $0) } ?? "error")")
        }
        guard lua_type(L, -1) == LUA_TFUNCTION else { throw ScriptError("the Lua floor: the chunk must return a function") }
        let function = luaL_ref(L, SWL_REGISTRYINDEX)
        // The arrays first, outside the clock: the floor is the loop.
        let tables: [[Int32]] = symbols.map { arrays in
            arrays.map { values in
                lua_createtable(L, Int32(values.count), 0)
                for (k, v) in values.enumerated() { lua_pushnumber(L, v); lua_rawseti(L, -2, lua_Integer(k + 1)) }
                return luaL_ref(L, SWL_REGISTRYINDEX)
            }
        }
        var total = 0.0
        let start = DispatchTime.now().uptimeNanoseconds
        for (s, refs) in tables.enumerated() {
            lua_rawgeti(L, SWL_REGISTRYINDEX, lua_Integer(function))
            lua_pushinteger(L, lua_Integer(symbols[s].first?.count ?? 0))
            for r in refs { lua_rawgeti(L, SWL_REGISTRYINDEX, lua_Integer(r)) }
            guard swl_pcall(L, Int32(refs.count + 1), 1, 0) == LUA_OK else {
                throw ScriptError("the Lua floor: \(swl_tostring(L, -1).map { String(cString: $0) } ?? "error")")
            }
            total += lua_tonumberx(L, -1, nil)
            swl_pop(L, 1)
        }
        return (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, total)
    }
}
