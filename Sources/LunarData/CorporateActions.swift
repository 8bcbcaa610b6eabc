/// Splits and dividends, and the price series a run sees: LEAN's normalization modes.
///
/// The optional `split` field holds a ratio on its ex-date (2 = two-for-one; NaN, 0 or 1 =
/// none) and `dividend` cash per share on its ex-date (NaN or 0 = none). Ex-date bars already
/// trade on the new basis: a split's bar opens at the post-split price.
public enum PriceMode: String, Sendable, CaseIterable {
    /// The printed prices; the simulator multiplies held units by each split ratio and credits
    /// dividends in cash (a short pays them).
    case raw
    /// Prices back-adjusted for splits (the last bar keeps its printed price), volume adjusted
    /// the other way; dividends credited in cash, per adjusted unit.
    case split
    /// Prices back-adjusted for splits and dividends (total return); no cash flows.
    case total
}

/// What the simulator applies in a mode: per symbol-bar split ratios (held units ×) and dividends
/// (cash per held unit), or nil when the mode has none of them.
public struct CorporateActions: Sendable {
    public var splits: [Double]?
    public var dividends: [Double]?
    public var isEmpty: Bool { splits == nil && dividends == nil }
}

extension Panel {
    /// Whether a split ratio or dividend value means "an event on this bar".
    @inline(__always) public static func isSplit(_ r: Double) -> Bool { r.isFinite && r > 0 && r != 1 }
    @inline(__always) public static func isDividend(_ d: Double) -> Bool { d.isFinite && d > 0 }

    /// True when the data carry at least one split or dividend.
    public var hasCorporateActions: Bool {
        derived("actions:any") { () -> Bool in
            (fields["split"]?.contains(where: Panel.isSplit) ?? false) ||
                (fields["dividend"]?.contains(where: Panel.isDividend) ?? false)
        }
    }

    /// The panel a run in `mode` reads: bars outside `hours`' session dropped, prices (and
    /// volume) adjusted as the mode says, the `dividend` field per adjusted unit, the `member`
    /// field (`bars.member`), and `hours` set (which fix the coarser timeframes). Computed once
    /// per panel, mode and hours. Throws when a dividend is not below the close before it (no
    /// back-adjustment factor exists then), or for a session on daily data.
    public func runView(prices mode: PriceMode, hours: TradingHours = TradingHours()) throws -> Panel {
        if let viewMode {
            guard viewMode == mode else {
                throw DataError.invalid("this panel was prepared for prices = \"\(viewMode.rawValue)\"; a run with prices = \"\(mode.rawValue)\" needs the data it came from")
            }
            guard self.hours == hours else {
                throw DataError.invalid("this panel was prepared for trading hours \(self.hours); a run with \(hours) needs the data it came from")
            }
            return self
        }
        return try derived("view:\(mode.rawValue)|\(hours)") { () throws -> Panel in
            var view = self
            if let session = hours.session {
                guard !isDaily else { throw DataError.invalid("session \(session) needs intraday data; these bars are daily") }
                view = view.keepingSession(session, hours: hours)
                guard view.barCount > 0 || barCount == 0 else {
                    throw DataError.invalid("session \(session) keeps none of the \(barCount) bars in \(hours.timezone) time; check --session and --timezone")
                }
            }
            if mode != .raw && view.hasCorporateActions { try view.adjust(for: mode) }
            try view.setField("member", view.member)
            view.universe = universe
            view.hours = hours
            view.viewMode = mode
            view.origin = Origin(self)
            return view
        }
    }

    /// The bars whose local start time lies in `session`.
    func keepingSession(_ session: SessionHours, hours: TradingHours) -> Panel {
        let local = hours.localSeconds(timestamps, daily: isDaily)
        let keep = local.indices.filter { session.contains(timeOfDay: local[$0] - Calendar.floorDiv(local[$0], 86_400) * 86_400) }
        if keep.count == barCount { return self }
        var out: [String: [Double]] = [:]
        for (name, values) in fields {
            var v = [Double]()
            v.reserveCapacity(symbolCount * keep.count)
            for s in 0 ..< symbolCount { for t in keep { v.append(values[s * barCount + t]) } }
            out[name] = v
        }
        var panel = try! Panel(symbols: symbols, timestamps: keep.map { timestamps[$0] }, fields: out)
        panel.universe = universe
        return panel
    }

    /// The splits and dividends the simulator applies in `mode` to this (already adjusted) view.
    public func corporateActions(_ mode: PriceMode) -> CorporateActions {
        guard hasCorporateActions else { return CorporateActions() }
        let splits = mode == .raw ? fields["split"].flatMap { $0.contains(where: Panel.isSplit) ? $0 : nil } : nil
        let dividends = mode == .total ? nil : fields["dividend"].flatMap { $0.contains(where: Panel.isDividend) ? $0 : nil }
        return CorporateActions(splits: splits, dividends: dividends)
    }

    /// Back-adjusts every symbol for splits (and, in `total` mode, dividends): each price before
    /// an ex-date is divided by the ratios of the splits after it and multiplied, for `total`, by
    /// (1 − dividend / previous close) of the dividends after it (CRSP's and Yahoo's factor);
    /// volume is multiplied by the split ratios; dividends become per adjusted unit.
    mutating func adjust(for mode: PriceMode) throws {
        let T = barCount
        let split = fields["split"], rawClose = fields["close"]!
        var prices = ["open", "high", "low", "close"].map { fields[$0]! }
        var volume = fields["volume"]!
        var dividend = fields["dividend"]
        // previous[t]: the last bar before t with a close (-1: none), so each dividend finds
        // its previous close in one step rather than a scan back.
        var previous = [Int](repeating: -1, count: T)
        for s in 0 ..< symbolCount {
            let base = s * T
            if mode == .total {
                var last = -1
                for t in 0 ..< T { previous[t] = last; if !rawClose[base + t].isNaN { last = t } }
            }
            // Π ratios of the splits after bar t, and that × the dividend factors after it.
            var splitFactor = 1.0, totalFactor = 1.0
            for t in stride(from: T - 1, through: 0, by: -1) {
                let i = base + t
                for k in 0 ..< 4 { prices[k][i] = prices[k][i] / splitFactor * totalFactor }
                volume[i] *= splitFactor
                let d = dividend?[i] ?? .nan
                if Panel.isDividend(d) { dividend![i] = d / splitFactor }
                // Events on bar t change the factors of the bars before it.
                let ratio = split.map { Panel.isSplit($0[i]) ? $0[i] : 1 } ?? 1
                if mode == .total, Panel.isDividend(d), case let prev = previous[t], prev >= 0 {
                    // The close before, on the basis of bar t (a split on t divides it).
                    let previousClose = rawClose[base + prev] / ratio
                    guard d < previousClose else {
                        throw DataError.invalid("\(symbols[s]): the dividend \(d) on \(Calendar.format(timestamps[t], daily: isDaily)) " +
                            "is not below the close before it (\(previousClose)), so prices cannot be adjusted for it")
                    }
                    totalFactor *= 1 - d / previousClose
                }
                splitFactor *= ratio
            }
        }
        for (k, name) in ["open", "high", "low", "close"].enumerated() { try setField(name, prices[k]) }
        try setField("volume", volume)
        if let dividend { try setField("dividend", dividend) }
    }
}
