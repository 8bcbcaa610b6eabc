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

    /// One line on each name, for the editor annotations (`lunar types`) and docs/dsl.md.
    public static func doc(_ name: String) -> String {
        switch name {
        case "open", "high", "low", "close", "volume": return "this bar's \(name)"
        case "bar": return "the bar's index (0-based, on the data's calendar)"
        case "position": return "units held: positive long, negative short, 0 flat"
        case "entry_price": return "average entry price of the open position (NaN when flat)"
        case "equity": return "the symbol's account value at this close"
        case "cash": return "the symbol's cash"
        case "date": return "the bar's date, YYYY-MM-DD (ISO date-time for intraday data)"
        case "symbol": return "the symbol"
        case "state": return "a table of your own that persists across this symbol's bars"
        case "past": return "past.NAME[k]: a field or indicator k bars back ([0] now); never the future"
        case "buy": return "Buys size units, or with all the cash; while short, covers. A table gives a pending limit/stop order."
        case "sell": return "Sells size units of a long position, or all of it."
        case "short": return "Sells short size units, or the account's value; while long, sells."
        case "cover": return "Buys back size units of a short, or all of it."
        case "close_position": return "Flattens whatever is open."
        case "cancel": return "Cancels a pending order by the id its order call returned."
        case "stop_loss": return "Exits the open position when the price falls to price (rises, for a short)."
        case "take_profit": return "Exits when the price reaches price."
        case "trailing_stop": return "Exits fraction below the highest price since it was set (above the lowest, for a short)."
        default: return name
        }
    }

    /// The Lua type of a field.
    public static func luaType(_ name: String) -> String {
        switch name {
        case "date", "symbol": return "string"
        case "bar": return "integer"
        case "state": return "table"
        case "past": return "table<string, number[]>"
        default: return "number"
        }
    }
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

