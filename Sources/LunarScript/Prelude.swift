import CLua
import LunarData
import Foundation
import LunarGraph
import LunarKernels
import LunarSim

// MARK: - the Lua half of the DSL

/// The strategy table's own fields; every other key it takes is a setting of `Setting.all`.
let strategyStructureFields = ["name", "description", "params", "signals", "indicators", "on_bar", "init"]

extension LuaVM {
    /// `strategy{}`, `bars` and `p` tables with helpful errors, written in Lua
    /// (`Resources/prelude.lua`), so that their errors point at the user's line. Natives:
    /// `field`, `hint`, and `check_setting`, which checks a strategy-table setting with the
    /// same rules the flags and the Swift API use.
    func installPrelude(_ ctx: DSLContext) throws {
        let c = Unmanaged.passUnretained(ctx).toOpaque()
        lua_getglobal(L, "_LUNAR")
        swl_pushswift(L, fieldSeries, c, 0); lua_setfield(L, -2, "field")
        swl_pushswift(L, closestHint, c, 0); lua_setfield(L, -2, "hint")
        swl_pushswift(L, checkSetting, c, 0); lua_setfield(L, -2, "check_setting")
        pushStringList(L, strategyStructureFields); lua_setfield(L, -2, "structure_fields")
        pushStringList(L, Setting.all.map(\.name)); lua_setfield(L, -2, "setting_names")
        swl_pop(L, 1)
        try load(try preludeSource.get(), chunkName: "=lunar")
        try call(nargs: 0, nresults: 0)
    }
}

/// Read once per process from the target's resources.
private let preludeSource: Result<Data, ScriptError> = {
    guard let url = Bundle.module.url(forResource: "prelude", withExtension: "lua"),
          let data = FileManager.default.contents(atPath: url.path) else {
        return .failure(ScriptError("Lunar's Lua prelude (prelude.lua) is missing from its resources bundle"))
    }
    return .success(data)
}()

/// The setting value of the Lua value at `index`: numbers, strings and booleans; nil otherwise.
func settingValue(_ L: OpaquePointer?, _ index: Int32) -> SettingValue? {
    switch lua_type(L, index) {
    case LUA_TNUMBER: return .number(lua_tonumberx(L, index, nil))
    case LUA_TSTRING: return .text(String(cString: swl_tostring(L, index)!))
    case LUA_TBOOLEAN: return .flag(lua_toboolean(L, index) != 0)
    default: return nil
    }
}

/// `check_setting(name, value)` → nil when the setting takes the value, else what it takes.
private func checkSetting(_ L: OpaquePointer?) -> Int32 {
    let name = swl_tostring(L, 1).map { String(cString: $0) } ?? ""
    guard let setting = try? Setting.named(name) else { lua_pushstring(L, "a known setting"); return 1 }
    var probe = SimulationOptions()
    if let value = settingValue(L, 2), (try? setting.apply(value, to: &probe)) != nil {
        lua_pushnil(L)
    } else {
        lua_pushstring(L, setting.expected)
    }
    return 1
}


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

