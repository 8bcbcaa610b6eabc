import LunarSim

/// What `on_bar(ctx, p)` sees on ctx besides the strategy's indicators, named once: the
/// runtime's keys, its "did you mean", the names an indicator may not take, and docs/dsl.md.
public enum ContextVocabulary {
    /// Numbers set on every bar, in the order the runtime keeps their keys on the stack.
    public static let barFields = ["open", "high", "low", "close", "volume", "bar", "position", "entry_price", "equity", "cash"]
    /// Set once per symbol.
    public static let symbolFields = ["symbol", "state", "past"]
    /// Computed when read.
    public static let lazyFields = ["date"]
    /// Orders, price exits and `cancel`.
    public static var methods: [String] { OrderSide.allCases.map(\.method) + PriceExit.allCases.map(\.method) + ["cancel"] }
    /// Every name, fields then methods.
    public static var names: [String] { barFields + lazyFields + symbolFields + methods }
}

/// The order methods on ctx: the per-bar account's own order sides, so one enum travels from
/// the Lua call to the fill.
public typealias OrderSide = BarAccount.Side

extension BarAccount.Side {
    /// The ctx method that places it.
    var method: String {
        switch self {
        case .buy: "buy"
        case .sell: "sell"
        case .short: "short"
        case .cover: "cover"
        case .close: "close_position"
        }
    }
}

/// The exits ctx sets on the open position.
enum PriceExit: Int, CaseIterable {
    case stopLoss, takeProfit, trailingStop

    /// The ctx method that sets it.
    var method: String {
        switch self {
        case .stopLoss: "stop_loss"
        case .takeProfit: "take_profit"
        case .trailingStop: "trailing_stop"
        }
    }
}

