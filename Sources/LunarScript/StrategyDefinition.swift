import Foundation
import LunarGraph
import LunarSim

/// A strategy parameter's value: Lua numbers, strings and booleans.
public enum ParamValue: Equatable, Sendable, CustomStringConvertible {
    case number(Double)
    case string(String)
    case bool(Bool)

    public var description: String {
        switch self {
        case .number(let v): return v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
        case .string(let s): return s
        case .bool(let b): return String(b)
        }
    }

    /// Reads `text` as a value of the same kind as `self` (the default).
    func parsing(_ text: String, name: String) throws -> ParamValue {
        switch self {
        case .number:
            guard let v = Double(text.trimmingCharacters(in: .whitespaces)) else {
                throw ScriptError("parameter '\(name)' takes a number, got '\(text)'")
            }
            return .number(v)
        case .bool:
            switch text.lowercased() {
            case "true", "1", "yes": return .bool(true)
            case "false", "0", "no": return .bool(false)
            default: throw ScriptError("parameter '\(name)' takes true or false, got '\(text)'")
            }
        case .string: return .string(text)
        }
    }
}

/// A numeric parameter's declared bounds (`ranges = { fast = {2, 100} }`, or `{2, 100, 2}` with a
/// step): the sliders of the live page span them.
public struct ParamRange: Sendable, Equatable {
    public var min: Double
    public var max: Double
    public var step: Double?
    public init(min: Double, max: Double, step: Double? = nil) { self.min = min; self.max = max; self.step = step }
}

/// A strategy file turned into a graph: what the engine needs to run it.
public struct StrategyDefinition: @unchecked Sendable {
    public let name: String
    public let description: String
    public let path: String
    /// Declared parameters in name order, with the values used (defaults unless overridden).
    public let params: [(name: String, value: ParamValue)]
    public let graph: Graph
    /// The named outputs of `signals`: `entries`, and `exits` when given.
    public let outputs: [String: NodeID]
    /// Every Lua file loaded: the strategy first, then modules in load order.
    public let files: [String]
    /// Parameters that `signals` or `indicators` read.
    public let usedParams: Set<String>
    /// Named series from `indicators(bars, p)`, in name order: what `on_bar` reads as ctx fields.
    public let indicators: [(name: String, node: NodeID)]
    /// True when the strategy has an `on_bar(ctx, p)`: it runs on the per-bar path.
    public let perBar: Bool
    /// Simulation settings from the strategy table (`fill`, `stop_loss`, `rebalance`, …; see
    /// `Setting.all`), checked when the file loaded.
    public var settings: [String: SettingValue] = [:]
    /// The bytes of every file in `files`, as loaded: what the run's per-bar workers execute and
    /// what its history record hashes, so a save during a run cannot mix two versions.
    public var sources: [String: Data] = [:]
    /// The globals the strategy's state holds after loading (sandbox, DSL, the file's own):
    /// what a global read may name (`lunar check`'s typo warning).
    public var globals: [String] = []
    /// The library roots whose modules the strategy loaded, in load order: where each came from.
    public var libraries: [LibraryRoot] = []
    /// Declared bounds of numeric parameters (`ranges` in the strategy table), by name.
    public var ranges: [String: ParamRange] = [:]
}

