import LunarData
import LunarKernels

/// What a node evaluates to.
public enum ValueType: String, Sendable, Hashable {
    case float      // a float series: one value per symbol and bar
    case bool       // a bool series: 1, 0, or NaN (unknown)
    case scalar     // a constant, broadcast where a series is needed
}

/// A node's position in its graph's arena.
public struct NodeID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let index: Int
    public init(_ index: Int) { self.index = index }
    public static func < (a: NodeID, b: NodeID) -> Bool { a.index < b.index }
    public var description: String { "%\(index)" }
}

public enum UnaryOp: String, Sendable, Hashable, CaseIterable {
    case neg, abs, log, exp, sqrt, not
}

public enum BinaryOp: String, Sendable, Hashable, CaseIterable {
    case add, sub, mul, div, min, max
    case gt, ge, lt, le, eq, ne
    case and, or

    public var isComparison: Bool { [.gt, .ge, .lt, .le, .eq, .ne].contains(self) }
    public var isLogic: Bool { self == .and || self == .or }
    public var symbol: String {
        switch self {
        case .add: "+"; case .sub: "-"; case .mul: "*"; case .div: "/"
        case .min: "min"; case .max: "max"
        case .gt: ">"; case .ge: ">="; case .lt: "<"; case .le: "<="; case .eq: "=="; case .ne: "~="
        case .and: "&"; case .or: "|"
        }
    }
}

/// Operations across all symbols at one bar. They are the planner's pipeline breakers: every
/// symbol's input must exist at a bar before any output there can be computed.
/// Definitions (NaN inputs are skipped and give NaN) are in docs/design.md, "Cross-sectional".
public enum CrossSectionOp: String, Sendable, Hashable, CaseIterable {
    case rank, zscore
}

/// The operation of a node. Constants are kept as bit patterns so that NaN interns too.
public enum Op: Hashable, Sendable {
    case field(String)
    case constant(bits: UInt64)
    case unary(UnaryOp)
    case binary(BinaryOp)
    case select                                     // where(cond, a, b)
    case primitive(name: String, params: [UInt64], output: Int)
    case crossSection(CrossSectionOp)
    /// A field (the one input) aggregated to a coarser timeframe: one value per period.
    case resample(Timeframe)
    /// A coarser series (the one input) on the base calendar: at each bar, the value of the
    /// last period complete at that bar's close (see `Resampling`).
    case align
    /// A value of the calendar itself (time of day, weekday, period starts and ends).
    case calendar(CalendarSeries)

    public static func constant(_ v: Double) -> Op { .constant(bits: v.bitPattern) }
}

public struct Node: Hashable, Sendable {
    public let op: Op
    public let inputs: [NodeID]
    public let type: ValueType
    /// Bars before the first defined value (the warm-up), assuming inputs start at bar 0; in
    /// the bars of the node's own clock.
    public let lookback: Int
    /// The calendar the node's values follow: nil for the data's own bars (and for constants),
    /// else the coarser timeframe, one value per period.
    public let clock: Timeframe?

    public var constantValue: Double? {
        if case .constant(let bits) = op { return Double(bitPattern: bits) }
        return nil
    }

    public func params() -> [Double] {
        if case .primitive(_, let p, _) = op { return p.map(Double.init(bitPattern:)) }
        return []
    }
}

public enum GraphError: Error, CustomStringConvertible, Equatable {
    case unknownPrimitive(String, suggestions: [String])
    case badArgument(String)
    case typeMismatch(String)

    public var description: String {
        switch self {
        case .unknownPrimitive(let name, let s):
            return "unknown function '\(name)'" + (s.isEmpty ? "" : "; did you mean \(s.map { "'\($0)'" }.joined(separator: ", "))?")
        case .badArgument(let m), .typeMismatch(let m): return m
        }
    }
}

/// A hash-consed DAG of series expressions. Building the same expression twice returns the
/// same node, so common subexpressions are shared from the start.
public final class Graph: @unchecked Sendable {
    public private(set) var nodes: [Node] = []
    private var interned: [InternKey: NodeID] = [:]

    private struct InternKey: Hashable { let op: Op; let inputs: [NodeID] }

    public init() {}

    public subscript(id: NodeID) -> Node { nodes[id.index] }
    public var count: Int { nodes.count }

    // MARK: - building

    public func field(_ name: String) -> NodeID {
        intern(.field(name), [], type: Panel.boolFields.contains(name) ? .bool : .float, lookback: 0)
    }

    public func constant(_ v: Double) -> NodeID {
        intern(.constant(v), [], type: .scalar, lookback: 0)
    }

    /// `field` (a field node) aggregated to `tf` (see `Aggregation.of(field:)`).
    public func resample(_ field: NodeID, to tf: Timeframe) throws -> NodeID {
        guard case .field = self[field].op else { throw GraphError.badArgument("only data fields can be resampled, got \(describe(field))") }
        return intern(.resample(tf), [field], type: self[field].type, lookback: 0, clock: tf)
    }

    /// `x` on the base calendar: aligned when it follows a coarser clock, else itself.
    public func aligned(_ x: NodeID) -> NodeID {
        guard self[x].clock != nil else { return x }
        return intern(.align, [x], type: self[x].type, lookback: self[x].lookback, clock: nil)
    }

    /// A value of the calendar (base bars).
    public func calendar(_ series: CalendarSeries) -> NodeID {
        switch series {
        case .periodStart, .periodEnd: return intern(.calendar(series), [], type: .bool, lookback: 0)
        default: return intern(.calendar(series), [], type: .float, lookback: 0)
        }
    }

    /// Inputs on one clock: when series of different clocks meet, each coarser one is aligned to
    /// the base calendar (there is no other way to combine them, so the forming bar is never
    /// visible). Constants follow any clock.
    private func sameClock(_ ids: [NodeID]) -> (inputs: [NodeID], clock: Timeframe?) {
        let clocks = Set(ids.filter { self[$0].type != .scalar }.map { self[$0].clock })
        guard clocks.count > 1 else { return (ids, clocks.first ?? nil) }
        return (ids.map { self[$0].type == .scalar ? $0 : aligned($0) }, nil)
    }

    public func unary(_ op: UnaryOp, _ x: NodeID) throws -> NodeID {
        let t = self[x].type
        if op == .not {
            guard t != .float else { throw GraphError.typeMismatch("'~' (not) needs a bool series, got a float series") }
            return intern(.unary(op), [x], type: t == .scalar ? .scalar : .bool, lookback: self[x].lookback, clock: self[x].clock)
        }
        guard t != .bool else { throw GraphError.typeMismatch("\(op.rawValue) needs a float series, got a bool series") }
        return intern(.unary(op), [x], type: t, lookback: self[x].lookback, clock: self[x].clock)
    }

    public func binary(_ op: BinaryOp, _ a0: NodeID, _ b0: NodeID) throws -> NodeID {
        let (ab, clock) = sameClock([a0, b0])
        let a = ab[0], b = ab[1]
        let ta = self[a].type, tb = self[b].type
        let resultIsScalar = ta == .scalar && tb == .scalar
        let type: ValueType
        if op.isLogic {
            for t in [ta, tb] where t == .float {
                throw GraphError.typeMismatch("'\(op.symbol)' needs bool series, got a float series (compare first, e.g. a:gt(b))")
            }
            type = resultIsScalar ? .scalar : .bool
        } else {
            for t in [ta, tb] where t == .bool {
                throw GraphError.typeMismatch("'\(op.symbol)' needs float series or numbers, got a bool series")
            }
            type = resultIsScalar ? .scalar : (op.isComparison ? .bool : .float)
        }
        return intern(.binary(op), [a, b], type: type, lookback: max(self[a].lookback, self[b].lookback), clock: clock)
    }

    public func select(_ cond0: NodeID, _ a0: NodeID, _ b0: NodeID) throws -> NodeID {
        let (abc, clock) = sameClock([cond0, a0, b0])
        let cond = abc[0], a = abc[1], b = abc[2]
        guard self[cond].type != .float else {
            throw GraphError.typeMismatch("where(cond, a, b): cond must be a bool series, got a float series")
        }
        let ta = self[a].type, tb = self[b].type
        if (ta == .bool) != (tb == .bool), ta != .scalar, tb != .scalar {
            throw GraphError.typeMismatch("where(cond, a, b): a and b must both be float or both be bool")
        }
        var type: ValueType = ta == .scalar ? tb : ta
        if type == .scalar && self[cond].type != .scalar { type = .float }
        let lb = [cond, a, b].map { self[$0].lookback }.max()!
        return intern(.select, [cond, a, b], type: type, lookback: lb, clock: clock)
    }

    /// A registry primitive applied to series inputs with constant parameters.
    /// Returns one node per output. Validates argument kinds and parameter ranges.
    public func primitive(_ name: String, inputs inputs0: [NodeID], params: [Double]) throws -> [NodeID] {
        guard let spec = Registry.spec(name) else {
            throw GraphError.unknownPrimitive(name, suggestions: closestMatches(to: name, in: Registry.names))
        }
        guard inputs0.count == spec.inputs.count else {
            throw GraphError.badArgument("\(name): expected \(spec.inputs.count) series argument(s), got \(inputs0.count)")
        }
        guard params.count == spec.params.count else {
            throw GraphError.badArgument("\(name): expected \(spec.params.count) parameter(s), got \(params.count)")
        }
        let (inputs, clock) = sameClock(inputs0)
        for (input, id) in zip(spec.inputs, inputs) {
            let t = self[id].type
            if input.kind == .float && t == .bool {
                throw GraphError.typeMismatch("\(name): argument '\(input.name)' must be a float series, got a bool series")
            }
            if input.kind == .bool && t == .float {
                throw GraphError.typeMismatch("\(name): argument '\(input.name)' must be a bool series, got a float series")
            }
        }
        for (p, v) in zip(spec.params, params) {
            if let problem = p.problem(with: v) { throw GraphError.badArgument("\(name): \(problem)") }
        }
        let lb = (inputs.map { self[$0].lookback }.max() ?? 0) + spec.lookback(params)
        let bits = params.map(\.bitPattern)
        return spec.outputs.enumerated().map { (k, out) in
            intern(.primitive(name: name, params: bits, output: k), inputs,
                   type: out.kind == .bool ? .bool : .float, lookback: lb, clock: clock)
        }
    }

    /// A cross-sectional operation (`rank`, `zscore`) of a float series, on its own clock.
    public func crossSection(_ op: CrossSectionOp, _ x: NodeID) throws -> NodeID {
        guard self[x].type == .float else {
            throw GraphError.typeMismatch("\(op.rawValue) needs a float series, got a \(self[x].type == .bool ? "bool series" : "number")")
        }
        return intern(.crossSection(op), [x], type: .float, lookback: self[x].lookback, clock: self[x].clock)
    }

    // A node's clock follows from its operation and inputs, so the key needs neither.
    private func intern(_ op: Op, _ inputs: [NodeID], type: ValueType, lookback: Int, clock: Timeframe? = nil) -> NodeID {
        let key = InternKey(op: op, inputs: inputs)
        if let id = interned[key] { return id }
        let id = NodeID(nodes.count)
        nodes.append(Node(op: op, inputs: inputs, type: type, lookback: lookback, clock: clock))
        interned[key] = id
        return id
    }

    // MARK: - inspection

    /// Node ids reachable from `roots`, in topological order (inputs first).
    public func reachable(from roots: [NodeID]) -> [NodeID] {
        var seen = Set<NodeID>()
        var stack = roots
        while let id = stack.popLast() {
            if seen.insert(id).inserted { stack.append(contentsOf: self[id].inputs) }
        }
        return seen.sorted()   // ids are created inputs-first, so id order is topological
    }

    /// Whether a node `roots` reach is cross-sectional (rank, zscore): then a slice of the
    /// symbols cannot be evaluated alone.
    public func isCrossSectional(_ roots: [NodeID]) -> Bool {
        reachable(from: roots).contains { if case .crossSection = self[$0].op { return true }; return false }
    }

    /// The coarser clocks the nodes `roots` reach follow, finest first.
    public func clocks(from roots: [NodeID]) -> [Timeframe] {
        Set(reachable(from: roots).compactMap { self[$0].clock }).sorted()
    }

    /// A readable form of the expression at `id`, e.g. `sma(close, 10)`.
    public func describe(_ id: NodeID) -> String {
        let n = self[id]
        switch n.op {
        case .field(let name): return name
        case .constant: return PrimitiveSpec.Param("c").formatted(n.constantValue!)
        case .unary(let op): return op == .neg ? "-\(describe(n.inputs[0]))" : op == .not ? "~\(describe(n.inputs[0]))" : "\(op.rawValue)(\(describe(n.inputs[0])))"
        case .binary(let op):
            if op == .min || op == .max { return "\(op.rawValue)(\(describe(n.inputs[0])), \(describe(n.inputs[1])))" }
            return "(\(describe(n.inputs[0])) \(op.symbol) \(describe(n.inputs[1])))"
        case .crossSection(let op): return "\(op.rawValue)(\(describe(n.inputs[0])))"
        case .resample(let tf): return "\(describe(n.inputs[0]))@\(tf)"
        case .align: return "aligned(\(describe(n.inputs[0])))"
        case .calendar(let c): return c.description
        case .select: return "where(\(n.inputs.map(describe).joined(separator: ", ")))"
        case .primitive(let name, _, let output):
            let spec = Registry.spec(name)!
            let args = n.inputs.map(describe) + n.params().map { PrimitiveSpec.Param("p").formatted($0) }
            let suffix = spec.outputs.count > 1 ? ".\(spec.outputs[output].name)" : ""
            return "\(name)(\(args.joined(separator: ", ")))\(suffix)"
        }
    }
}

extension PrimitiveSpec.Param {
    func formatted(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v) }
}
