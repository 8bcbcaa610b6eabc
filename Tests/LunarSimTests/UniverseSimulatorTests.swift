import LunarData
import LunarSim
import Testing

/// Delistings, listings, membership, splits and dividends in the simulator, each against a hand
/// calculation (docs/semantics.md, "Real universes").
@Suite struct UniverseSimulatorTests {
    static let start: Int64 = 1_577_836_800   // 2020-01-01, makePanel's first day
    static func day(_ t: Int) -> Int64 { start + Int64(t) * 86_400 }

    func near(_ a: Double, _ b: Double, _ tol: Double = 1e-9) -> Bool { abs(a - b) <= tol * max(1, abs(b)) }

    func longFromBar0(_ T: Int) -> SignalInputs {
        var i = SignalInputs()
        i.entries = flags(T, 0); i.exits = flags(T)
        return i
    }

    // MARK: - delistings

    @Test func delistingMidTradeClosesAtTheLastClose() throws {
        // 1000 buys 100 units at 10; the data end at bar 2 (close 15): closed there, cash 1500 kept.
        let p = try makePanel([[10, 12, 15, .nan, .nan]])
        let r = try Simulator.run(panel: p, inputs: longFromBar0(5), options: options(capital: 1000))
        #expect(r.equity == [1000, 1200, 1500, 1500, 1500])
        let t = try #require(r.runs[0].trades.first)
        #expect(r.runs[0].trades.count == 1 && t.exitBar == 2 && t.exitReason == .delisted && !t.isOpen)
        #expect(t.exitPrice == 15 && t.pnl == 500)
    }

    @Test func aDelistingIsACashOutWithoutFees() throws {
        // fees 1 %: vectorbt's entry keeps 1000 − 1000/1.01 back as the fee, buys 1000/1.01/10 units;
        // the delisting pays units × 15 with no fee.
        let p = try makePanel([[10, 12, 15, .nan]])
        let r = try Simulator.run(panel: p, inputs: longFromBar0(4), options: options(capital: 1000) { $0.fees = 0.01 })
        let units = 1000 / 1.01 / 10
        #expect(near(r.equity[3], units * 15))
        #expect(near(r.runs[0].trades[0].exitFees, 0) && near(r.runs[0].feesPaid, 1000 - 1000 / 1.01))
    }

    @Test func bankruptcyAtZeroLosesTheLongAndPaysTheShort() throws {
        var p = try makePanel([[10, 8, 5, .nan], [10, 8, 5, .nan]])
        try p.attach(Universe(delistings: ["S0": .init(date: Self.day(2), price: 0), "S1": .init(date: Self.day(2), price: 0)]))
        var inputs = SignalInputs()
        inputs.entries = [1, 0, 0, 0, 0, 0, 0, 0]; inputs.exits = [Double](repeating: 0, count: 8)
        inputs.shortEntries = [0, 0, 0, 0, 1, 0, 0, 0]; inputs.shortExits = [Double](repeating: 0, count: 8)
        let r = try Simulator.run(panel: p, inputs: inputs, options: options(capital: 2000))
        // S0: 100 units long at 10, worth 500 at bar 2's close, delisted at 0: nothing left.
        #expect(r.runs[0].equity == [1000, 800, 0, 0])
        #expect(r.runs[0].trades[0].exitPrice == 0 && r.runs[0].trades[0].pnl == -1000)
        // S1: 100 units short at 10 (cash 2000), covered at 0: 2000.
        #expect(r.runs[1].equity == [1000, 1200, 2000, 2000])
        #expect(r.runs[1].trades[0].exitReason == .delisted && r.runs[1].trades[0].pnl == 1000)
    }

    @Test func noEntryOnTheDelistingBarAndPendingOrdersAreDropped() throws {
        // An entry signal on the last bar of data would be closed at once: refused. With
        // next-open fills, an exit decided on the delisting bar never waits for a bar that never comes.
        let p = try makePanel([[10, 11, 12, .nan]])
        var i = SignalInputs()
        i.entries = flags(4, 2); i.exits = flags(4)
        let r = try Simulator.run(panel: p, inputs: i, options: options(capital: 1000))
        #expect(r.runs[0].trades.isEmpty && r.equity == [1000, 1000, 1000, 1000])
        var j = SignalInputs()
        j.entries = flags(4, 0); j.exits = flags(4, 2)
        let n = try Simulator.run(panel: p, inputs: j, options: options(capital: 1000) { $0.fill = .nextOpen })
        // Bought at bar 1's open (10, the previous close) → 100 units; delisted at 12.
        #expect(n.runs[0].trades.count == 1 && n.runs[0].trades[0].exitReason == .delisted)
        #expect(n.equity[3] == 1200 && n.runs[0].skippedOrders == 0)
    }

    @Test func sharedCashReturnsToThePoolOnADelisting() throws {
        // Half each in S0 and S1 (50 units at 10 each); S0 doubles to 20 and is delisted at bar 2:
        // 1000 back in cash. At bar 3 the portfolio (1500) rebalances S1 to half: 75 units.
        let p = try makePanel([[10, 10, 20, .nan], [10, 10, 10, 10]])
        var i = SignalInputs()
        i.weight = [0.5, 0.5, 0.5, .nan, 0.5, 0.5, 0.5, 0.5]
        let r = try Simulator.run(panel: p, inputs: i, options: options(capital: 1000) { $0.rebalance = .every })
        #expect(r.equity == [1000, 1000, 1500, 1500])
        let a = try #require(r.runs[0].trades.first), b = try #require(r.runs[1].trades.last)
        #expect(a.exitReason == .delisted && a.exitBar == 2 && a.pnl == 500)
        #expect(b.isOpen && b.size == 75)
    }

    // MARK: - listings

    @Test func aSymbolIsNotPickedBeforeItsFirstBar() throws {
        // S1 has the better score from bar 0 but trades only from bar 2: top 1 holds S0 until then.
        let p = try makePanel([[10, 10, 10, 10], [.nan, .nan, 10, 10]])
        var i = SignalInputs()
        i.score = [1, 1, 1, 1, 2, 2, 2, 2]
        let r = try Simulator.run(panel: p, inputs: i, options: options(capital: 1000) { $0.top = 1; $0.rebalance = .every })
        #expect(r.runs[0].trades.count == 1 && r.runs[0].trades[0].entryBar == 0 && r.runs[0].trades[0].exitBar == 2)
        #expect(r.runs[1].trades.count == 1 && r.runs[1].trades[0].entryBar == 2)
    }

    // MARK: - membership

    func memberPanel(_ closes: [Double], spells: [Universe.Spell]) throws -> Panel {
        var p = try makePanel([closes])
        try p.attach(Universe(membership: ["S0": spells]))
        return p
    }

    @Test func leavingClosesAndRejoiningEntersAgain() throws {
        // Member on bars 0–1 and from 3: long at 10 (100 units), closed at bar 2's close 12 as it
        // left, entered again at bar 3 at 13 with 1200, worth 1200/13 × 14 at bar 4.
        let p = try memberPanel([10, 11, 12, 13, 14], spells: [.init(start: Self.day(0), end: Self.day(1)), .init(start: Self.day(3))])
        #expect(p.member == [1, 1, 0, 1, 1])
        var i = SignalInputs()
        i.entries = [1, 1, 1, 1, 1]; i.exits = flags(5)
        let r = try Simulator.run(panel: p, inputs: i, options: options(capital: 1000))
        let trades = r.runs[0].trades
        #expect(trades.count == 2)
        #expect(trades[0].exitBar == 2 && trades[0].exitReason == .leftUniverse && trades[0].exitPrice == 12)
        #expect(trades[1].entryBar == 3 && trades[1].isOpen)
        #expect(near(r.equity[4], 1200.0 / 13 * 14) && r.equity[2] == 1200)
    }

    @Test func holdKeepsThePositionButTakesNoNewEntry() throws {
        let p = try memberPanel([10, 11, 12, 13, 14], spells: [.init(start: Self.day(0), end: Self.day(1))])
        var i = SignalInputs()
        i.entries = [1, 0, 0, 1, 1]; i.exits = flags(5, 2)
        // hold: kept past bar 1 until its own exit at bar 2 (at 12); the entry at bar 3 is refused.
        let r = try Simulator.run(panel: p, inputs: i, options: options(capital: 1000) { $0.universeExit = .hold })
        #expect(r.runs[0].trades.count == 1 && r.runs[0].trades[0].exitReason == .signal && r.runs[0].trades[0].exitBar == 2)
        #expect(r.equity == [1000, 1100, 1200, 1200, 1200])
    }

    @Test func aNonMemberTargetOnlyMovesTowardFlat() throws {
        // position 0.5 then 1 while no member (hold): the increase is refused; 0.25 reduces.
        let p = try memberPanel([10, 10, 10, 10], spells: [.init(start: Self.day(0), end: Self.day(0))])
        var i = SignalInputs()
        i.position = [0.5, 1, 0.25, 0.25]
        let r = try Simulator.run(panel: p, inputs: i, options: options(capital: 1000) { $0.universeExit = .hold })
        // 50 units at bar 0; bar 1 refused; bar 2 sells 25.
        let t = try #require(r.runs[0].trades.first)
        #expect(t.isOpen && t.size == 50 && r.runs[0].tradedValue == 750)
    }

    // MARK: - corporate actions

    func actionPanel(_ closes: [Double], split: [Double]? = nil, dividend: [Double]? = nil) throws -> Panel {
        var p = try makePanel([closes])
        if let split { try p.setField("split", split) }
        if let dividend { try p.setField("dividend", dividend) }
        return p
    }

    @Test func aSplitInRawEqualsTheSameHistoryInSplitMode() throws {
        // Two-for-one on bar 2: raw 100 → 51; split-adjusted closes are 50, 51, 51, 52.
        let p = try actionPanel([100, 102, 51, 52], split: [.nan, .nan, 2, .nan])
        let adjusted = try p.runView(prices: .split)
        #expect(adjusted.fields["close"]! == [50, 51, 51, 52])
        #expect(adjusted.fields["volume"]! == [2, 2, 1, 1])
        for fees in [0.0, 0.001] {
            let raw = try Simulator.run(panel: p, inputs: longFromBar0(4), options: options(capital: 1000) { $0.prices = .raw; $0.fees = fees })
            let split = try Simulator.run(panel: p, inputs: longFromBar0(4), options: options(capital: 1000) { $0.prices = .split; $0.fees = fees })
            for t in 0 ..< 4 { #expect(near(raw.equity[t], split.equity[t])) }
            // The raw trade's units doubled at the split; its average entry price halved.
            let a = raw.runs[0].trades[0], b = split.runs[0].trades[0]
            #expect(near(a.size, b.size) && near(a.entryPrice, b.entryPrice) && near(a.pnl, b.pnl))
        }
        let raw = try Simulator.run(panel: p, inputs: longFromBar0(4), options: options(capital: 1000) { $0.prices = .raw })
        #expect(raw.equity == [1000, 1020, 1020, 1040] && raw.runs[0].trades[0].size == 20)
    }

    @Test func aDividendIsCreditedInCash() throws {
        // 10 units at 100; a dividend of 2 on bar 2 pays 20: equity 980 + 20, then 990 + 20.
        let p = try actionPanel([100, 100, 98, 99], dividend: [0, 0, 2, 0])
        for mode in [PriceMode.raw, .split] {
            let r = try Simulator.run(panel: p, inputs: longFromBar0(4), options: options(capital: 1000) { $0.prices = mode })
            #expect(r.equity == [1000, 1000, 1000, 1010])
            #expect(r.runs[0].dividends == 20 && r.runs[0].trades[0].dividends == 20 && r.runs[0].trades[0].pnl == 10)
        }
        // total: the bars before the ex-date scale by 1 − 2/100 = 0.98; no cash flow.
        let view = try p.runView(prices: .total)
        for (a, b) in zip(view.fields["close"]!, [98, 98, 98, 99.0]) { #expect(near(a, b)) }
        let r = try Simulator.run(panel: p, inputs: longFromBar0(4), options: options(capital: 1000) { $0.prices = .total })
        #expect(near(r.equity[3], 1000 / 98.0 * 99) && r.runs[0].dividends == 0)
    }

    @Test func aShortPaysTheDividend() throws {
        // Short 10 at 100 (cash 2000); the dividend of 2 costs 20: 1980 − 980, then 1980 − 990.
        let p = try actionPanel([100, 100, 98, 99], dividend: [0, 0, 2, 0])
        var i = SignalInputs()
        i.shortEntries = flags(4, 0); i.shortExits = flags(4)
        let r = try Simulator.run(panel: p, inputs: i, options: options(capital: 1000) { $0.prices = .raw })
        #expect(r.equity == [1000, 1000, 1000, 990] && r.runs[0].dividends == -20)
    }

    @Test func splitModeDividendsArePerAdjustedUnit() throws {
        // A 2:1 split on bar 2 and a dividend of 1 (per pre-split share) on bar 1: in split mode the
        // dividend is 0.5 per adjusted unit; 20 adjusted units get 10, as 10 raw shares do.
        let p = try actionPanel([100, 100, 50, 50], split: [.nan, .nan, 2, .nan], dividend: [0, 1, 0, 0])
        #expect(try p.runView(prices: .split).fields["dividend"]! == [0, 0.5, 0, 0])
        for mode in [PriceMode.raw, .split] {
            let r = try Simulator.run(panel: p, inputs: longFromBar0(4), options: options(capital: 1000) { $0.prices = mode })
            #expect(r.equity == [1000, 1010, 1010, 1010] && r.runs[0].dividends == 10)
        }
    }

    @Test func stopsFollowASplitInRawPrices() throws {
        // A 5 % stop-loss from 100 sits at 95; after a 2:1 split it is 47.5: bar 2's low 49 does
        // not reach it, bar 3's 47 does.
        let p = try makePanel([[100, 100, 50, 48]], lows: [[100, 100, 49, 47]])
        var q = p
        try q.setField("split", [.nan, .nan, 2, .nan])
        let r = try Simulator.run(panel: q, inputs: longFromBar0(4), options: options(capital: 1000) { $0.prices = .raw; $0.stopLoss = 0.05 })
        let t = try #require(r.runs[0].trades.first)
        #expect(t.exitBar == 3 && t.exitReason == .stopLoss && near(t.exitPrice, 47.5))
    }

    @Test func aDividendAtOrAboveThePreviousCloseCannotBeAdjusted() throws {
        let p = try actionPanel([10, 10, 10], dividend: [0, 0, 10])
        #expect(throws: DataError.self) { try p.runView(prices: .total) }
    }
}
