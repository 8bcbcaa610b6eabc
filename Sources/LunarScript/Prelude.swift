import CLua
import LunarData
import Foundation
import LunarGraph
import LunarKernels
import LunarSim

// MARK: - the Lua half of the DSL

/// The strategy table's own fields; every other key it takes is a setting of `Setting.all`.
let strategyStructureFields = ["name", "description", "params", "ranges", "signals", "indicators", "on_bar", "init"]

extension LuaVM {
    /// `strategy{}`, `bars` and `p` tables with helpful errors, written in Lua
    /// (`Resources/prelude.lua`), so that their errors point at the user's line. Natives:
    /// `field`, `hint`, and `check_setting`, which checks a strategy-table setting with the
    /// same rules the flags and the Swift API use.
    func installPrelude(_ ctx: DSLContext) throws {
        let c = Unmanaged.passUnretained(ctx).toOpaque()
        lua_getglobal(L, "_LUNAR")
        swl_pushswift(L, fieldSeries, c, 0); lua_setfield(L, -2, "field")
        swl_pushswift(L, calendarSeries, c, 0); lua_setfield(L, -2, "calendar")
        swl_pushswift(L, timeframeProblem, c, 0); lua_setfield(L, -2, "timeframe_problem")
        swl_pushswift(L, periodStartSeries, c, 0); lua_setfield(L, -2, "period_start")
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


/// `field(name [, tf])`: a data field, or that field aggregated to timeframe `tf`.
private func fieldSeries(_ L: OpaquePointer?) -> Int32 {
    let ctx = luaContext(L, as: DSLContext.self)
    guard let raw = swl_tostring(L, 1) else { return luaFail(L, "field name expected") }
    let field = ctx.graph.field(String(cString: raw))
    guard let tf = swl_tostring(L, 2) else { pushSeries(L, field); return 1 }
    do { pushSeries(L, try ctx.graph.resample(field, to: Timeframe(String(cString: tf)))) } catch { return luaFail(L, "\(error)") }
    return 1
}

/// `calendar(name)`: `time_of_day` or `day_of_week` of each base bar.
private func calendarSeries(_ L: OpaquePointer?) -> Int32 {
    let ctx = luaContext(L, as: DSLContext.self)
    switch swl_tostring(L, 1).map({ String(cString: $0) }) {
    case "time_of_day": pushSeries(L, ctx.graph.calendar(.timeOfDay))
    case "day_of_week": pushSeries(L, ctx.graph.calendar(.dayOfWeek))
    default: return luaFail(L, "unknown calendar series")
    }
    return 1
}

/// `period_start(tf)`: true on the first bar of each period of `tf` (what `ta.vwap` resets on).
private func periodStartSeries(_ L: OpaquePointer?) -> Int32 {
    let ctx = luaContext(L, as: DSLContext.self)
    do {
        let tf = try Timeframe(swl_tostring(L, 1).map { String(cString: $0) } ?? "")
        pushSeries(L, ctx.graph.calendar(.periodStart(tf)))
    } catch { return luaFail(L, "\(error)") }
    return 1
}

/// `timeframe_problem(tf)` → nil when `tf` names a timeframe, else why not (with close matches).
private func timeframeProblem(_ L: OpaquePointer?) -> Int32 {
    let text = swl_tostring(L, 1).map { String(cString: $0) } ?? ""
    do { _ = try Timeframe(text); lua_pushnil(L) } catch { lua_pushstring(L, "\(error)") }
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

