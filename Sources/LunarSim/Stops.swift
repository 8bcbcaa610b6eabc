// Stop-loss, take-profit and trailing-stop exits: the rule that decides whether a bar fires one
// (shared with the per-bar path) and the open trade's stop state.

extension Simulator {
    /// The stop that fires on a bar, if any: (reference fill price, reason). Stop-loss and trailing
    /// stop (the tighter level) first, take-profit only if neither fired; a bar that opens through
    /// a level fills at the open.
    @inline(__always)
    static func checkStops(long: Bool, open op: Double, high hi: Double, low lo: Double, base: Double, extreme: Double,
                           sl: Double, tp: Double, tr: Double) -> (Double, ExitReason)? {
        let s = long ? 1.0 : -1.0
        return checkLevels(long: long, open: op, high: hi, low: lo,
                           stopLoss: sl.isNaN ? .nan : base * (1 - s * sl),
                           trailing: tr.isNaN ? .nan : extreme * (1 - s * tr),
                           takeProfit: tp.isNaN ? .nan : base * (1 + s * tp))
    }

    /// The same rule for absolute price levels (NaN = off); the per-bar path's exits use it too.
    @inline(__always)
    static func checkLevels(long: Bool, open op: Double, high hi: Double, low lo: Double,
                            stopLoss: Double, trailing: Double, takeProfit: Double) -> (Double, ExitReason)? {
        // The tighter of the two stops: the one a falling (rising, for a short) price meets first.
        var level = stopLoss, trailingWins = false
        if !trailing.isNaN && (level.isNaN || (long ? trailing > level : trailing < level)) { level = trailing; trailingWins = true }
        if !level.isNaN {
            if long ? op <= level : op >= level { return (op, trailingWins ? .trailingStopGap : .stopLossGap) }
            if lo <= level && level <= hi { return (level, trailingWins ? .trailingStop : .stopLoss) }
        }
        if !takeProfit.isNaN {
            if long ? takeProfit <= op : takeProfit >= op { return (op, .takeProfitGap) }
            if lo <= takeProfit && takeProfit <= hi { return (takeProfit, .takeProfit) }
        }
        return nil
    }
}

/// The open trade's stops (NaN = off), its base (the entry's reference price) and the running
/// extreme for the trailing stop; checked from bar `armedFrom` on.
struct StopState {
    var sl = Double.nan, tp = Double.nan, tr = Double.nan
    var base = 0.0, extreme = 0.0, armedFrom = Int.max
    var any: Bool { !sl.isNaN || !tp.isNaN || !tr.isNaN }
    mutating func arm(_ ref: Double, from t: Int, _ f: (Double, Double, Double)) {
        base = ref; extreme = ref; armedFrom = t
        (sl, tp, tr) = f
    }
}

/// Stop fractions for an entry decided on bar t: the per-bar series where given and not NaN,
/// else the scalar options.
struct StopSource {
    let sl: UnsafePointer<Double>?, tp: UnsafePointer<Double>?, tr: UnsafePointer<Double>?
    let scalars: (Double, Double, Double)
    subscript(t: Int) -> (Double, Double, Double) {
        (pick(sl, t, scalars.0), pick(tp, t, scalars.1), pick(tr, t, scalars.2))
    }
    @inline(__always) private func pick(_ s: UnsafePointer<Double>?, _ t: Int, _ scalar: Double) -> Double {
        if let s, !s[t].isNaN { return s[t] }
        return scalar
    }
}
