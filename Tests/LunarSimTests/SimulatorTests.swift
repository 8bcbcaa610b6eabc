import LunarData
import LunarSim
import Testing

/// A daily panel from per-symbol closes (open = previous close unless given, high/low = the bar's extremes).
func makePanel(_ closes: [[Double]], opens: [[Double]]? = nil, highs: [[Double]]? = nil, lows: [[Double]]? = nil,
               start: Int64 = 1_577_836_800 /* 2020-01-01 */) throws -> Panel {
    let N = closes.count, T = closes[0].count
    var o = [Double](), h = [Double](), l = [Double](), c = [Double]()
    for s in 0 ..< N {
        for t in 0 ..< T {
            let cl = closes[s][t]
            let op = opens?[s][t] ?? (t > 0 ? closes[s][t - 1] : cl)
            c.append(cl); o.append(op)
            h.append(highs?[s][t] ?? max(op, cl)); l.append(lows?[s][t] ?? min(op, cl))
        }
    }
    return try Panel(symbols: (0 ..< N).map { "S\($0)" }, timestamps: (0 ..< T).map { start + Int64($0) * 86_400 },
                     fields: ["open": o, "high": h, "low": l, "close": c, "volume": [Double](repeating: 1, count: N * T)])
}

func flags(_ T: Int, _ bars: Int...) -> [Double] {
    var a = [Double](repeating: 0, count: T)
    for b in bars { a[b] = 1 }
    return a
}

func options(capital: Double = 100, _ configure: (inout SimulationOptions) -> Void = { _ in }) -> SimulationOptions {
    var o = SimulationOptions(capital: capital, fees: 0, threads: 1)
    configure(&o)
    return o
}

@Suite struct SimulatorTests {
    @Test func shortTradeProfitsFromAFall() throws {
        let p = try makePanel([[10, 10, 8, 8]])
        var inputs = SignalInputs()
        inputs.shortEntries = flags(4, 1); inputs.shortExits = flags(4, 3)
        let r = try Simulator.run(panel: p, inputs: inputs, options: options())
        let t = try #require(r.runs[0].trades.first)
        #expect(t.isShort && !t.isOpen && t.size == 10 && t.entryBar == 1 && t.exitBar == 3)
        #expect(t.pnl == 20)
        #expect(r.equity == [100, 100, 120, 120])
    }

    @Test func oppositeEntryIsIgnoredUnlessReverse() throws {
        let p = try makePanel([[10, 10, 12, 9]])
        var inputs = SignalInputs(entries: flags(4, 0), exits: flags(4))
        inputs.shortEntries = flags(4, 2)
        let plain = try Simulator.run(panel: p, inputs: inputs, options: options())
        #expect(plain.runs[0].trades.count == 1 && plain.runs[0].trades[0].isOpen && !plain.runs[0].trades[0].isShort)
        let rev = try Simulator.run(panel: p, inputs: inputs, options: options { $0.reverse = true })
        let tr = rev.runs[0].trades
        #expect(tr.count == 2)
        #expect(tr[0].exitReason == .reverse && tr[0].exitBar == 2 && tr[0].pnl == 20)
        #expect(tr[1].isShort && tr[1].isOpen && tr[1].entryPrice == 12 && tr[1].size == 10)
        #expect(abs(rev.equity.last! - (120 + 10 * 3)) < 1e-9)
    }

    @Test func conflictingSignalsOnOneBarCancel() throws {
        let p = try makePanel([[10, 11, 12]])
        let r = try Simulator.run(panel: p, inputs: SignalInputs(entries: flags(3, 1), exits: flags(3, 1)), options: options())
        #expect(r.runs[0].trades.isEmpty)
    }

    @Test func targetPositionTradesOnChange() throws {
        let p = try makePanel([[10, 10, 20, 20, 10]])
        var inputs = SignalInputs()
        inputs.position = [.nan, 0.5, 0.5, 0, .nan]
        let r = try Simulator.run(panel: p, inputs: inputs, options: options())
        let t = try #require(r.runs[0].trades.first)
        #expect(r.runs[0].trades.count == 1)
        #expect(t.size == 5 && t.entryBar == 1 && t.exitBar == 3 && t.exitReason == .rebalance && t.pnl == 50)
        #expect(r.equity == [100, 100, 150, 150, 150])
    }

    @Test func fixedFeeAndSlippageGoAgainstTheTrader() throws {
        let p = try makePanel([[10, 10, 10]])
        let r = try Simulator.run(panel: p, inputs: SignalInputs(entries: flags(3, 0), exits: flags(3, 2)),
                                  options: options { $0.fixedFee = 1; $0.slippage = 0.01; $0.fees = 0.001 })
        let t = try #require(r.runs[0].trades.first)
        #expect(t.entryPrice == 10 * 1.01 && t.exitPrice == 10 * 0.99)
        #expect(abs(t.size - (99 / 1.001) / 10.1) < 1e-12)
        #expect(abs(t.entryFees - (100 - 99 / 1.001)) < 1e-12)
        #expect(abs(t.exitFees - (t.size * 9.9 * 0.001 + 1)) < 1e-12)
        #expect(abs(r.equity.last! - (t.size * 9.9 - t.exitFees)) < 1e-9)
        #expect(r.runs[0].feesPaid == t.entryFees + t.exitFees)
    }

    @Test(arguments: [("units:3", false, 3.0), ("cash:50", false, 5.0), ("fraction:0.25", false, 2.5),
                      ("0.25", true, 2.0), ("all", true, 10.0), ("units:50", false, 10.0)])
    func sizingRules(text: String, integer: Bool, size: Double) throws {
        let p = try makePanel([[10, 10]])
        var o = options { $0.integerUnits = integer }
        try o.set("sizing", Setting.builtIn("sizing").parse(text))
        let r = try Simulator.run(panel: p, inputs: SignalInputs(entries: flags(2, 0), exits: flags(2)), options: o)
        #expect(r.runs[0].trades.first?.size == size)
    }

    @Test func nextOpenStopIsLiveOnTheFillBar() throws {
        // Entry decided on bar 0, filled at open[1] = 10; bar 1's low 9 breaks the 5 % stop (9.5).
        let p = try makePanel([[10, 10, 10]], opens: [[10, 10, 10]], highs: [[10, 10.2, 10]], lows: [[10, 9, 10]])
        let r = try Simulator.run(panel: p, inputs: SignalInputs(entries: flags(3, 0), exits: flags(3)),
                                  options: options { $0.fill = .nextOpen; $0.stopLoss = 0.05 })
        let t = try #require(r.runs[0].trades.first)
        #expect(t.entryBar == 1 && t.exitBar == 1 && t.exitReason == .stopLoss && t.exitPrice == 10 * (1 - 0.05))
    }

    @Test func shortStopsMirror() throws {
        // Short at 10; bar 1 gaps up to 11 through the 5 % stop (10.5): filled at the open.
        let p = try makePanel([[10, 11.5, 11]], opens: [[10, 11, 11]])
        var inputs = SignalInputs()
        inputs.shortEntries = flags(3, 0)
        let r = try Simulator.run(panel: p, inputs: inputs, options: options { $0.stopLoss = 0.05; $0.takeProfit = 0.1 })
        let t = try #require(r.runs[0].trades.first)
        #expect(t.isShort && t.exitReason == .stopLossGap && t.exitPrice == 11 && t.exitBar == 1)
    }

    @Test func stopLossWinsOverTakeProfitInOneBar() throws {
        let p = try makePanel([[10, 10]], opens: [[10, 10]], highs: [[10, 12]], lows: [[10, 8]])
        let r = try Simulator.run(panel: p, inputs: SignalInputs(entries: flags(2, 0), exits: flags(2)),
                                  options: options { $0.stopLoss = 0.1; $0.takeProfit = 0.1 })
        #expect(r.runs[0].trades.first?.exitReason == .stopLoss)
    }

    @Test func docStopExamples() throws {
        let both = try makePanel([[100, 100]], opens: [[100, 96]], highs: [[100, 111]], lows: [[100, 94]])
        let r1 = try Simulator.run(panel: both, inputs: SignalInputs(entries: flags(2, 0), exits: flags(2)),
                                   options: options { $0.stopLoss = 0.05; $0.takeProfit = 0.10 })
        #expect(r1.runs[0].trades.first?.exitPrice == 100 * (1 - 0.05))
        let gap = try makePanel([[100, 100]], opens: [[100, 93]], highs: [[100, 111]], lows: [[100, 90]])
        let r2 = try Simulator.run(panel: gap, inputs: SignalInputs(entries: flags(2, 0), exits: flags(2)),
                                   options: options { $0.stopLoss = 0.05; $0.takeProfit = 0.10 })
        #expect(r2.runs[0].trades.first?.exitPrice == 93 && r2.runs[0].trades.first?.exitReason == .stopLossGap)
        let trail = try makePanel([[100, 107, 105]], opens: [[100, 100, 106]], highs: [[100, 108, 106]], lows: [[100, 99, 104]])
        let r3 = try Simulator.run(panel: trail, inputs: SignalInputs(entries: flags(3, 0), exits: flags(3)),
                                   options: options { $0.trailingStop = 0.03 })
        let t = try #require(r3.runs[0].trades.first)
        #expect(t.exitBar == 2 && t.exitReason == .trailingStop && abs(t.exitPrice - 104.76) < 1e-12)
    }

    @Test func targetWithNextOpenAndStops() throws {
        // position 1 decided on bar 0, bought at o[1] = 10; bar 1's low 9 breaks a 5 % stop.
        let p = try makePanel([[10, 10, 10]], opens: [[10, 10, 10]], highs: [[10, 10, 10]], lows: [[10, 9, 10]])
        var inputs = SignalInputs(); inputs.position = [1, 1, 1]
        let r = try Simulator.run(panel: p, inputs: inputs, options: options { $0.fill = .nextOpen; $0.stopLoss = 0.05 })
        let t = try #require(r.runs[0].trades.first)
        #expect(t.entryBar == 1 && t.exitBar == 1 && t.exitReason == .stopLoss)
        #expect(r.runs[0].trades.count == 1)   // the unchanged target does not buy back in
    }

    @Test func signalsAndTargetsDoNotMix() throws {
        let p = try makePanel([[10, 10]])
        var both = SignalInputs(entries: flags(2, 0)); both.position = [1, 1]
        #expect(throws: SimulationError.self) { try Simulator.run(panel: p, inputs: both, options: options()) }
        var stops = SignalInputs(); stops.weight = [1, 1]
        #expect(throws: SimulationError.self) {
            try Simulator.run(panel: p, inputs: stops, options: options { $0.stopLoss = 0.1 })
        }
    }

    @Test func perBarStopSeriesOverridesTheOption() throws {
        let p = try makePanel([[10, 10]], opens: [[10, 10]], highs: [[10, 10]], lows: [[10, 9.5]])
        var inputs = SignalInputs(entries: flags(2, 0), exits: flags(2))
        inputs.stopLoss = [0.02, .nan]   // read on the entry bar: 2 % → 9.8, broken by the low 9.5
        let r = try Simulator.run(panel: p, inputs: inputs, options: options { $0.stopLoss = 0.1 })
        #expect(r.runs[0].trades.first?.exitPrice == 10 * (1 - 0.02))
    }

    @Test func nanOpenDropsTheNextOpenOrder() throws {
        let p = try makePanel([[10, 10, 10]], opens: [[10, .nan, 10]])
        let r = try Simulator.run(panel: p, inputs: SignalInputs(entries: flags(3, 0), exits: flags(3)),
                                  options: options { $0.fill = .nextOpen })
        #expect(r.runs[0].trades.isEmpty && r.runs[0].skippedOrders == 1)
    }

    @Test func lastBarOrderNeverFillsAtNextOpen() throws {
        let p = try makePanel([[10, 10, 10]])
        let r = try Simulator.run(panel: p, inputs: SignalInputs(entries: flags(3, 2), exits: flags(3)),
                                  options: options { $0.fill = .nextOpen })
        #expect(r.runs[0].trades.isEmpty)
    }

    @Test func badInputIsRejected() throws {
        let p = try makePanel([[10, 10]])
        #expect(throws: SimulationError.self) {
            try Simulator.run(panel: p, inputs: SignalInputs(entries: [0.5, 0], exits: nil), options: options())
        }
        var pos = SignalInputs(); pos.position = [1.5, 0]
        #expect(throws: SimulationError.self) { try Simulator.run(panel: p, inputs: pos, options: options()) }
        #expect(throws: SettingError(setting: "capital", value: "-1", expected: "a positive amount of cash")) {
            try Simulator.run(panel: p, inputs: SignalInputs(entries: flags(2, 0)), options: options(capital: -1))
        }
        #expect(throws: SettingError.self) {
            try Simulator.run(panel: p, inputs: SignalInputs(entries: flags(2, 0)), options: options { $0.fees = -0.01 })
        }
        #expect(Sizing(text: "fraction:2") == nil)
        #expect(Rebalance(text: "fortnightly") == nil)
        let two = try makePanel([[10, 10], [20, 20]])
        var w = SignalInputs(); w.weight = [0.6, 0.6, 0.6, 0.6]
        #expect(throws: SimulationError.self) { try Simulator.run(panel: two, inputs: w, options: options()) }
        // The array interface checks its sizes.
        #expect(throws: SimulationError.self) {
            try Simulator.run(close: [1, 2], entries: [0], exits: [0, 0], symbols: 1, bars: 2, options: options())
        }
        // Settings of target portfolios given to entries and exits: refused, not ignored.
        let signals = SignalInputs(entries: flags(2, 0))
        #expect(throws: SimulationError.self) { try Simulator.run(panel: p, inputs: signals, options: options { $0.top = 1 }) }
        #expect(throws: SimulationError.self) {
            try Simulator.run(panel: p, inputs: signals, options: options { $0.rebalance = .monthly })
        }
    }

    @Test func sharedPortfolioHoldsTargetWeights() throws {
        let p = try makePanel([[10, 10, 10, 10], [20, 20, 40, 40]])
        var inputs = SignalInputs()
        inputs.weight = [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
        let r = try Simulator.run(panel: p, inputs: inputs, options: options())
        #expect(r.mode == .shared && r.rebalances == 1)   // "change": only the first bar trades
        #expect(r.equity == [100, 100, 150, 150])
        #expect(r.runs[0].trades[0].size == 5 && r.runs[1].trades[0].size == 2.5)
        // Each symbol's curve is the capital plus its P&L.
        #expect(r.runs[1].equity.last == 150 && r.runs[0].equity.last == 100)
        let every = try Simulator.run(panel: p, inputs: inputs, options: options { $0.rebalance = .every })
        #expect(every.rebalances == 4)
        // After B doubles, bar 2 trims B back to 50 % (sells 0.625) and buys A (2.5 more units).
        #expect(every.runs[0].trades[0].size == 7.5)
        #expect(every.runs[1].tradedValue == 2.5 * 20 + 0.625 * 40)
    }

    @Test func sharedPortfolioShortsANegativeWeight() throws {
        let p = try makePanel([[10, 10, 5, 5]])
        var inputs = SignalInputs(); inputs.weight = [-0.5, -0.5, -0.5, 0]
        let r = try Simulator.run(panel: p, inputs: inputs, options: options())
        let t = try #require(r.runs[0].trades.first)
        #expect(t.isShort && t.size == 5 && t.exitBar == 3 && t.pnl == 25)
        #expect(r.equity == [100, 100, 125, 125])
    }

    @Test func sharedPortfolioNextOpenTradesAtTheOpens() throws {
        let p = try makePanel([[10, 11, 12]], opens: [[10, 10.5, 11.5]])
        var inputs = SignalInputs(); inputs.weight = [1, 1, 1]
        let r = try Simulator.run(panel: p, inputs: inputs, options: options { $0.fill = .nextOpen })
        let t = try #require(r.runs[0].trades.first)
        #expect(t.entryBar == 1 && t.entryPrice == 10.5 && t.isOpen)
        #expect(abs(r.equity[2] - 100 / 10.5 * 12) < 1e-9)
    }

    @Test func scoreTopPicksTheBest() throws {
        let p = try makePanel([[10, 10, 10], [10, 10, 20], [10, 10, 10]])
        var inputs = SignalInputs()
        inputs.score = [1, 1, 1, 3, 3, 3, 2, 2, 2]
        let r = try Simulator.run(panel: p, inputs: inputs, options: options { $0.top = 1 })
        #expect(r.runs[1].trades.count == 1 && r.runs[0].trades.isEmpty && r.runs[2].trades.isEmpty)
        #expect(r.equity.last == 200)
        var noTop = SignalInputs(); noTop.score = inputs.score
        #expect(throws: SimulationError.self) { try Simulator.run(panel: p, inputs: noTop, options: options()) }
    }

    @Test func rebalanceSchedules() throws {
        // 2020-01-30 (Thu) .. 2020-02-04 (Tue), daily.
        let ts = (0 ..< 6).map { Int64(1_580_342_400) + Int64($0) * 86_400 }
        #expect(Rebalance.monthly.schedule(ts) == [true, false, true, false, false, false])
        #expect(Rebalance.weekly.schedule(ts) == [true, false, false, false, true, false])
        #expect(Rebalance.bars(2).schedule(ts) == [true, false, true, false, true, false])
    }
}
