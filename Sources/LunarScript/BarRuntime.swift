import LunarData
import CLua
import Foundation
import LunarGraph
import LunarKernels
import LunarSim

/// Where `on_bar`'s orders go: the simulator's per-bar account, seen from Lua.
public protocol BarBroker: AnyObject {
    func beginBar(_ t: Int)
    func endBar(_ t: Int)
    /// Whether the next bars need neither `beginBar` nor `endBar` (nothing waits, nothing is
    /// armed): the runner then skips both until an order call or the end of the symbol.
    var isQuiet: Bool { get }
    /// Brings the account to bar `t` (inside its on_bar) before an order call: values the bars
    /// skipped while quiet.
    func sync(_ t: Int)
    var position: Double { get }
    var entryPrice: Double { get }
    var equity: Double { get }
    var cash: Double { get }
    /// The four account values at once: what ctx is given each bar (one call into the broker
    /// instead of four; each is a dynamic exclusivity check on the broker's account).
    var snapshot: AccountSnapshot { get }
    /// Returns the order's id.
    func submit(side: OrderSide, size: Double?, limit: Double?, stop: Double?, bars: Int?) -> Int
    func cancel(_ id: Int)
    func setStopLoss(_ price: Double)
    func setTakeProfit(_ price: Double)
    func setTrailingStop(_ fraction: Double)
}

/// ctx.position, entry_price, equity and cash.
public struct AccountSnapshot {
    public var position, entryPrice, equity, cash: Double
    public init(position: Double, entryPrice: Double, equity: Double, cash: Double) {
        self.position = position; self.entryPrice = entryPrice; self.equity = equity; self.cash = cash
    }
}

extension BarBroker {
    public var snapshot: AccountSnapshot { AccountSnapshot(position: position, entryPrice: entryPrice, equity: equity, cash: cash) }
}

/// One symbol's inputs for a per-bar run: pointers to its bars, valid while `run` executes.
public struct BarInputs {
    public var symbol: String
    /// The text of bar t's date, as `ctx.date` and error messages show it.
    public var date: (Int) -> String
    /// open, high, low, close, volume, then the indicators in `BarRuntime.indicatorNames` order.
    public var series: [UnsafePointer<Double>]
    public var count: Int
    public init(symbol: String, date: @escaping (Int) -> String, series: [UnsafePointer<Double>], count: Int) {
        self.symbol = symbol; self.date = date; self.series = series; self.count = count
    }
}

/// What the ctx callbacks read: the current symbol, bar and broker. Reached through a light
/// userdata upvalue; owned by the runtime.
final class BarState {
    var inputs: BarInputs?
    /// The current bar, kept in `view` where the C helpers read it.
    var t: Int {
        get { Int(view.pointee.t) }
        set { view.pointee.t = Int64(newValue) }
    }
    var broker: BarBroker?
    let names: [String]          // series names: OHLCV then indicators
    let isBool: [Bool]
    /// The current symbol's series, bar and liveness for `swl_setfields` and `swl_pastindex`.
    let view: UnsafeMutablePointer<swl_BarView>
    private let seriesTable: UnsafeMutablePointer<UnsafePointer<Double>?>
    private let isBoolTable: UnsafeMutablePointer<UInt8>
    private let hitsTable: UnsafeMutablePointer<Int64>
    /// ctx.position, entry_price, equity and cash for `swl_setfields`, filled per bar.
    let account = UnsafeMutablePointer<Double>.allocate(capacity: 4)
    /// The broker's account as the bar loop reads it between calls into Swift (`publish`).
    let quiet = UnsafeMutablePointer<swl_Account>.allocate(capacity: 1)
    /// The current symbol's eager fields, whose last written values `swl_setfields` remembers.
    var fields: UnsafeMutableBufferPointer<swl_Field>? = nil
    /// Per ctx field (`BarRuntime.fieldKeys`, then the indicators): set on every bar (the
    /// strategy's source names it), or served when read (`contextIndex`). Setting a field
    /// costs a table write per bar whether or not the script reads it.
    var eager: [Bool] = [] {
        didSet {
            let keys = BarRuntime.fieldKeys + names.dropFirst(BarRuntime.baseSeries.count)
            served = Dictionary(keys.indices.filter { !eager[$0] }.map { (keys[$0], $0) }, uniquingKeysWith: { a, _ in a })
        }
    }
    /// The fields not set on every bar, by name: what `contextIndex` serves.
    private(set) var served: [String: Int] = [:]
    init(names: [String], isBool: [Bool]) {
        self.names = names; self.isBool = isBool
        seriesTable = .allocate(capacity: names.count)
        seriesTable.initialize(repeating: nil, count: names.count)
        isBoolTable = .allocate(capacity: names.count)
        for (i, b) in isBool.enumerated() { isBoolTable[i] = b ? 1 : 0 }
        hitsTable = .allocate(capacity: max(1, names.count))
        hitsTable.initialize(repeating: 0, count: max(1, names.count))
        view = .allocate(capacity: 1)
        view.initialize(to: swl_BarView(series: UnsafePointer(seriesTable),
                                        isbool: isBoolTable, t: 0, live: 0, hits: hitsTable))
        account.initialize(repeating: 0, count: 4)
        quiet.initialize(to: swl_Account(busy: 1, units: 0, entry: .nan, cash: 0))
    }
    deinit {
        seriesTable.deallocate(); isBoolTable.deallocate(); hitsTable.deallocate(); view.deallocate()
        account.deallocate(); quiet.deallocate()
    }

    /// Tells the bar loop whether the broker is quiet and what its account holds; after every
    /// call that may change either.
    func publish() {
        guard let broker else { return }
        let a = broker.snapshot
        quiet.pointee = swl_Account(busy: broker.isQuiet ? 0 : 1, units: a.position, entry: a.entryPrice, cash: a.cash)
    }

    /// Before an order call from on_bar: the broker values the bars it skipped.
    func syncBroker() { broker?.sync(t) }

    /// After Swift wrote ctx's fields itself: `swl_setfields` writes each again on the next bar.
    func forgetFields() { if let f = fields { swl_forgetfields(f.baseAddress, Int32(f.count)) } }

    /// Makes `inputs` the current symbol (nil: none).
    func enter(_ inputs: BarInputs?, broker: BarBroker?) {
        self.inputs = inputs; self.broker = broker
        if let inputs { for (i, p) in inputs.series.enumerated() { seriesTable[i] = p } }
        for i in names.indices { hitsTable[i] = 0 }
        view.pointee.live = inputs == nil ? 0 : 1
    }

    /// The value of ctx field `k` (an index into `fieldKeys` + indicators) at the current bar.
    func pushField(_ L: OpaquePointer?, _ k: Int) {
        guard let inputs, let broker else { lua_pushnil(L); return }
        let base = BarRuntime.fieldKeys.count
        switch k {
        case 0 ..< 5: lua_pushnumber(L, inputs.series[k][t])
        case 5: lua_pushinteger(L, lua_Integer(t))
        case 6 ..< base:
            let a = broker.snapshot
            lua_pushnumber(L, [a.position, a.entryPrice, a.equity, a.cash][k - 6])
        default:
            let v = inputs.series[5 + k - base][t]
            if isBool[5 + k - base] { lua_pushboolean(L, v == 1 ? 1 : 0) } else { lua_pushnumber(L, v) }
        }
    }
}

/// The names Lua source text may read a field by: words right after `.`, `:` or a quote
/// (`ctx.close`, `ctx["close"]`), except right after `past.` or `bars.` (`ctx.past.close` reads
/// a series proxy, `bars.high` the DSL's bars in `indicators`, not ctx). A guess that errs both
/// ways and costs only speed: a field named here is set on every bar, any other is served when
/// read (`contextIndex`).
func sourceFieldNames(_ source: Data) -> Set<String> {
    var names = Set<String>(), word: [UInt8] = []
    var before: UInt8 = 0      // the byte before the current word
    var previous: UInt8 = 0
    var last: [UInt8] = [], lastEnd = -2   // the previous word and the index just past it
    var afterOther = false     // the word follows `past.` or `bars.`
    let others = [Array("past".utf8), Array("bars".utf8)]
    func isWordByte(_ b: UInt8) -> Bool { (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || (b >= 48 && b <= 57) || b == 95 }
    func end(at i: Int) {
        guard !word.isEmpty else { return }
        if !afterOther, [UInt8(ascii: "."), UInt8(ascii: ":"), UInt8(ascii: "\""), UInt8(ascii: "'")].contains(before) {
            names.insert(String(decoding: word, as: UTF8.self))
        }
        last = word; lastEnd = i
        word.removeAll(keepingCapacity: true)
    }
    for (i, b) in source.enumerated() {
        if isWordByte(b) {
            if word.isEmpty {
                before = previous
                afterOther = previous == UInt8(ascii: ".") && lastEnd == i - 1 && others.contains(last)
            }
            word.append(b)
        } else {
            end(at: i)
        }
        previous = b
    }
    end(at: source.count)
    return names
}

/// The `ctx.past.NAME[k]` reads Lua source text writes with a literal k (`past.hi[1]`), by
/// name: candidates for `swl_pastwindow`, which writes them into the proxy when they are read
/// often. A guess that costs only speed, like `sourceFieldNames`.
func sourcePastLags(_ source: Data) -> [String: Set<Int>] {
    var out: [String: Set<Int>] = [:]
    let text = String(decoding: source, as: UTF8.self)
    let pattern = #/past\.([A-Za-z_][A-Za-z0-9_]*)\s*\[\s*([0-9]{1,2})\s*\]/#
    for m in text.matches(of: pattern) {
        if let k = Int(m.output.2), k <= 16 { out[String(m.output.1), default: []].insert(k) }
    }
    return out
}

/// The per-bar path of one worker thread: its own Lua state with the strategy loaded, calling
/// `init(ctx, p)` once per symbol and `on_bar(ctx, p)` on each bar. Never shared between threads.
public final class BarRuntime {
    let vm: LuaVM
    let state: BarState
    let dsl: DSLContext
    /// C strings of the indicator names, made once: `lua_setfield` with a Swift String would
    /// bridge it on every bar.
    private let keys: [UnsafeMutablePointer<CChar>]
    private var ctxRef: Int32 = 0, onBarRef: Int32 = -1, initRef: Int32 = -1, paramsRef: Int32 = 0
    /// This worker's on_bar calls as the watchdog sees them.
    private let watch: UnsafeMutablePointer<swl_Watch> = {
        let w = UnsafeMutablePointer<swl_Watch>.allocate(capacity: 1)
        w.initialize(to: swl_Watch(L: nil, calls: 0, incall: 0, arm: 0, armed: 0, saved: sigset_t()))
        return w
    }()
    /// The strategy file, compiled once and run again for every symbol (see `instantiate`).
    private var chunkRef: Int32 = -1, pastRef: Int32 = -1
    /// Each series' `ctx.past` proxy (a table), by registry reference.
    private var proxyRefs: [Int32] = []
    /// The `ctx.past.x[k]` the strategy file reads with a literal k (`sourcePastLags`).
    private var pastLags: [(series: Int, lag: Int)] = []
    /// The series of `pastLags`, once each: their proxies are the bar loop's last arguments.
    private var pastSeries: [Int] { Array(Set(pastLags.map(\.series))).sorted() }
    public let indicatorNames: [String]
    public let path: String

    public static let baseSeries = ["open", "high", "low", "close", "volume"]

    /// - Parameters:
    ///   - indicators: the indicator names and whether each is a bool series (read as a Lua boolean).
    ///   - sources: the files' bytes as the run loaded them (`StrategyDefinition.sources`).
    public init(strategyPath: String, stdlib: String, fields: [String], params: [(name: String, value: ParamValue)],
                indicators: [(name: String, isBool: Bool)], libraries: LibrarySettings? = nil,
                limits: ScriptLimits = ScriptLimits(), sources: [String: Data] = [:]) throws {
        path = strategyPath
        indicatorNames = indicators.map(\.name)
        let roots = try LibraryPath(strategy: strategyPath, settings: libraries ?? LibrarySettings(stdlib: stdlib))
        vm = try LuaVM(limits: limits, libraries: roots)
        dsl = DSLContext(graph: Graph(), fields: fields)
        state = BarState(names: BarRuntime.baseSeries + indicators.map(\.name),
                         isBool: [false, false, false, false, false] + indicators.map(\.isBool))
        keys = indicators.map { strdup($0.name)! }
        vm.installDSL(dsl)
        try vm.installPrelude(dsl)
        let L = vm.L
        // The bytes the run loaded (`sources`), not the file as it is now: under `watch` a save
        // between loading and this worker's start must not give on_bar another version.
        vm.modules.pinned = sources
        guard let source = vm.modules.read(strategyPath) else { throw ScriptError("cannot read \(strategyPath)") }
        // Fields the strategy file names are set on every bar; the others (read, if ever, by a
        // library it calls or through a computed key) are served by ctx's __index when read.
        let named = sourceFieldNames(source)
        state.eager = (BarRuntime.fieldKeys + indicators.map(\.name)).map { named.contains($0) }
        let lags = sourcePastLags(source)
        pastLags = state.names.indices.flatMap { s in (lags[state.names[s]] ?? []).sorted().map { (series: s, lag: $0) } }
        try vm.load(source, chunkName: "@" + strategyPath)
        chunkRef = luaL_ref(L, SWL_REGISTRYINDEX)
        try instantiate()   // here only to report a broken file before any symbol runs
        // p: read-only, as `signals` gets it, and found without a call (`make_bar_params`).
        vm.pushLunarField("make_bar_params")
        swl_newtable(L)
        for p in params { pushParamValue(L, p.value); lua_setfield(L, -2, p.name) }
        pushStringList(L, params.map(\.name))
        try vm.call(nargs: 2, nresults: 1)
        paramsRef = luaL_ref(L, SWL_REGISTRYINDEX)
        buildContext()
        try vm.freezeSharedTables()
    }

    deinit { keys.forEach { free($0) }; watch.deallocate() }

    // MARK: - ctx

    private func buildContext() {
        let L = vm.L
        let s = Unmanaged.passUnretained(state).toOpaque()
        swl_newtable(L)                                            // stack: ctx
        // ctx.past: one proxy per series; unknown names raise with suggestions.
        // ctx.past is an empty table whose __index is the table of proxies (a table __index is
        // the VM's fast path), so writes to it hit __newindex and are refused.
        swl_newtable(L)                                            // stack: ctx, past
        // A proxy's `[k]` is read in C (`swl_pastindex`), on most bars of most strategies; it
        // hands every other case to `pastIndex`, which explains it. Each proxy is a table with
        // a metatable of its own (its series is an upvalue of its __index), out of the scripts'
        // reach; its raw [k] may hold the value (`swl_pastwindow`).
        swl_newtable(L)                                            // stack: ctx, past, meta
        swl_newtable(L)                                            // stack: ctx, past, meta, proxies
        proxyRefs = []
        for (i, name) in state.names.enumerated() {
            swl_newtable(L)                                        // the proxy
            swl_newtable(L)                                        // its metatable
            swl_pushcfunction(L, pastIndex)
            lua_pushlightuserdata(L, s)
            lua_pushlightuserdata(L, state.view)
            lua_pushinteger(L, lua_Integer(i))
            lua_pushcclosure(L, swl_pastindex, 4); lua_setfield(L, -2, "__index")
            lua_pushstring(L, "ctx.past.\(name)")
            swl_pushswift(L, readOnlyContext, s, 1); lua_setfield(L, -2, "__newindex")
            lua_pushboolean(L, 0); lua_setfield(L, -2, "__metatable")   // scripts cannot reach it
            lua_setmetatable(L, -2)
            lua_pushvalue(L, -1)
            proxyRefs.append(luaL_ref(L, SWL_REGISTRYINDEX))
            lua_setfield(L, -2, name)
        }
        swl_newtable(L)
        lua_pushstring(L, "ctx.past")
        swl_pushswift(L, unknownSeries, s, 1); lua_setfield(L, -2, "__index")
        lua_setmetatable(L, -2)                                    // proxies: unknown names raise
        lua_setfield(L, -2, "__index")
        lua_pushstring(L, "ctx.past")
        swl_pushswift(L, readOnlyContext, s, 1); lua_setfield(L, -2, "__newindex")
        lua_pushboolean(L, 0); lua_setfield(L, -2, "__metatable")   // scripts cannot swap it
        lua_setmetatable(L, -2)
        lua_pushvalue(L, -1)
        pastRef = luaL_ref(L, SWL_REGISTRYINDEX)                   // restored for every symbol
        lua_setfield(L, -2, "past")
        // Methods and lazily served fields live behind __index: the methods table itself (a
        // table __index is the VM's fast path, so `ctx:buy()` finds its method without a
        // call), whose own __index serves the fields not set on every bar and explains
        // unknown names.
        swl_newtable(L)                                            // stack: ctx, meta
        swl_newtable(L)                                            // stack: ctx, meta, methods
        // Each method's closure carries its side (or exit) as an integer upvalue.
        for side in OrderSide.allCases {
            lua_pushinteger(L, lua_Integer(side.rawValue))
            swl_pushswift(L, placeOrder, s, 1); lua_setfield(L, -2, side.method)
        }
        for exit in PriceExit.allCases {
            lua_pushinteger(L, lua_Integer(exit.rawValue))
            swl_pushswift(L, setExit, s, 1); lua_setfield(L, -2, exit.method)
        }
        swl_pushswift(L, cancelOrder, s, 0); lua_setfield(L, -2, "cancel")
        swl_newtable(L)                                            // stack: ctx, meta, methods, its meta
        swl_pushswift(L, contextIndex, s, 0); lua_setfield(L, -2, "__index")
        lua_setmetatable(L, -2)
        lua_setfield(L, -2, "__index")
        // ctx is one table per worker, reused for every symbol: a script's own field would
        // carry over to the next symbol and make results depend on the thread count.
        lua_pushstring(L, "ctx")
        swl_pushswift(L, readOnlyContext, s, 1); lua_setfield(L, -2, "__newindex")
        lua_pushboolean(L, 0); lua_setfield(L, -2, "__metatable")   // scripts cannot swap it
        lua_setmetatable(L, -2)
        ctxRef = luaL_ref(L, SWL_REGISTRYINDEX)
    }

    /// Runs `init` and `on_bar` over one symbol's bars through `broker`. Bars whose close is NaN
    /// (the symbol does not trade then) are skipped.
    public func run(_ inputs: BarInputs, broker: BarBroker) throws {
        let L = vm.L
        // Every symbol starts alike: math.random's sequence from the fixed seed, then a fresh
        // run of the strategy file (which may draw from it too).
        vm.reseed()
        try instantiate()
        state.enter(inputs, broker: broker)
        defer { state.enter(nil, broker: nil) }
        let budget = Int64(vm.limits.instructions)
        // One wall-clock deadline for the whole symbol (init and every on_bar), read once.
        let seconds = vm.limits.seconds
        let deadline = seconds > 0 ? swl_now() + seconds : 0
        swl_pushmsgh(L)                                            // stack: msgh
        let msgh = lua_gettop(L)
        defer { swl_clearbudget(L); lua_settop(L, msgh - 1) }
        lua_rawgeti(L, SWL_REGISTRYINDEX, lua_Integer(ctxRef))     // stack: msgh, ctx
        let ctx = lua_gettop(L)
        forgetForeignKeys(L, ctx)
        lua_pushstring(L, "symbol"); lua_pushstring(L, inputs.symbol); lua_rawset(L, ctx)
        lua_pushstring(L, "state"); swl_newtable(L); lua_rawset(L, ctx)
        lua_rawgeti(L, SWL_REGISTRYINDEX, lua_Integer(paramsRef))  // stack: msgh, ctx, p
        let params = lua_gettop(L)
        // p is the worker's for every symbol: a field a script put there with rawset goes.
        clearRawKeys(L, params)
        let keyCount = Int32(BarRuntime.fieldKeys.count + keys.count)
        let eager = eagerFields(firstKey: Int32(SWL_LOOP_KEYS), firstProxy: Int32(SWL_LOOP_KEYS) + keyCount)
        let fields = UnsafeMutableBufferPointer<swl_Field>.allocate(capacity: max(1, eager.count))
        _ = fields.initialize(from: eager)
        state.fields = UnsafeMutableBufferPointer(rebasing: fields[0 ..< eager.count])
        defer { state.fields = nil; fields.deallocate() }
        state.publish()
        let me = Unmanaged.passUnretained(state).toOpaque()
        var loop = swl_BarLoop(
            broker: me,
            beginbar: { me, t in
                let st = Unmanaged<BarState>.fromOpaque(me!).takeUnretainedValue()
                st.broker!.beginBar(Int(t)); st.publish()
            },
            endbar: { me, t in
                let st = Unmanaged<BarState>.fromOpaque(me!).takeUnretainedValue()
                st.broker!.endBar(Int(t)); st.publish()
            },
            snapshot: { me, out in
                let a = Unmanaged<BarState>.fromOpaque(me!).takeUnretainedValue().broker!.snapshot
                out![0] = a.position; out![1] = a.entryPrice; out![2] = a.equity; out![3] = a.cash
            },
            account: state.quiet, view: state.view, close: inputs.series[3], bars: Int64(inputs.count),
            fields: fields.baseAddress, nfields: Int32(eager.count),
            needsaccount: eager.contains { $0.kind == Int32(SWL_FIELD_ACCOUNT) } ? 1 : 0, nseries: Int32(state.names.count),
            values: state.account, budget: budget, deadline: deadline, timelimit: seconds, watch: nil)
        // on_bar calls run unhooked; the watchdog arms a call's budget once it runs long.
        if CallWatchdog.shared.available {
            watch.pointee.L = L
            CallWatchdog.shared.watch(watch)
            loop.watch = watch
        }
        defer {
            if loop.watch != nil {
                swl_watch_end(L, watch)   // a failed call never reached its own end
                CallWatchdog.shared.unwatch(watch)
            }
        }
        // The whole symbol is one protected call of the C loop (`swl_barloop`): Swift is called
        // only for a busy broker's bars and for orders. Its arguments, in SWL_LOOP_… order:
        // the loop, on_bar, init or nil, ctx, p, then every field's key as a Lua string, so a
        // field is set with a raw table write, without hashing or comparing C strings.
        try withUnsafeMutablePointer(to: &loop) { lp in
            swl_pushcfunction(L, swl_barloop)
            lua_pushlightuserdata(L, lp)
            lua_rawgeti(L, SWL_REGISTRYINDEX, lua_Integer(onBarRef))
            if initRef >= 0 { lua_rawgeti(L, SWL_REGISTRYINDEX, lua_Integer(initRef)) } else { lua_pushnil(L) }
            lua_pushvalue(L, ctx)
            lua_pushvalue(L, params)
            for name in BarRuntime.fieldKeys { lua_pushstring(L, name) }
            for key in keys { lua_pushstring(L, key) }
            let proxies = pastSeries
            for series in proxies { lua_rawgeti(L, SWL_REGISTRYINDEX, lua_Integer(proxyRefs[series])) }
            let nargs = Int32(SWL_LOOP_KEYS) - 1 + keyCount + Int32(proxies.count)
            let rc = swl_pcall(L, nargs, 0, msgh)
            if rc != LUA_OK { throw failure(rc) }
        }
    }

    /// The fields set on every bar (`BarState.eager`), as `swl_setfields` reads them: keys from
    /// `firstKey` on the stack, in `fieldKeys` order, then the indicators.
    private func eagerFields(firstKey: Int32, firstProxy: Int32) -> [swl_Field] {
        let base = BarRuntime.fieldKeys.count
        let proxies = pastSeries
        let past = pastLags.map { p in
            swl_Field(key: firstProxy + Int32(proxies.firstIndex(of: p.series)!), kind: Int32(SWL_FIELD_PAST), index: Int32(p.series),
                      lag: Int32(p.lag), active: 0, known: 0, last: 0)
        }
        return past + state.eager.indices.filter { state.eager[$0] }.map { k in
            let key = firstKey + Int32(k)
            switch k {
            case 0 ..< 5: return swl_Field(key: key, kind: Int32(SWL_FIELD_NUMBER), index: Int32(k), lag: 0, active: 1, known: 0, last: 0)
            case 5: return swl_Field(key: key, kind: Int32(SWL_FIELD_BAR), index: 0, lag: 0, active: 1, known: 0, last: 0)
            case 6 ..< base: return swl_Field(key: key, kind: Int32(SWL_FIELD_ACCOUNT), index: Int32(k - 6), lag: 0, active: 1, known: 0, last: 0)
            default:
                let series = 5 + k - base
                return swl_Field(key: key, kind: Int32(state.isBool[series] ? SWL_FIELD_BOOL : SWL_FIELD_NUMBER), index: Int32(series), lag: 0, active: 1, known: 0, last: 0)
            }
        }
    }

    /// Runs the strategy file afresh, with globals of its own (a table that reads through to
    /// the shared ones), and takes its `on_bar` and `init`. Done for every symbol, so that
    /// neither a global nor a file-level local that `on_bar` changes carries over to the next
    /// symbol this worker runs: results must not depend on which worker ran which symbols.
    private func instantiate() throws {
        let L = vm.L
        lua_rawgeti(L, SWL_REGISTRYINDEX, lua_Integer(chunkRef))   // stack: chunk
        swl_newtable(L)                                            // stack: chunk, env
        // The shared globals are copied in (the tables they hold, string, math…, are shared
        // and closed to new fields): a read such as `math.max` in on_bar is then a plain hit,
        // not a miss that goes through __index on every bar. __index still reads through, for
        // a global a library adds after the copy.
        lua_rawgeti(L, SWL_REGISTRYINDEX, lua_Integer(LUA_RIDX_GLOBALS))   // stack: chunk, env, globals
        lua_pushnil(L)
        while lua_next(L, -2) != 0 {                               // stack: …, globals, key, value
            lua_pushvalue(L, -2); swl_insert(L, -2)                // stack: …, globals, key, key, value
            lua_rawset(L, -5)
        }
        swl_pop(L, 1)                                              // stack: chunk, env
        lua_pushvalue(L, -1); lua_setfield(L, -2, "_G")            // _G.x = … stays in env too
        swl_newtable(L)                                            // stack: chunk, env, meta
        lua_rawgeti(L, SWL_REGISTRYINDEX, lua_Integer(LUA_RIDX_GLOBALS))
        lua_setfield(L, -2, "__index")
        lua_setmetatable(L, -2)
        _ = lua_setupvalue(L, -2, 1)                               // a main chunk's one upvalue is _ENV
        try vm.call(nargs: 0, nresults: 1)                         // stack: strategy
        guard lua_type(L, -1) == LUA_TTABLE else { swl_pop(L, 1); throw ScriptError("\(path): the file must return a strategy") }
        rawField(L, -1, "on_bar")
        guard lua_type(L, -1) == LUA_TFUNCTION else { swl_pop(L, 2); throw ScriptError("\(path): the strategy has no on_bar(ctx, p)") }
        luaL_unref(L, SWL_REGISTRYINDEX, onBarRef)
        onBarRef = luaL_ref(L, SWL_REGISTRYINDEX)
        luaL_unref(L, SWL_REGISTRYINDEX, initRef)
        rawField(L, -1, "init")
        if lua_type(L, -1) == LUA_TFUNCTION { initRef = luaL_ref(L, SWL_REGISTRYINDEX) } else { initRef = -1; swl_pop(L, 1) }
        swl_pop(L, 1)
    }

    /// Removes every ctx key Lunar did not put there (one written with `rawset` despite the
    /// read-only guard), so nothing a script stores in ctx reaches the next symbol.
    private func forgetForeignKeys(_ L: OpaquePointer, _ ctx: Int32) {
        // ctx.past holds no raw keys of its own: clear any, and put it back in case the script
        // replaced ctx.past itself.
        lua_rawgeti(L, SWL_REGISTRYINDEX, lua_Integer(pastRef))
        clearRawKeys(L, lua_gettop(L))
        lua_pushstring(L, "past"); swl_insert(L, -2); lua_rawset(L, ctx)
        // A proxy's raw keys are the previous symbol's values (or a script's rawset): gone.
        for ref in proxyRefs {
            lua_rawgeti(L, SWL_REGISTRYINDEX, lua_Integer(ref))
            clearRawKeys(L, lua_gettop(L))
            swl_pop(L, 1)
        }
        lua_pushnil(L)
        while lua_next(L, ctx) != 0 {
            swl_pop(L, 1)                                           // the value
            // Only a string key may be read as text (lua_tolstring converts numbers in place).
            let own = lua_type(L, -1) == LUA_TSTRING && ownKeys.contains(String(cString: swl_tostring(L, -1)!))
            if !own {
                // Clearing a field during the traversal is allowed (it stays in the table).
                lua_pushvalue(L, -1); lua_pushnil(L); lua_rawset(L, ctx)
            }
        }
    }

    /// The keys ctx holds as raw fields: the bar's values, the indicators, symbol, state, past.
    private lazy var ownKeys = Set(ContextVocabulary.barFields + indicatorNames + ContextVocabulary.symbolFields)

    /// The per-bar fields, in the order their keys sit on the stack (indicators follow).
    static let fieldKeys = ContextVocabulary.barFields

    /// The error of a failed call at the current bar, with the symbol and the date.
    private func failure(_ rc: Int32) -> ScriptError {
        let e = vm.popError(rc)
        let inputs = state.inputs!
        return ScriptError("\(inputs.symbol) at \(inputs.date(state.t)) (bar \(state.t)): \(e.message)", traceback: e.traceback)
    }
}

/// Removes every raw key of the table at `index` (clearing fields during a traversal is allowed).
func clearRawKeys(_ L: OpaquePointer?, _ index: Int32) {
    let t = lua_absindex(L, index)
    lua_pushnil(L)
    while lua_next(L, t) != 0 {
        swl_pop(L, 1)
        lua_pushvalue(L, -1); lua_pushnil(L); lua_rawset(L, t)
    }
}

/// ctx.position, entry_price, equity and cash from the broker; ctx is at `index`.
@inline(__always)
func setAccountFields(_ L: OpaquePointer?, _ index: Int32, _ broker: BarBroker, _ st: BarState) {
    let ctx = lua_absindex(L, index)
    let a = broker.snapshot
    // Only the fields set on every bar: the others are absent, and served live when read.
    func set(_ k: Int, _ name: StaticString, _ v: Double) {
        guard st.eager[6 + k] else { return }
        name.withUTF8Buffer { b in b.withMemoryRebound(to: CChar.self) { _ = lua_pushlstring(L, $0.baseAddress, $0.count) } }
        lua_pushnumber(L, v); lua_rawset(L, ctx)
    }
    set(0, "position", a.position); set(1, "entry_price", a.entryPrice); set(2, "equity", a.equity); set(3, "cash", a.cash)
}

func pushParamValue(_ L: OpaquePointer, _ v: ParamValue) {
    switch v {
    case .number(let x):
        if x == x.rounded(), abs(x) < 1e15 { lua_pushinteger(L, lua_Integer(x)) } else { lua_pushnumber(L, x) }
    case .string(let s): lua_pushstring(L, s)
    case .bool(let b): lua_pushboolean(L, b ? 1 : 0)
    }
}

// MARK: - callbacks

/// `ctx.past.x[k]`: x k bars back. k < 0 would be the future: an error. Before the first bar: NaN.
private func pastIndex(_ L: OpaquePointer?) -> Int32 {
    let st = luaContext(L, as: BarState.self)
    let series = Int(lua_tointegerx(L, swl_upvalueindex(4), nil))
    var isInt: Int32 = 0
    let k = lua_tointegerx(L, 2, &isInt)
    guard isInt != 0 else {
        return luaFail(L, "ctx.past.\(st.names[series])[k]: k must be a whole number of bars back, got \(typeName(L, 2))")
    }
    guard k >= 0 else {
        return luaFail(L, "ctx.past.\(st.names[series])[\(k)]: a negative index would read a future bar (k must be ≥ 0)")
    }
    guard let inputs = st.inputs else { return luaFail(L, "ctx.past is only readable inside init or on_bar") }
    let t = st.t - Int(k)
    let v = t >= 0 ? inputs.series[series][t] : .nan
    if st.isBool[series] { lua_pushboolean(L, v == 1 ? 1 : 0) } else { lua_pushnumber(L, v) }
    return 1
}

/// `ctx.x = v` or `ctx.past.x = v`: refused (upvalue 3 names the table).
private func readOnlyContext(_ L: OpaquePointer?) -> Int32 {
    let table = swl_tostring(L, swl_upvalueindex(3)).map { String(cString: $0) } ?? "ctx"
    let key = lua_type(L, 2) == LUA_TSTRING ? "." + String(cString: swl_tostring(L, 2)!) : "[…]"
    return luaFail(L, "\(table)\(key) cannot be set: \(table) is Lunar's, filled for every bar; " +
        "keep your own values in ctx.state (one table per symbol)")
}

private func unknownSeries(_ L: OpaquePointer?) -> Int32 {
    let st = luaContext(L, as: BarState.self)
    let key = swl_tostring(L, 2).map { String(cString: $0) } ?? "?"
    let s = closestMatches(to: key, in: st.names)
    return luaFail(L, "ctx.past has no series '\(key)'" + (s.isEmpty ? "" : "; did you mean \(s.map { "'\($0)'" }.joined(separator: ", "))?"))
}

/// ctx's keys that are neither set nor methods: the fields served when read, `date` (made
/// only when read), else an error with suggestions.
private func contextIndex(_ L: OpaquePointer?) -> Int32 {
    let st = luaContext(L, as: BarState.self)
    guard lua_type(L, 2) == LUA_TSTRING, let raw = swl_tostring(L, 2) else { return luaFail(L, "ctx: field names are strings") }
    let key = String(cString: raw)
    if let k = st.served[key], st.inputs != nil {
        st.pushField(L, k)   // a field not set on every bar (the strategy's source never names it)
        return 1
    }
    if key == "date", let inputs = st.inputs {
        lua_pushstring(L, inputs.date(st.t))
        return 1
    }
    let known = st.names + ContextVocabulary.names.filter { !st.names.contains($0) }
    let s = closestMatches(to: key, in: known)
    return luaFail(L, "ctx has no field '\(key)'" + (s.isEmpty ? "" : "; did you mean \(s.map { "'\($0)'" }.joined(separator: ", "))?"))
}

/// `ctx:buy()`, `ctx:buy(10)`, `ctx:buy{size = 10, limit = p, stop = q, bars = n}`; likewise
/// sell, short, cover, close_position. Returns the order's id.
private func placeOrder(_ L: OpaquePointer?) -> Int32 {
    let st = luaContext(L, as: BarState.self)
    let side = OrderSide(rawValue: Int(lua_tointegerx(L, swl_upvalueindex(3), nil)))!
    let name = side.method
    guard let broker = st.broker else { return luaFail(L, "ctx:\(name) can only be called inside on_bar") }
    guard lua_type(L, 1) == LUA_TTABLE else { return luaFail(L, "call it as ctx:\(name)(...), with a colon") }
    var size: Double? = nil, limit: Double? = nil, stop: Double? = nil, bars: Int? = nil
    switch lua_type(L, 2) {
    case LUA_TNIL, LUA_TNONE: break
    case LUA_TNUMBER: size = lua_tonumberx(L, 2, nil)
    case LUA_TTABLE:
        for key in ["size", "limit", "stop", "bars"] {
            // Read the field and pop it before any failure: the error message must stay on top.
            rawField(L, 2, key)
            let type = lua_type(L, -1), typeText = typeName(L, -1), v = lua_tonumberx(L, -1, nil)
            swl_pop(L, 1)
            if type == LUA_TNIL { continue }
            guard type == LUA_TNUMBER else { return luaFail(L, "ctx:\(name){\(key) = …}: expected a number, got \(typeText)") }
            switch key {
            case "size": size = v
            case "limit": limit = v
            case "stop": stop = v
            default:
                guard v >= 1, v == v.rounded() else { return luaFail(L, "ctx:\(name){bars = …}: expected a whole number ≥ 1, got \(shown(v))") }
                bars = Int(v)
            }
        }
        lua_pushnil(L)
        while lua_next(L, 2) != 0 {
            swl_pop(L, 1)
            // Only a string key may be read as text: lua_tolstring would turn a number key into
            // a string in place and break the traversal.
            let k = lua_type(L, -1) == LUA_TSTRING ? String(cString: swl_tostring(L, -1)!) : "?"
            if !["size", "limit", "stop", "bars"].contains(k) {
                return luaFail(L, "ctx:\(name): unknown option '\(k)' (use size, limit, stop, bars)")
            }
        }
    default: return luaFail(L, "ctx:\(name): expected a size, a table of options or nothing, got \(typeName(L, 2))")
    }
    if let v = size, !(v > 0 && v.isFinite) { return luaFail(L, "ctx:\(name): size must be a positive number of units, got \(shown(v))") }
    for (label, v) in [("limit", limit), ("stop", stop)] {
        if let v, !(v > 0 && v.isFinite) { return luaFail(L, "ctx:\(name): \(label) must be a positive price, got \(shown(v))") }
    }
    st.syncBroker()
    let id = broker.submit(side: side, size: size, limit: limit, stop: stop, bars: bars)
    setAccountFields(L, 1, broker, st)     // an order filled at the close shows at once
    st.forgetFields()
    st.publish()
    lua_pushinteger(L, lua_Integer(id))
    return 1
}

/// `ctx:stop_loss(price)`, `ctx:take_profit(price)`, `ctx:trailing_stop(fraction)` for the open position.
private func setExit(_ L: OpaquePointer?) -> Int32 {
    let st = luaContext(L, as: BarState.self)
    let exit = PriceExit(rawValue: Int(lua_tointegerx(L, swl_upvalueindex(3), nil)))!
    let name = exit.method
    guard let broker = st.broker else { return luaFail(L, "ctx:\(name) can only be called inside on_bar") }
    guard lua_type(L, 2) == LUA_TNUMBER else { return luaFail(L, "ctx:\(name): expected a number, got \(typeName(L, 2))") }
    let v = lua_tonumberx(L, 2, nil)
    st.syncBroker()
    defer { st.publish() }
    switch exit {
    case .stopLoss:
        guard v > 0 else { return luaFail(L, "ctx:stop_loss: expected a positive price, got \(shown(v))") }
        broker.setStopLoss(v)
    case .takeProfit:
        guard v > 0 else { return luaFail(L, "ctx:take_profit: expected a positive price, got \(shown(v))") }
        broker.setTakeProfit(v)
    case .trailingStop:
        guard v > 0, v < 1 else { return luaFail(L, "ctx:trailing_stop: expected a fraction in (0, 1), e.g. 0.05, got \(shown(v))") }
        broker.setTrailingStop(v)
    }
    return 0
}

private func cancelOrder(_ L: OpaquePointer?) -> Int32 {
    let st = luaContext(L, as: BarState.self)
    guard let broker = st.broker else { return luaFail(L, "ctx:cancel can only be called inside on_bar") }
    var isInt: Int32 = 0
    let id = lua_tointegerx(L, 2, &isInt)
    guard isInt != 0 else { return luaFail(L, "ctx:cancel(id): expected an order id, got \(typeName(L, 2))") }
    st.syncBroker()
    broker.cancel(Int(id))
    st.publish()
    return 0
}

/// A number as Lua would print it in a message: 2 rather than 2.0, nan rather than -nan.
private func shown(_ v: Double) -> String {
    if v.isNaN { return "nan" }
    if v.isInfinite { return v > 0 ? "inf" : "-inf" }
    return v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
}
