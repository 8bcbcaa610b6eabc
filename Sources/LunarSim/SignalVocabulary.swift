/// The series a vectorized strategy's `signals` may return, each mapped onto its field of
/// `SignalInputs`. The loader's checks, the evaluation's outputs, the docs' table and the
/// simulator's inputs all come from this one list.
public enum Signal: String, Sendable, CaseIterable {
    case entries, exits
    case shortEntries = "short_entries", shortExits = "short_exits"
    case position, weight, score
    case stopLoss = "stop_loss", takeProfit = "take_profit", trailingStop = "trailing_stop"

    /// The key in the table `signals` returns.
    public var name: String { rawValue }

    /// Entry and exit signals must be bool series; the others are float series.
    public var isBool: Bool {
        switch self {
        case .entries, .exits, .shortEntries, .shortExits: return true
        default: return false
        }
    }

    /// One of these must be returned: something that opens a position.
    public var opensPositions: Bool {
        switch self {
        case .entries, .shortEntries, .position, .weight, .score: return true
        default: return false
        }
    }

    /// What the type column of docs/semantics.md says.
    public var valueDoc: String {
        switch self {
        case .entries, .exits, .shortEntries, .shortExits: return "bool"
        case .position, .weight: return "float in −1…1"
        case .score: return "float"
        case .stopLoss, .takeProfit, .trailingStop: return "float ≥ 0"
        }
    }

    public var doc: String {
        switch self {
        case .entries: return "open a long position"
        case .exits: return "close a long position"
        case .shortEntries: return "open a short position"
        case .shortExits: return "close a short position"
        case .position: return "target exposure as a fraction of the symbol's sub-account equity"
        case .weight: return "target fraction of a shared portfolio's equity"
        case .score: return "a ranking score; with `top = N` the N best are held at weight 1/N"
        case .stopLoss, .takeProfit, .trailingStop: return "per-bar stop fraction read on the bar an entry is decided (see Exits by price)"
        }
    }

    /// Where the simulator reads it.
    public var input: WritableKeyPath<SignalInputs, [Double]?> & Sendable {
        switch self {
        case .entries: return \.entries
        case .exits: return \.exits
        case .shortEntries: return \.shortEntries
        case .shortExits: return \.shortExits
        case .position: return \.position
        case .weight: return \.weight
        case .score: return \.score
        case .stopLoss: return \.stopLoss
        case .takeProfit: return \.takeProfit
        case .trailingStop: return \.trailingStop
        }
    }

    public static var names: [String] { allCases.map(\.name) }
}

extension SignalInputs {
    /// Inputs from named series; `boolsAreTyped` when the bool signals come from typed graph nodes.
    public init(_ series: [Signal: [Double]], boolsAreTyped: Bool) {
        self.init()
        for (signal, values) in series { self[keyPath: signal.input] = values }
        self.boolsAreTyped = boolsAreTyped
    }
}
