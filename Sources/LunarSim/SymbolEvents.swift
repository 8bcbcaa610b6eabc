import LunarData

// What can happen to a symbol besides its own orders: it joins and leaves the universe, it is
// delisted, it splits, it pays dividends. Every loop — the sub-account loops, the shared
// portfolio and the per-bar account — asks the same questions of the same struct, so the rules
// are written once (docs/semantics.md, "Real universes").

/// One symbol's events, as raw pointers into the panel's arrays (kept alive by the caller).
public struct SymbolEvents: @unchecked Sendable {
    /// Membership (1/0) per bar; nil when the symbol is a member on every bar it is listed.
    var member: UnsafePointer<Double>?
    /// The bar it is delisted at (after which it has no data); `Int.max` when it is not.
    public let delistBar: Int
    /// What an open position gets per unit at the delisting; NaN: that bar's close.
    let finalPrice: Double
    /// Split ratios (raw prices only) and dividends per unit, per bar; nil when none.
    var splits: UnsafePointer<Double>?
    var dividends: UnsafePointer<Double>?
    /// `universe_exit = "hold"`: a position outlives its symbol's membership.
    let hold: Bool
    /// `flat_at = "session_end"`: 1 on each session's last bar of the calendar (shared by every
    /// symbol); nil otherwise.
    var sessionEnd: UnsafePointer<Double>? = nil

    /// A symbol to which nothing happens: the loops' fast paths apply.
    public static let none = SymbolEvents(member: nil, delistBar: .max, finalPrice: .nan, splits: nil, dividends: nil, hold: false)

    public var isQuiet: Bool { member == nil && delistBar == .max && splits == nil && dividends == nil && sessionEnd == nil }

    /// Whether an order may open or add to a position on bar t: a member, not its delisting bar
    /// (the position would be closed at that same close), not a session's last bar under
    /// `flat_at = "session_end"` (likewise).
    @inline(__always) public func mayEnter(_ t: Int) -> Bool {
        t < delistBar && (member.map { $0[t] == 1 } ?? true) && !endsSession(t)
    }

    /// Whether bar t is the last of its session and positions are flat after it.
    @inline(__always) public func endsSession(_ t: Int) -> Bool { sessionEnd.map { $0[t] == 1 } ?? false }

    /// Whether an open position must be closed at bar t's close because the symbol is no member.
    @inline(__always) public func mustLeave(_ t: Int) -> Bool {
        !hold && (member.map { $0[t] != 1 } ?? false)
    }

    /// The split ratio on bar t (1: none).
    @inline(__always) public func splitRatio(_ t: Int) -> Double {
        guard let splits else { return 1 }
        let r = splits[t]
        return Panel.isSplit(r) ? r : 1
    }

    /// The dividend per unit on bar t (0: none).
    @inline(__always) public func dividend(_ t: Int) -> Double {
        guard let dividends else { return 0 }
        let d = dividends[t]
        return Panel.isDividend(d) ? d : 0
    }

    /// What a symbol that may not be entered may hold instead of `goal` (units or a fraction,
    /// on the scale of `held`): never a new or larger position, so flat stays flat, the other
    /// side or 0 closes, a smaller amount of the same side reduces.
    @inline(__always) public static func towardFlat(_ goal: Double, held: Double) -> Double {
        if held == 0 || goal == 0 || (goal > 0) != (held > 0) { return 0 }
        return abs(goal) < abs(held) ? goal : held
    }

    /// The price an open position is closed at on its delisting bar, whose close is `close`.
    @inline(__always) public func delistingPrice(close: Double) -> Double { finalPrice.isNaN ? close : finalPrice }
}

/// Every symbol's events for one panel (the run's view) and mode.
public struct UniverseEvents: @unchecked Sendable {
    public let symbols: [SymbolEvents]
    /// Whether no symbol has any event (then the loops skip every check).
    public let isQuiet: Bool
    // The arrays the pointers point into.
    private let storage: [[Double]]

    /// The events of `panel` under `options`, computed once per panel and the settings they
    /// depend on (a run's view is memoized, so repeated runs on one panel share them).
    public static func of(_ panel: Panel, _ options: SimulationOptions) throws -> UniverseEvents {
        try panel.derived("universe-events:\(options.flatAt)|\(options.prices.rawValue)|\(options.universeExit)") {
            try UniverseEvents(panel: panel, options: options)
        }
    }

    /// The events of `panel`, a run view (`Panel.runView`): its `member` field, its lifecycle and
    /// the corporate actions `mode` applies.
    public init(panel: Panel, options: SimulationOptions) throws {
        let T = panel.barCount
        var sessionEnd: [Double] = []
        if options.flatAt == .sessionEnd {
            guard !panel.isDaily else {
                throw SimulationError.badOption("flat_at = \"session_end\" closes positions at each session's last bar: it needs intraday data, these bars are daily")
            }
            sessionEnd = try panel.calendarValues(.periodEnd(.day))
        }
        let member = panel.fields["member"] ?? panel.member
        let actions = panel.corporateActions(options.prices)
        let life = panel.lifecycle
        let store = [member, actions.splits ?? [], actions.dividends ?? [], sessionEnd]
        func base(_ i: Int) -> UnsafePointer<Double>? { store[i].withUnsafeBufferPointer { $0.baseAddress } }
        let memberBase = base(0)!
        let splitBase = actions.splits == nil ? nil : base(1)
        let dividendBase = actions.dividends == nil ? nil : base(2)
        let sessionEndBase = sessionEnd.isEmpty ? nil : base(3)
        symbols = (0 ..< panel.symbolCount).map { s in
            let l = life[s]
            // A member pointer only when the symbol is no member on some bar it is listed.
            var gaps = false
            if l.firstBar >= 0 {
                let end = max(l.firstBar, l.delisted ? l.lastBar : T - 1)
                let row = memberBase + s * T
                var t = l.firstBar
                while t <= end && row[t] == 1 { t += 1 }
                gaps = t <= end
            }
            return SymbolEvents(member: gaps ? memberBase + s * T : nil,
                                delistBar: l.delisted ? l.lastBar : .max,
                                finalPrice: l.finalPrice,
                                splits: splitBase.map { $0 + s * T },
                                dividends: dividendBase.map { $0 + s * T },
                                hold: options.universeExit == .hold,
                                sessionEnd: sessionEndBase)
        }
        storage = store
        isQuiet = symbols.allSatisfy(\.isQuiet)
    }
}
