/// The registry: the single source of truth for every primitive.
///
/// Each entry gives the name, the series inputs, the constant parameters with their defaults and
/// valid ranges, the outputs, the look-back, the kernel and a one-line description with the
/// formula. The Lua bindings, argument checks, `lunar list indicators` and docs/indicators.md all
/// come from here.
public struct PrimitiveSpec: Sendable {
    public enum Kind: String, Sendable { case float, bool }

    public struct Input: Sendable {
        public let name: String
        public let kind: Kind
        public init(_ name: String, _ kind: Kind = .float) { self.name = name; self.kind = kind }
    }

    public struct Param: Sendable {
        public let name: String
        public let isInteger: Bool
        public let defaultValue: Double?
        public let range: ClosedRange<Double>
        public init(_ name: String, integer: Bool = true, default value: Double? = nil,
                    range: ClosedRange<Double> = 1 ... 100_000) {
            self.name = name; isInteger = integer; defaultValue = value; self.range = range
        }

        /// Why `v` is not acceptable, or nil when it is.
        public func problem(with v: Double) -> String? {
            if v.isNaN { return "\(name) must be a number, got NaN" }
            if isInteger && v != v.rounded() { return "\(name) must be a whole number, got \(v)" }
            if v < range.lowerBound { return "\(name) must be ≥ \(Param.show(range.lowerBound)), got \(Param.show(v))" }
            if v > range.upperBound { return "\(name) must be ≤ \(Param.show(range.upperBound)), got \(Param.show(v))" }
            return nil
        }

        public static func show(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v) }
    }

    public struct Output: Sendable {
        public let name: String
        public let kind: Kind
        public init(_ name: String, _ kind: Kind = .float) { self.name = name; self.kind = kind }
    }

    public let name: String
    public let category: String
    public let summary: String
    public let formula: String
    public let inputs: [Input]
    public let params: [Param]
    public let outputs: [Output]
    /// Bars this primitive adds to its inputs' look-back, given the parameter values.
    public let lookback: @Sendable ([Double]) -> Int
    /// A fresh kernel for one symbol, given the (validated) parameter values.
    public let makeKernel: @Sendable ([Double]) -> any StreamKernel

    public init(name: String, category: String, summary: String, formula: String,
                inputs: [Input], params: [Param] = [], outputs: [Output] = [Output("value")],
                lookback: @escaping @Sendable ([Double]) -> Int,
                kernel: @escaping @Sendable ([Double]) -> any StreamKernel) {
        self.name = name; self.category = category; self.summary = summary; self.formula = formula
        self.inputs = inputs; self.params = params; self.outputs = outputs
        self.lookback = lookback; self.makeKernel = kernel
    }
}

public enum Registry {
    /// The primitives Lunar ships, in documentation order. They are registered through
    /// `register`, the same door a plugin uses (see RegistryPlugins.swift and docs/plugins.md).
    public static let builtIns: [PrimitiveSpec] = core + averages + momentum + trend + volatility + volume + statistics + signals

    /// Every registered primitive: the built-ins, then plugins in registration order.
    public static var all: [PrimitiveSpec] { store.all }

    public static func spec(_ name: String) -> PrimitiveSpec? { store.spec(name) }

    public static var names: [String] { all.map(\.name) }
}

