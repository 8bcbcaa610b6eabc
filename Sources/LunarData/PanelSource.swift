import Foundation

/// Something that yields a Panel: a folder of CSVs, the synthetic universe, a database, a
/// vendor's API. `lunar run --data SPEC` asks the registered factories which one SPEC names.
public protocol PanelSource: Sendable {
    /// What is loaded, for messages: a path, `synthetic:500:2520:42`, `sqlite:prices.db`…
    var description: String { get }
    /// Loads the panel; `progress` gets (done, total) for sources with several parts.
    func load(progress: ((Int, Int) -> Void)?) throws -> Panel
}

/// Options every source may honour.
public struct PanelSourceOptions: Sendable {
    /// Rescale open/high/low/close by an adjusted close, when the source has one.
    public var adjust = false
    public init(adjust: Bool = false) { self.adjust = adjust }
}

/// Recognizes the `--data` specs of one kind of source and makes the source.
public protocol PanelSourceFactory: Sendable {
    /// A short name for help text: `csv`, `synthetic`.
    var name: String { get }
    /// One line on the specs it takes.
    var usage: String { get }
    /// The source for `spec`, or nil when the spec is not of this kind. Throw when it is of this
    /// kind but malformed, so the user sees why.
    func source(for spec: String, options: PanelSourceOptions) throws -> (any PanelSource)?
}

// MARK: - built-in sources

/// The deterministic synthetic universe.
public struct SyntheticSource: PanelSource {
    public let symbols: Int, bars: Int, seed: UInt64
    public init(symbols: Int, bars: Int, seed: UInt64) { self.symbols = symbols; self.bars = bars; self.seed = seed }
    public var description: String { "synthetic:\(symbols):\(bars):\(seed)" }
    public func load(progress: ((Int, Int) -> Void)?) throws -> Panel { Synthetic.panel(symbols: symbols, bars: bars, seed: seed) }
}

/// A folder of SYMBOL.csv files or one long CSV.
public struct CSVSource: PanelSource {
    public let path: String
    public let options: CSVLoader.Options
    public init(path: String, options: CSVLoader.Options = .init()) { self.path = path; self.options = options }
    public var description: String { path }
    /// A binary cache next to the data (invalidated when a CSV changes) makes every load after
    /// the first one cheap.
    public func load(progress: ((Int, Int) -> Void)?) throws -> Panel {
        let fingerprint = PanelCache.fingerprint(of: path, adjust: options.adjust)
        if let fingerprint, let panel = PanelCache.load(path, fingerprint: fingerprint) { return panel }
        let panel = try CSVLoader.load(path: path, options: options, progress: progress)
        if let fingerprint { PanelCache.store(panel, for: path, fingerprint: fingerprint) }
        return panel
    }
}

struct SyntheticSourceFactory: PanelSourceFactory {
    var name: String { "synthetic" }
    var usage: String { "synthetic[:SYMBOLS:BARS[:SEED]]: the built-in random-walk universe" }
    func source(for spec: String, options: PanelSourceOptions) throws -> (any PanelSource)? {
        try Synthetic.parseSpec(spec).map { SyntheticSource(symbols: $0.symbols, bars: $0.bars, seed: $0.seed) }
    }
}

/// Takes any other spec as a path, so it is asked last.
struct CSVSourceFactory: PanelSourceFactory {
    var name: String { "csv" }
    var usage: String { "PATH: a folder of SYMBOL.csv files, or one CSV (a symbol column for several symbols)" }
    func source(for spec: String, options: PanelSourceOptions) throws -> (any PanelSource)? {
        CSVSource(path: spec, options: .init(adjust: options.adjust))
    }
}

// MARK: - the registry of sources

public enum PanelSources {
    /// Adds a factory. The newest registration is asked first, so a plugin's `scheme:` specs
    /// are seen before the CSV reader, which takes any path.
    public static func register(_ factory: some PanelSourceFactory) {
        _ = builtIns
        add(factory)
    }

    /// Every factory, in the order they are asked.
    public static var factories: [any PanelSourceFactory] {
        _ = builtIns
        return store.withLock { $0 }
    }

    private static func add(_ factory: any PanelSourceFactory) { store.withLock { $0.insert(factory, at: 0) } }

    private static let store = LockedList()
    /// Built-ins are added the way `register` adds plugins: CSV first, so it ends up asked last.
    private static let builtIns: Void = {
        add(CSVSourceFactory())
        add(StoreSourceFactory())
        add(SyntheticSourceFactory())
    }()

    /// The source `spec` names.
    public static func source(for spec: String, options: PanelSourceOptions = .init()) throws -> any PanelSource {
        for factory in factories {
            if let s = try factory.source(for: spec, options: options) { return s }
        }
        throw DataError.invalid("no data source takes '\(spec)'; expected one of: " + factories.map(\.usage).joined(separator: "; "))
    }
}

/// A lock-guarded array of factories.
private final class LockedList: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [any PanelSourceFactory] = []
    func withLock<T>(_ body: (inout [any PanelSourceFactory]) throws -> T) rethrows -> T {
        lock.lock(); defer { lock.unlock() }
        return try body(&items)
    }
}
