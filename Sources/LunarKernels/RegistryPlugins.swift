import Foundation

/// A package that adds native primitives: each `PrimitiveSpec` carries the kernel (a
/// `StreamKernel` factory) and everything the graph, the Lua bindings and the docs need.
///
/// ```swift
/// struct AcmePrimitives: PrimitiveProvider {
///     var primitives: [PrimitiveSpec] { [decayedSum] }
/// }
/// try Registry.register(AcmePrimitives())     // before loading strategies
/// ```
public protocol PrimitiveProvider: Sendable {
    var primitives: [PrimitiveSpec] { get }
}

/// The primitives Lunar ships, as a provider like any other.
public struct BuiltInPrimitives: PrimitiveProvider {
    public init() {}
    public var primitives: [PrimitiveSpec] { Registry.builtIns }
}

public enum RegistryError: Error, CustomStringConvertible, Equatable {
    case duplicate(String)
    case invalid(name: String, reason: String)

    public var description: String {
        switch self {
        case .duplicate(let n): return "primitive '\(n)' is already registered; choose another name (e.g. prefix it with your package's name)"
        case .invalid(let n, let why): return "primitive '\(n)' cannot be registered: \(why)"
        }
    }
}

extension Registry {
    /// Names the `ta` table uses for elementwise functions; a primitive may not hide them.
    static let reservedNames: Set<String> = ["abs", "log", "exp", "sqrt", "min", "max", "where"]

    /// Adds a primitive. States created afterwards see it as `ta.NAME`; existing ones do not.
    /// Thread-safe. Throws on a duplicate or malformed entry.
    public static func register(_ spec: PrimitiveSpec) throws {
        try store.add(spec)
    }

    /// Adds every primitive of `provider`, or none of them when one is refused.
    public static func register(_ provider: some PrimitiveProvider) throws {
        try store.add(all: provider.primitives)
    }

    /// Why `spec` cannot be registered, or nil.
    static func problem(with spec: PrimitiveSpec) -> String? {
        let scalars = spec.name.unicodeScalars
        guard let first = scalars.first, ("a" ... "z").contains(first) || first == "_",
              scalars.allSatisfy({ ("a" ... "z").contains($0) || ("0" ... "9").contains($0) || $0 == "_" }) else {
            return "names are lower snake case (letters, digits, '_'), as Lua code calls them ta.name"
        }
        if reservedNames.contains(spec.name) { return "'\(spec.name)' is an elementwise function of the ta table" }
        if spec.inputs.isEmpty { return "it needs at least one series input" }
        if spec.outputs.isEmpty { return "it needs at least one output" }
        for p in spec.params {
            if let d = p.defaultValue, let why = p.problem(with: d) { return "the default of \(why)" }
        }
        return nil
    }

    /// The registry's storage, seeded with the built-ins through the same checks as plugins.
    static let store: RegistryStore = {
        let s = RegistryStore()
        // Built-ins are part of Lunar: if one fails the checks, that is a bug to see at once.
        do { try s.add(all: BuiltInPrimitives().primitives) } catch { fatalError("built-in primitive refused: \(error)") }
        return s
    }()
}

/// A lock-guarded list of specs with a name index.
final class RegistryStore: @unchecked Sendable {
    private let lock = NSLock()
    private var ordered: [PrimitiveSpec] = []
    private var byName: [String: PrimitiveSpec] = [:]

    var all: [PrimitiveSpec] { lock.withLock { ordered } }
    func spec(_ name: String) -> PrimitiveSpec? { lock.withLock { byName[name] } }

    func add(_ spec: PrimitiveSpec) throws { try add(all: [spec]) }

    func add(all specs: [PrimitiveSpec]) throws {
        try lock.withLock {
            var names = Set(byName.keys)
            for spec in specs {
                if let why = Registry.problem(with: spec) { throw RegistryError.invalid(name: spec.name, reason: why) }
                guard names.insert(spec.name).inserted else { throw RegistryError.duplicate(spec.name) }
            }
            for spec in specs { ordered.append(spec); byName[spec.name] = spec }
        }
    }
}
