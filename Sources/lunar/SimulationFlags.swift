import ArgumentParser
import Lunar

/// The settings as flags, for every command that simulates (run, sweep, walkforward, watch).
/// Names, help and parsing come from `Setting.all`; a flag given overrides the strategy table,
/// which overrides the defaults — the same precedence as the Swift API's `overrides`.
/// (Argument parser options are declared one property each; `CommandLineTests.everySettingIsAFlag`
/// checks every command has every setting's flag, so this list cannot drift from the table.)
struct SimulationFlags: ParsableArguments {
    @Option(name: flag("capital"), help: help("capital")) var capital: String?
    @Option(name: flag("fees"), help: help("fees")) var fees: String?
    @Option(name: flag("fixed_fee"), help: help("fixed_fee")) var fixedFee: String?
    @Option(name: flag("slippage"), help: help("slippage")) var slippage: String?
    @Option(name: flag("fill"), help: help("fill")) var fill: String?
    @Option(name: flag("sizing"), help: help("sizing")) var sizing: String?
    @Flag(name: flag("integer"), inversion: .prefixedNo, help: help("integer")) var wholeUnits: Bool?
    @Flag(name: flag("reverse"), inversion: .prefixedNo, help: help("reverse")) var reverse: Bool?
    @Option(name: flag("stop_loss"), help: help("stop_loss")) var stopLoss: String?
    @Option(name: flag("take_profit"), help: help("take_profit")) var takeProfit: String?
    @Option(name: flag("trailing_stop"), help: help("trailing_stop")) var trailingStop: String?
    @Option(name: flag("rebalance"), help: help("rebalance")) var rebalance: String?
    @Option(name: flag("portfolio"), help: help("portfolio")) var portfolio: String?
    @Option(name: flag("top"), help: help("top")) var top: String?
    @Option(name: flag("prices"), help: help("prices")) var prices: String?
    @Option(name: flag("universe_exit"), help: help("universe_exit")) var universeExit: String?
    @Option(name: flag("timezone"), help: help("timezone")) var timezone: String?
    @Option(name: flag("session"), help: help("session")) var session: String?
    @Option(name: flag("flat_at"), help: help("flat_at")) var flatAt: String?
    @Option(name: flag("benchmark"), help: help("benchmark")) var benchmark: String?

    /// The flags given, by setting name, each parsed by its setting.
    var given: [String: SettingValue] {
        let texts: [(String, String?)] = [
            ("capital", capital), ("fees", fees), ("fixed_fee", fixedFee), ("slippage", slippage), ("fill", fill),
            ("sizing", sizing), ("stop_loss", stopLoss), ("take_profit", takeProfit), ("trailing_stop", trailingStop),
            ("rebalance", rebalance), ("portfolio", portfolio), ("top", top), ("prices", prices),
            ("universe_exit", universeExit), ("timezone", timezone), ("session", session), ("flat_at", flatAt),
            ("benchmark", benchmark),
        ]
        var out: [String: SettingValue] = [:]
        for (name, text) in texts { if let text { out[name] = Setting.builtIn(name).parse(text) } }
        if let wholeUnits { out["integer"] = .flag(wholeUnits) }
        if let reverse { out["reverse"] = .flag(reverse) }
        return out
    }

    /// The overrides for `BacktestOptions`, each checked now so a bad value is a usage error
    /// that names the flag before any data loads.
    var overrides: [String: SettingValue] {
        get throws {
            let values = given
            var probe = SimulationOptions()
            for (name, value) in values.sorted(by: { $0.key < $1.key }) {
                let setting = Setting.builtIn(name)
                do { try setting.apply(value, to: &probe) } catch {
                    // The same error, named by the flag the user typed.
                    throw SettingError(setting: "--\(setting.flag)", value: value.description, expected: setting.expected,
                                       suggestions: (error as? SettingError)?.suggestions ?? [])
                }
            }
            return values
        }
    }

    func validate() throws {
        do { _ = try overrides } catch let e as SettingError { throw ValidationError(e.description) }
    }
}

private func flag(_ setting: String) -> NameSpecification { .customLong(Setting.builtIn(setting).flag) }

private func help(_ setting: String) -> ArgumentHelp {
    let s = Setting.builtIn(setting)
    return ArgumentHelp("\(s.doc) Takes \(s.expected); default \(s.defaultValue).",
                        valueName: s.isSwitch ? nil : s.name.uppercased())
}

/// The sandbox's wall-clock guard, beside the instruction count (docs/sandbox.md).
struct ScriptLimitFlags: ParsableArguments {
    @Option(name: .customLong("time-limit"), help: ArgumentHelp(
        "Wall-clock seconds one strategy call may take: signals, a module, or one symbol of on_bar (0 = none).",
        valueName: "SECONDS"))
    var timeLimit: Double = ScriptLimits().seconds

    func validate() throws {
        guard timeLimit.isFinite, timeLimit >= 0 else { throw ValidationError("--time-limit '\(timeLimit)': expected seconds ≥ 0") }
    }

    func apply(to options: inout BacktestOptions) { options.limits.seconds = timeLimit }
}
