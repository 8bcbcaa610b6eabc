/// What the strategy gives the simulator: symbol-major arrays (`symbols × bars`), each optional.
/// Bool series hold 1 (true), 0 or NaN (false).
public struct SignalInputs: Sendable {
    public var entries: [Double]? = nil
    public var exits: [Double]? = nil
    public var shortEntries: [Double]? = nil
    public var shortExits: [Double]? = nil
    /// Target exposure in −1…1, a fraction of the symbol's sub-account equity; NaN = keep.
    public var position: [Double]? = nil
    /// Target fraction of the shared portfolio's equity, −1…1 (Σ|w| ≤ 1); NaN = 0.
    public var weight: [Double]? = nil
    /// A ranking score: with `top`, the best-scored symbols are held at equal weight.
    public var score: [Double]? = nil
    /// Per-bar stop fractions, read on the bar an entry is decided; NaN = the scalar option.
    public var stopLoss: [Double]? = nil
    public var takeProfit: [Double]? = nil
    public var trailingStop: [Double]? = nil
    /// The bool signals come from typed graph nodes, which hold only 0, 1 or NaN: their
    /// values need no second check (sizes and ranged series are still checked).
    public var boolsAreTyped = false

    public init(entries: [Double]? = nil, exits: [Double]? = nil) { self.entries = entries; self.exits = exits }

    var usesTargets: Bool { weight != nil || score != nil }
}
