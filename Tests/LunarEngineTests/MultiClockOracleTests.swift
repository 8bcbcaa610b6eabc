import LunarData
import LunarEngine
import LunarGraph
import Testing

/// Graphs mixing the base bars with coarser clocks (weeks, months, quarters), on a business-day
/// calendar with holidays: the fused executor, which runs each clock in stages of its own and
/// aligns by a gather, against the naive evaluator; and causality across clocks.
@Suite("Multi-clock graphs against the naive oracle")
struct MultiClockOracleTests {
    static let clocks: [Timeframe] = [.week, .month, .quarter]

    /// `f.panel` moved onto weekdays from 2 January 2023, with about one weekday in 25 a holiday.
    static func calendarPanel(_ f: inout Fixture, symbols: Int, bars: Int) -> Panel {
        let base = f.panel(symbols: symbols, bars: bars)
        var days: [Int64] = []
        var d = Calendar.daysFromCivil(2023, 1, 2)
        while days.count < bars {
            if Calendar.weekday(days: d) < 5 && !f.chance(0.04) { days.append(d * 86_400) }
            d += 1
        }
        return try! Panel(symbols: base.symbols, timestamps: days, fields: base.fields)
    }

    /// A random graph whose nodes follow the base bars or one of `clocks`; nodes of different
    /// clocks that meet are aligned by the graph builder. Returns coarse-only outputs too.
    static func graph(_ f: inout Fixture, size: Int, sma: Bool) -> (Graph, [NodeID]) {
        let g = Graph()
        let fields = Panel.standardFields
        var floats = fields.map { g.field($0) }
        for tf in clocks where f.chance(0.8) { floats += fields.map { try! g.resample(g.field($0), to: tf) } }
        floats.append(g.calendar(.dayOfWeek))
        var bools: [NodeID] = [g.calendar(.periodStart(f.pick(clocks)))]
        var windowed = ["ema", "stdev", "highest", "lowest", "shift", "diff"]
        if sma { windowed.append("sma") }
        let constants: [Double] = [0, 1, 2, 0.5, 50]
        func operand(_ f: inout Fixture) -> NodeID { f.chance(0.2) ? g.constant(f.pick(constants)) : f.pick(floats) }
        while floats.count + bools.count < size + 20 {
            switch f.int(0 ... 8) {
            case 0, 1, 2:
                let name = f.pick(windowed)
                floats.append(try! g.primitive(name, inputs: [f.pick(floats)], params: [Double(f.int(1 ... 6))])[0])
            case 3:
                let id = try! g.binary(f.pick([BinaryOp.add, .sub, .mul, .div, .min, .max]), f.pick(floats), operand(&f))
                if g[id].type == .float { floats.append(id) }
            case 4: bools.append(try! g.binary(f.pick([BinaryOp.gt, .lt, .ge]), f.pick(floats), operand(&f)))
            case 5: bools.append(try! g.primitive(f.pick(["crossover", "crossunder"]), inputs: [f.pick(floats), f.pick(floats)], params: [])[0])
            case 6: bools.append(try! g.binary(f.pick([.and, .or]), f.pick(bools), f.pick(bools)))
            case 7: floats.append(try! g.select(f.pick(bools), operand(&f), f.pick(floats)))
            case 8: floats.append(try! g.crossSection(f.pick(CrossSectionOp.allCases), f.pick(floats)))
            default: break
            }
        }
        var outputs = [floats.last!, bools.last!]
        for _ in 0 ..< f.int(1 ... 4) { outputs.append(f.chance(0.5) ? f.pick(floats) : f.pick(bools)) }
        return (g, outputs)
    }

    @Test("random multi-clock graphs without sma are bit-equal to the oracle", arguments: 0 ..< 40)
    func bitEqual(seed: Int) throws {
        var f = Fixture(seed: 16_000 &+ UInt64(seed) &* 0x9E37_79B9)
        let panel = Self.calendarPanel(&f, symbols: f.int(1 ... 9), bars: f.int(1 ... 400))
        let (g, outputs) = Self.graph(&f, size: f.int(5 ... 30), sma: false)
        try checkAgainstOracle(g, outputs, panel, tolerance: 0, "seed \(seed)")
    }

    @Test("random multi-clock graphs with sma agree to 1e-12", arguments: 0 ..< 30)
    func withSMA(seed: Int) throws {
        var f = Fixture(seed: 61_000 &+ UInt64(seed) &* 0x9E37_79B9)
        let panel = Self.calendarPanel(&f, symbols: f.int(1 ... 9), bars: f.int(50 ... 900))
        let (g, outputs) = Self.graph(&f, size: f.int(5 ... 30), sma: true)
        try checkAgainstOracle(g, outputs, panel, tolerance: 1e-12, "seed \(seed)")
    }

    /// Changing bar t changes no aligned value before t, and no value aligned from a coarser
    /// clock at any bar before t's period is complete (its last bar in the calendar).
    @Test("perturbing bar t changes nothing earlier, nor a coarser value before t's period completes", arguments: 0 ..< 30)
    func causality(seed: Int) throws {
        var f = Fixture(seed: 99_000 &+ UInt64(seed))
        let n = f.int(1 ... 6), T = f.int(20 ... 300)
        let panel = Self.calendarPanel(&f, symbols: n, bars: T)
        let (g, raw) = Self.graph(&f, size: f.int(5 ... 30), sma: true)
        let outputs = raw.map { g.aligned($0) }
        let bar = f.int(0 ... T - 1)
        let changed = try f.perturbing(panel, bar: bar)
        for engine in ["naive", "fused"] {
            func run(_ p: Panel) throws -> [NodeID: [Double]] {
                engine == "naive" ? try NaiveEvaluator(panel: p).evaluate(g, outputs: outputs) : try FusedEngine.evaluate(g, outputs: outputs, panel: p)
            }
            let before = try run(panel), after = try run(changed)
            for (id, source) in zip(outputs, raw) {
                // Up to where the output may first change: bar t, or for a coarse series the
                // bar at which t's period completes (never, if it is still forming at the end).
                var until = bar
                if let tf = g[source].clock {
                    let r = try panel.resampling(tf)
                    let p = r.starts.lastIndex { $0 <= bar }!
                    until = p == r.periodCount - 1 && !r.lastIsComplete ? T : r.ends[p] - 1
                }
                for s in 0 ..< n {
                    let early = s * T ..< s * T + until
                    #expect(firstMismatch(Array(before[id]![early]), Array(after[id]![early]), tolerance: 0) == nil,
                            "seed \(seed) \(engine): \(g.describe(id)) changed before bar \(until) (perturbed \(bar), symbol \(s))")
                }
            }
        }
    }

    @Test("a weekly SMA runs on weekly bars: 10 weeks, not 10 days filled forward")
    func weeklyAverageIsOverWeeks() throws {
        var f = Fixture(seed: 5)
        let panel = Self.calendarPanel(&f, symbols: 3, bars: 300)
        let g = Graph()
        let weekly = try g.resample(g.field("close"), to: .week)
        let sma = g.aligned(try g.primitive("sma", inputs: [weekly], params: [10])[0])
        let out = try FusedEngine.evaluate(g, outputs: [sma, weekly], panel: panel)
        let r = try panel.resampling(.week)
        let closes = panel.values("close")!
        for s in 0 ..< 3 {
            // By hand: each week's last valid close, the mean of the last 10 complete weeks.
            let weeks = (0 ..< r.periodCount).map { p in (r.starts[p] ..< r.ends[p]).reversed().map { closes[s * 300 + $0] }.first { !$0.isNaN } ?? .nan }
            #expect(firstMismatch(Array(out[weekly]![s * r.periodCount ..< (s + 1) * r.periodCount]), weeks, tolerance: 0) == nil)
            for t in 0 ..< 300 {
                let done = Int(r.completed[t])
                let window = done >= 10 ? Array(weeks[done - 10 ..< done]) : []
                let want = window.count == 10 && !window.contains(where: \.isNaN) ? window.reduce(0, +) / 10 : .nan
                #expect(close(out[sma]![s * 300 + t], want, tolerance: 1e-12), "symbol \(s) bar \(t)")
            }
        }
    }

    @Test("the planner runs coarse clocks in their own shorter stages and materializes only what is aligned")
    func planShape() throws {
        var f = Fixture(seed: 8)
        let panel = Self.calendarPanel(&f, symbols: 8, bars: 500)
        let g = Graph()
        let weekly = try g.primitive("sma", inputs: [try g.resample(g.field("close"), to: .week)], params: [10])[0]
        let daily = try g.primitive("sma", inputs: [g.field("close")], params: [20])[0]
        let out = try g.binary(.gt, daily, weekly)
        let compiled = try FusedEngine.compile(g, outputs: [out], symbols: 8, bars: 500,
                                               clockBars: FusedEngine.clockBars(g, outputs: [out], panel: panel))
        let plan = compiled.plan
        let weeks = try panel.resampling(.week).periodCount
        #expect(plan.clocks == [.week] && plan.clockBars == [weeks])
        let working = plan.stages.filter { !$0.steps.isEmpty }
        #expect(working.count == 2 && working[0].clock == 0 && working[0].bars == weeks && working[1].clock == nil)
        #expect(plan.bufferBars.sorted() == [weeks, 500])   // the weekly SMA, and the output
        #expect(plan.explain().contains("align("))
        // A plan made for one calendar refuses a panel with another number of weeks.
        let other = Self.calendarPanel(&f, symbols: 8, bars: 500)
        if try other.resampling(.week).periodCount != weeks {
            #expect(throws: EvaluationError.self) { try FusedExecutor(plan: plan).run(other) }
        }
    }
}
