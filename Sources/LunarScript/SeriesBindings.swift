import LunarData
import CLua
import LunarGraph
import LunarKernels

/// What the DSL callbacks share: the graph under construction and the data's field names.
/// Reached from Lua through a light userdata upvalue; the owner keeps it alive.
final class DSLContext {
    let graph: Graph
    let fields: [String]
    /// The graph's size when the current build began: the node budget counts from there.
    var startCount = 0
    /// Nodes one build may add. The Lua memory cap does not see the graph, which lives in
    /// Swift, so a script looping over new expressions is stopped here instead.
    static let nodeLimit = 1_000_000
    init(graph: Graph, fields: [String]) { self.graph = graph; self.fields = fields; startCount = graph.count }

    /// An error result when the build has used up its node budget, else nil.
    func overBudget(_ L: OpaquePointer?) -> Int32? {
        guard graph.count - startCount > DSLContext.nodeLimit else { return nil }
        return luaFail(L, "the strategy built more than \(DSLContext.nodeLimit) distinct series expressions " +
                          "(a loop creating new ones?); the graph is capped to protect memory")
    }
}

private let seriesMeta = "Series"

/// `ta` functions that are not registry primitives: elementwise and cross-sectional ones.
private let extraFunctions = ["abs", "log", "exp", "sqrt", "min", "max", "where", "rank", "zscore"]

// MARK: - installing the DSL into a state

extension LuaVM {
    /// Installs the Series metatable, the native primitive table (`_LUNAR.ta`) and `strategy`.
    func installDSL(_ ctx: DSLContext) {
        let c = Unmanaged.passUnretained(ctx).toOpaque()
        luaL_newmetatable(L, seriesMeta)
        // stack: meta
        for op in ["add", "sub", "mul", "div", "unm", "band", "bor", "bnot"] {
            lua_pushstring(L, op)
            swl_pushswift(L, seriesArith, c, 1)
            lua_setfield(L, -2, "__" + op)
        }
        for mm in ["__lt", "__le", "__eq", "__idiv", "__mod", "__pow", "__concat", "__len", "__call"] {
            lua_pushstring(L, mm)
            swl_pushswift(L, seriesUnsupported, c, 1)
            lua_setfield(L, -2, mm)
        }
        swl_pushswift(L, seriesToString, c, 0)
        lua_setfield(L, -2, "__tostring")
        swl_newtable(L)                                   // stack: meta, methods
        for op in ["gt", "ge", "lt", "le", "eq", "ne"] {
            lua_pushstring(L, op)
            swl_pushswift(L, seriesArith, c, 1)
            lua_setfield(L, -2, op)
        }
        for name in ["shift", "diff", "abs", "sqrt", "log", "exp"] {
            lua_pushstring(L, name)
            if name == "shift" || name == "diff" { swl_pushswift(L, primitiveCall, c, 1) }
            else { swl_pushswift(L, elementwiseFunction, c, 1) }
            lua_setfield(L, -2, name)
        }
        lua_setfield(L, -2, "__index")
        swl_pop(L, 1)

        // _LUNAR.ta: one native function per registry primitive, plus elementwise functions.
        swl_newtable(L)                                   // stack: _LUNAR
        swl_newtable(L)                                   // stack: _LUNAR, ta
        for spec in Registry.all {
            lua_pushstring(L, spec.name)
            swl_pushswift(L, primitiveCall, c, 1)
            lua_setfield(L, -2, spec.name)
        }
        for name in extraFunctions {
            lua_pushstring(L, name)
            swl_pushswift(L, elementwiseFunction, c, 1)
            lua_setfield(L, -2, name)
        }
        // Unknown names raise with suggestions instead of returning nil.
        swl_newtable(L)                                   // stack: _LUNAR, ta, meta
        lua_pushstring(L, "ta")
        swl_pushswift(L, unknownMember, c, 1)
        lua_setfield(L, -2, "__index")
        lua_setmetatable(L, -2)
        lua_setfield(L, -2, "ta")
        lua_pushvalue(L, -1)
        lunarRef = luaL_ref(L, SWL_REGISTRYINDEX)
        lua_setglobal(L, "_LUNAR")
    }
}

// MARK: - Series values

func pushSeries(_ L: OpaquePointer?, _ id: NodeID) {
    lua_newuserdatauv(L, MemoryLayout<Int>.size, 0)!.storeBytes(of: id.index, as: Int.self)
    luaL_setmetatable(L, seriesMeta)
}

func seriesAt(_ L: OpaquePointer?, _ i: Int32) -> NodeID? {
    guard let p = luaL_testudata(L, i, seriesMeta) else { return nil }
    return NodeID(p.load(as: Int.self))
}

/// A Series, a number (a constant) or a boolean (a constant 1/0) as a node; nil for anything else.
func operand(_ L: OpaquePointer?, _ i: Int32, _ graph: Graph) -> NodeID? {
    if let id = seriesAt(L, i) { return id }
    switch lua_type(L, i) {
    case LUA_TNUMBER: return graph.constant(lua_tonumberx(L, i, nil))
    case LUA_TBOOLEAN: return graph.constant(lua_toboolean(L, i) != 0 ? 1 : 0)
    default: return nil
    }
}

func typeName(_ L: OpaquePointer?, _ i: Int32) -> String {
    if seriesAt(L, i) != nil { return "Series" }
    return String(cString: lua_typename(L, lua_type(L, i)))
}

private func seriesArith(_ L: OpaquePointer?) -> Int32 {
    let ctx = luaContext(L, as: DSLContext.self)
    if let fail = ctx.overBudget(L) { return fail }
    let name = String(cString: swl_tostring(L, swl_upvalueindex(3))!)
    let symbols = ["add": "+", "sub": "-", "mul": "*", "div": "/", "unm": "-", "band": "&", "bor": "|", "bnot": "~"]
    let shown = symbols[name].map { "'\($0)'" } ?? ":\(name)()"
    guard let a = operand(L, 1, ctx.graph) else {
        return luaFail(L, "\(shown): expected a Series or a number, got \(typeName(L, 1))")
    }
    do {
        if name == "unm" { pushSeries(L, try ctx.graph.unary(.neg, a)); return 1 }
        if name == "bnot" { pushSeries(L, try ctx.graph.unary(.not, a)); return 1 }
        guard let b = operand(L, 2, ctx.graph) else {
            return luaFail(L, "\(shown): expected a Series or a number, got \(typeName(L, 2))")
        }
        let op: BinaryOp = ["add": .add, "sub": .sub, "mul": .mul, "div": .div, "band": .and, "bor": .or,
                            "gt": .gt, "ge": .ge, "lt": .lt, "le": .le, "eq": .eq, "ne": .ne][name]!
        pushSeries(L, try ctx.graph.binary(op, a, b))
        return 1
    } catch {
        return luaFail(L, "\(error)")
    }
}

private func seriesUnsupported(_ L: OpaquePointer?) -> Int32 {
    let mm = String(cString: swl_tostring(L, swl_upvalueindex(3))!)
    switch mm {
    case "__lt", "__le":
        return luaFail(L, "cannot compare series with '<', '<=', '>' or '>=' (Lua turns the result into a plain boolean): use a:lt(b), a:le(b), a:gt(b) or a:ge(b)")
    case "__eq":
        return luaFail(L, "cannot compare series with '==' or '~=': use a:eq(b) or a:ne(b)")
    default:
        let names = ["__idiv": "'//'", "__mod": "'%'", "__pow": "'^'", "__concat": "'..'", "__len": "'#'", "__call": "a call"]
        return luaFail(L, "\(names[mm] ?? mm) is not supported on series")
    }
}

private func seriesToString(_ L: OpaquePointer?) -> Int32 {
    let ctx = luaContext(L, as: DSLContext.self)
    guard let id = seriesAt(L, 1) else { return luaFail(L, "Series expected") }
    lua_pushstring(L, "Series<\(ctx.graph[id].type.rawValue)>: \(ctx.graph.describe(id))")
    return 1
}

private func unknownMember(_ L: OpaquePointer?) -> Int32 {
    let table = String(cString: swl_tostring(L, swl_upvalueindex(3))!)
    let key = swl_tostring(L, 2).map { String(cString: $0) } ?? "?"
    var names = Registry.names + extraFunctions
    guard lua_type(L, 1) == LUA_TTABLE else { return luaFail(L, "unknown \(table) function '\(key)'") }
    // Lua helpers added by stdlib/ta.lua are raw fields of the table itself.
    lua_pushnil(L)
    while lua_next(L, 1) != 0 {
        if lua_type(L, -2) == LUA_TSTRING { names.append(String(cString: swl_tostring(L, -2)!)) }
        swl_pop(L, 1)
    }
    let s = closestMatches(to: key, in: Array(Set(names)))
    return luaFail(L, "unknown \(table) function '\(key)'" + (s.isEmpty ? "" : "; did you mean \(s.map { "'\(table).\($0)'" }.joined(separator: ", "))?"))
}

// MARK: - primitives and elementwise functions

/// `ta.NAME(series..., params...)`: series arguments first, then numbers for the parameters
/// (omitted trailing parameters take their defaults). Returns one Series per output.
private func primitiveCall(_ L: OpaquePointer?) -> Int32 {
    let ctx = luaContext(L, as: DSLContext.self)
    if let fail = ctx.overBudget(L) { return fail }
    let name = String(cString: swl_tostring(L, swl_upvalueindex(3))!)
    let spec = Registry.spec(name)!
    let argc = Int(lua_gettop(L))
    let needed = spec.inputs.count
    guard argc >= needed else {
        let sig = (spec.inputs.map(\.name) + spec.params.map { $0.name + ($0.defaultValue == nil ? "" : "?") }).joined(separator: ", ")
        return luaFail(L, "ta.\(name)(\(sig)): expected \(needed) series argument(s), got \(argc)")
    }
    guard argc <= needed + spec.params.count else {
        return luaFail(L, "ta.\(name): too many arguments (\(argc)); it takes \(needed) series and \(spec.params.count) parameter(s)")
    }
    var inputs: [NodeID] = []
    for (k, input) in spec.inputs.enumerated() {
        guard let id = operand(L, Int32(k + 1), ctx.graph) else {
            return luaFail(L, "ta.\(name): argument '\(input.name)' must be a Series or a number, got \(typeName(L, Int32(k + 1)))")
        }
        inputs.append(id)
    }
    var params: [Double] = []
    for (k, p) in spec.params.enumerated() {
        let i = Int32(needed + k + 1)
        if i <= argc && lua_type(L, i) != LUA_TNIL {
            guard lua_type(L, i) == LUA_TNUMBER else {
                return luaFail(L, "ta.\(name): \(p.name) must be a number, got \(typeName(L, i))")
            }
            params.append(lua_tonumberx(L, i, nil))
        } else if let d = p.defaultValue {
            params.append(d)
        } else {
            return luaFail(L, "ta.\(name): missing \(p.name)")
        }
    }
    do {
        let outs = try ctx.graph.primitive(name, inputs: inputs, params: params)
        for id in outs { pushSeries(L, id) }
        return Int32(outs.count)
    } catch {
        return luaFail(L, "ta.\(error)")
    }
}

private func elementwiseFunction(_ L: OpaquePointer?) -> Int32 {
    let ctx = luaContext(L, as: DSLContext.self)
    if let fail = ctx.overBudget(L) { return fail }
    let name = String(cString: swl_tostring(L, swl_upvalueindex(3))!)
    let arity = name == "where" ? 3 : (name == "min" || name == "max" ? 2 : 1)
    guard lua_gettop(L) == arity else {
        return luaFail(L, "ta.\(name): expected \(arity) argument(s), got \(lua_gettop(L))")
    }
    var args: [NodeID] = []
    for i in 1 ... arity {
        guard let id = operand(L, Int32(i), ctx.graph) else {
            return luaFail(L, "ta.\(name): argument \(i) must be a Series or a number, got \(typeName(L, Int32(i)))")
        }
        args.append(id)
    }
    do {
        let g = ctx.graph
        let id: NodeID
        switch name {
        case "where": id = try g.select(args[0], args[1], args[2])
        case "min": id = try g.binary(.min, args[0], args[1])
        case "max": id = try g.binary(.max, args[0], args[1])
        case "rank": id = try g.crossSection(.rank, membersOnly(args[0], g, ctx))
        case "zscore": id = try g.crossSection(.zscore, membersOnly(args[0], g, ctx))
        default: id = try g.unary(UnaryOp(rawValue: name)!, args[0])
        }
        pushSeries(L, id)
        return 1
    } catch {
        return luaFail(L, "ta.\(name): \(error)")
    }
}

/// A cross-sectional input with the non-members of the universe left out (NaN, which rank and
/// zscore skip), when the data say who is a member. Time-series inputs keep every bar.
private func membersOnly(_ x: NodeID, _ g: Graph, _ ctx: DSLContext) throws -> NodeID {
    guard ctx.fields.contains("member") else { return x }
    return try g.select(g.field("member"), x, g.constant(.nan))
}
