import Foundation
import LunarData
import LunarHistory
import LunarManifest
import LunarScript
import LunarSim

/// What kind of failure an error is, and the exit status `lunar` gives it, so scripts and CI
/// can tell a broken strategy from broken data from a mistyped flag.
public enum FailureKind: String, Sendable, CaseIterable {
    /// An option, setting or argument the command does not take.
    case usage
    /// A strategy, module or Lua test: a syntax or runtime error, a limit, a bad signal.
    case script
    /// A data file or folder: missing, unreadable, malformed.
    case data
    /// The run history could not be read or written.
    case history
    /// A library dependency: not fetchable, unresolvable, or not matching lunar.lock.
    case dependency
    /// Shards that do not make one whole (`lunar merge`): missing, given twice, of different commands.
    case shard
    /// A run that cannot be made within its `--memory-budget` (a strategy that needs every symbol at once).
    case memory
    /// Anything else (a file system error, a bug).
    case other

    /// `lunar`'s exit status. 64 is the argument parser's own status for usage errors; 2 is
    /// taken by `runs rerun` (same inputs, different results).
    public var exitCode: Int32 {
        switch self {
        case .usage: return 64
        case .script: return 3
        case .data: return 4
        case .history: return 5
        case .dependency: return 6
        case .shard: return 7
        case .memory: return 8
        case .other: return 1
        }
    }

    public init(_ error: Error) {
        switch error {
        case is SettingError, is UnknownSettingError: self = .usage
        case let e as SimulationError:
            if case .badOption = e { self = .usage } else { self = .script }
        case is ScriptError, is ManifestError: self = .script
        case is DataError, is ParquetError: self = .data
        case is TiledRun.Refusal: self = .memory
        case is HistoryError: self = .history
        case is DependencyError, is Git.GitFailure: self = .dependency
        case is ShardError: self = .shard
        default: self = .other
        }
    }
}
