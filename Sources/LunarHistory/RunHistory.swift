import Foundation
import GRDB
import LunarSim

/// One recorded `lunar run`: enough to list, compare and reproduce it.
public struct RunRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "runs"

    public var id: Int64?
    /// ISO 8601, UTC.
    public var createdAt: String
    public var strategyName: String
    public var strategyPath: String
    /// Content hash of the strategy file.
    public var strategyHash: String
    /// Every Lua file the run loaded (the strategy and its modules) → content hash.
    public var files: [String: String]
    public var params: [String: String]
    /// How the data were named (`synthetic:…` or a path).
    public var dataSpec: String
    public var dataSymbols: Int
    public var dataFirst: String
    public var dataLast: String
    public var dataHash: String
    public var lunarVersion: String
    /// Run options that are not settings (the engine), as text. Records made before settings
    /// were recorded hold `fees` and `capital` here too.
    public var options: [String: String]
    /// Portfolio metrics, snake_case keys; NaN is stored as null and read back as NaN.
    public var metrics: [String: Double?]
    /// Every setting of `Setting.all`, resolved (defaults, strategy table, flags): replaying
    /// them as overrides reproduces the run whatever the strategy table says now. Empty in
    /// records made before they were recorded.
    public var settings: [String: SettingValue] = [:]
    public var dataBars: Int = 0
    /// The data were rescaled by their Adj Close column (`--adjust`).
    public var dataAdjust: Bool = false
    /// Library roots from `--lib` and from `LUNAR_PATH`, absolute, and the `lunar.toml` used.
    public var libraryFlags: [String] = []
    public var libraryEnvironment: [String] = []
    public var projectFile: String? = nil
    /// The membership list (`--universe`) and the delistings file the data were read with.
    public var dataUniverse: String? = nil
    public var dataDelistings: String? = nil
    /// Content hash of the portfolio equity curve and every trade: equal hashes, equal bits.
    public var resultHash: String = ""
    /// What made the record: `run`, or `sweep` and `walkforward`, whose params are the chosen
    /// combination's (a rerun replays that combination).
    public var kind: String = "run"
    /// Combinations a sweep or walk-forward tried (0 for a run): what later sweeps of the same
    /// strategy on the same data count toward the Deflated Sharpe Ratio's trials.
    public var trials: Int = 0
    /// The overfitting statistics of a sweep (psr, dsr, pbo, …), NaN as null.
    public var statistics: [String: Double?] = [:]
    /// Every library whose modules the run loaded: its version, where it came from and the commit
    /// (`files` has each module's hash; this says which release those bytes were).
    public var libraries: [LibraryProvenance] = []

    public init(createdAt: String, strategyName: String, strategyPath: String, strategyHash: String,
                files: [String: String], params: [String: String], dataSpec: String, dataSymbols: Int,
                dataFirst: String, dataLast: String, dataHash: String, lunarVersion: String,
                options: [String: String], metrics: [String: Double?]) {
        self.createdAt = createdAt; self.strategyName = strategyName; self.strategyPath = strategyPath
        self.strategyHash = strategyHash; self.files = files; self.params = params; self.dataSpec = dataSpec
        self.dataSymbols = dataSymbols; self.dataFirst = dataFirst; self.dataLast = dataLast
        self.dataHash = dataHash; self.lunarVersion = lunarVersion; self.options = options; self.metrics = metrics
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A library as a run used it: `source` is `git+URL`, `path+FOLDER` or `stdlib`; `commit` is the
/// locked commit of a git dependency, or the checked-out commit of a folder inside a git work tree.
public struct LibraryProvenance: Codable, Sendable, Equatable {
    public var name: String
    public var version: String
    public var source: String
    public var commit: String?
    public init(name: String, version: String, source: String, commit: String?) {
        self.name = name; self.version = version; self.source = source; self.commit = commit
    }

    /// `acme 1.2.0 (git+https://…, 9fceb02d0ae5)`.
    public var summary: String {
        "\(name) \(version) (\(source)" + (commit.map { ", " + $0.prefix(12) } ?? "") + ")"
    }
}

public enum HistoryError: Error, CustomStringConvertible {
    case unavailable(path: String, reason: String)
    case notFound(Int64)
    public var description: String {
        switch self {
        case .unavailable(let path, let reason): return "run history \(path): \(reason)"
        case .notFound(let id): return "no recorded run with id \(id) (see `lunar runs`)"
        }
    }
}

/// The run history: a SQLite database (WAL mode, so several `lunar run`s can record at once).
public final class RunHistory: Sendable {
    public let path: String
    private let pool: DatabasePool

    public static let defaultPath = ".lunar/runs.sqlite"

    public init(path: String = RunHistory.defaultPath) throws {
        self.path = path
        do {
            try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path,
                                                    withIntermediateDirectories: true)
            var config = Configuration()
            config.busyMode = .timeout(30)          // concurrent writers wait instead of failing
            // Several processes may create or upgrade a history at once: one wins each migration,
            // the others fail on the table or column it just made; a retry then finds it
            // applied. Each migration is a race of its own, so a loaded machine needs more than
            // a few tries (five were seen to run out with three migrations and four writers).
            // Opening is retried too: switching a new file to WAL takes an exclusive lock that a
            // racing opener can hold past the busy timeout's reach (seen once in CI).
            var attempt = 0
            while true {
                do {
                    let opened = try DatabasePool(path: path, configuration: config)
                    try RunHistory.migrator.migrate(opened)
                    pool = opened
                    break
                } catch {
                    attempt += 1
                    if attempt >= 25 { throw error }
                    usleep(useconds_t(10_000 * min(attempt, 10)))
                }
            }
        } catch let e as DatabaseError {
            throw HistoryError.unavailable(path: path, reason: RunHistory.explain(e))
        } catch {
            throw HistoryError.unavailable(path: path, reason: "\(error)")
        }
    }

    private static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.create(table: "runs") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("createdAt", .text).notNull()
                t.column("strategyName", .text).notNull()
                t.column("strategyPath", .text).notNull().indexed()
                t.column("strategyHash", .text).notNull()
                t.column("files", .jsonText).notNull()
                t.column("params", .jsonText).notNull()
                t.column("dataSpec", .text).notNull()
                t.column("dataSymbols", .integer).notNull()
                t.column("dataFirst", .text).notNull()
                t.column("dataLast", .text).notNull()
                t.column("dataHash", .text).notNull()
                t.column("lunarVersion", .text).notNull()
                t.column("options", .jsonText).notNull()
                t.column("metrics", .jsonText).notNull()
            }
        }
        // v2: what a run needs to be replayed exactly (complete settings, data options, library
        // roots) and a hash of its result to compare bit for bit.
        m.registerMigration("v2") { db in
            try db.alter(table: "runs") { t in
                t.add(column: "settings", .jsonText).notNull().defaults(to: "{}")
                t.add(column: "dataBars", .integer).notNull().defaults(to: 0)
                t.add(column: "dataAdjust", .boolean).notNull().defaults(to: false)
                t.add(column: "libraryFlags", .jsonText).notNull().defaults(to: "[]")
                t.add(column: "libraryEnvironment", .jsonText).notNull().defaults(to: "[]")
                t.add(column: "projectFile", .text)
                t.add(column: "resultHash", .text).notNull().defaults(to: "")
            }
        }
        // v3: the universe files (membership list, delistings) the data were read with.
        m.registerMigration("v3") { db in
            try db.alter(table: "runs") { t in
                t.add(column: "dataUniverse", .text)
                t.add(column: "dataDelistings", .text)
            }
        }
        // v4: sweeps and walk-forwards, their trial counts and overfitting statistics.
        m.registerMigration("v4") { db in
            try db.alter(table: "runs") { t in
                t.add(column: "kind", .text).notNull().defaults(to: "run")
                t.add(column: "trials", .integer).notNull().defaults(to: 0)
                t.add(column: "statistics", .jsonText).notNull().defaults(to: "{}")
            }
        }
        // v5: the libraries a run loaded, with versions, sources and commits.
        m.registerMigration("v5") { db in
            try db.alter(table: "runs") { t in
                t.add(column: "libraries", .jsonText).notNull().defaults(to: "[]")
            }
        }
        return m
    }

    static func explain(_ e: DatabaseError) -> String {
        switch e.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED: return "the database is locked by another process; try again"
        case .SQLITE_NOTADB, .SQLITE_CORRUPT: return "the file is not a valid run history (corrupt?); move it away to start a new one"
        case .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_CANTOPEN: return "cannot open or write the database (\(e.message ?? "permission denied"))"
        default: return e.message ?? "\(e)"
        }
    }

    /// Stores a run and returns it with its id.
    @discardableResult
    public func record(_ run: RunRecord) throws -> RunRecord {
        var r = run
        do { try pool.write { db in try r.insert(db) } } catch let e as DatabaseError {
            throw HistoryError.unavailable(path: path, reason: RunHistory.explain(e))
        }
        return r
    }

    /// Runs newest first, optionally only those whose strategy path or name contains `strategy`.
    public func list(strategy: String? = nil, limit: Int = 50) throws -> [RunRecord] {
        try pool.read { db in
            var q = RunRecord.order(Column("id").desc)
            if let s = strategy {
                q = q.filter(Column("strategyPath").like("%\(s)%") || Column("strategyName").like("%\(s)%"))
            }
            return try q.limit(limit).fetchAll(db)
        }
    }

    public func run(id: Int64) throws -> RunRecord {
        guard let r = try pool.read({ db in try RunRecord.fetchOne(db, key: id) }) else { throw HistoryError.notFound(id) }
        return r
    }

    public func count() throws -> Int { try pool.read { db in try RunRecord.fetchCount(db) } }

    /// Earlier sweeps and walk-forwards of the strategy at `strategyPath` on the data with
    /// `dataHash`, oldest first: when each was made and how many combinations it tried.
    public func trials(strategyPath: String, dataHash: String) throws -> [(createdAt: String, trials: Int)] {
        try pool.read { db in
            try RunRecord.filter(Column("strategyPath") == strategyPath && Column("dataHash") == dataHash && Column("kind") != "run")
                .order(Column("id")).fetchAll(db).map { ($0.createdAt, $0.trials) }
        }
    }
}

/// FNV-1a, 64 bits: a fast content fingerprint (not a security hash).
public struct ContentHash {
    private var h: UInt64 = 0xcbf2_9ce4_8422_2325
    public init() {}
    public mutating func add(_ bytes: UnsafeRawBufferPointer) {
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    }
    public mutating func add(_ s: String) { var s = s; s.withUTF8 { add(UnsafeRawBufferPointer($0)) } }
    public mutating func add(_ data: Data) { data.withUnsafeBytes { add($0) } }
    /// Numbers are folded in a word at a time: 8× faster than bytes, still order-sensitive.
    public mutating func add(_ values: [Double]) { for v in values { addWord(v.bitPattern) } }
    public mutating func add(_ values: [Int64]) { for v in values { addWord(UInt64(bitPattern: v)) } }
    public mutating func add(_ value: Double) { addWord(value.bitPattern) }
    public mutating func add(_ value: Int) { addWord(UInt64(bitPattern: Int64(value))) }
    @inline(__always) mutating func addWord(_ w: UInt64) { h = (h ^ w) &* 0x100_0000_01b3; h ^= h >> 29 }
    public var hex: String { String(h, radix: 16).leftPadded(16) }

    public static func of(file path: String) -> String? {
        guard let d = FileManager.default.contents(atPath: path) else { return nil }
        return of(d)
    }

    public static func of(_ data: Data) -> String {
        var h = ContentHash()
        h.add(data)
        return h.hex
    }
}

extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
