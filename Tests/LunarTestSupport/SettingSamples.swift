/// For every setting: a value other than its default and one it must refuse, as command-line
/// text. The contract and rerun tests run over this table, and fail for a setting missing from
/// it, so a new setting cannot land without being replayed and checked.
public enum SettingSamples {
    /// Which kind of strategy the value means something to.
    public enum Needs: Sendable { case signals, targets, intraday }

    public static let values: [String: (valid: String, invalid: String, needs: Needs)] = [
        "capital": ("50000", "-5", .signals),
        "fees": ("0.002", "1", .signals),
        "fixed_fee": ("1.5", "-1", .signals),
        "slippage": ("0.001", "1.5", .signals),
        "fill": ("next_open", "open", .signals),
        "sizing": ("fraction:0.5", "fraction:2", .signals),
        "integer": ("true", "maybe", .signals),
        "reverse": ("true", "2", .signals),
        "stop_loss": ("0.05", "1", .signals),
        "take_profit": ("0.1", "0", .signals),
        "trailing_stop": ("0.08", "1.2", .signals),
        "rebalance": ("weekly", "daily", .targets),
        "portfolio": ("shared", "pooled", .targets),
        "top": ("5", "0.5", .targets),
        "prices": ("raw", "adjusted", .signals),
        "universe_exit": ("hold", "keep", .signals),
        "timezone": ("America/New_York", "America/New_Yrok", .signals),
        "session": ("09:30-16:00", "16:00-09:30", .intraday),
        "flat_at": ("session_end", "close", .intraday),
        "benchmark": ("S0001", "", .signals),
    ]
}
