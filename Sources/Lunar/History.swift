import Foundation
import LunarData
import LunarDeps
import LunarHistory
import LunarManifest
import LunarReport
import LunarScript
import LunarSim

/// Lunar's version, recorded with every run.
public let lunarVersion = "0.1.0"

extension Panel {
    /// Symbols, calendar, every value and the universe (membership, delistings) of the data a
    /// panel is or was made from: two panels with the same fingerprint hold the same data.
    public var fingerprint: String {
        if let outlineFingerprint { return outlineFingerprint }
        let p = data
        var h = ContentHash()
        for s in p.symbols { h.add(s); h.add(",") }
        h.add(p.timestamps)
        for name in p.fields.keys.sorted() { h.add(name); h.add(p.fields[name]!) }
        Panel.addUniverse(p.universe, to: &h)
        return h.hex
    }

    /// The universe's part of a data fingerprint: membership spells and delistings, by symbol.
    static func addUniverse(_ u: Universe, to h: inout ContentHash) {
        for (symbol, spells) in (u.membership ?? [:]).sorted(by: { $0.key < $1.key }) {
            h.add("member:" + symbol)
            for spell in spells { h.add([spell.start, spell.end ?? .max]) }
        }
        for (symbol, d) in u.delistings.sorted(by: { $0.key < $1.key }) {
            h.add("delisted:" + symbol); h.add([d.date]); h.add([d.price ?? -1])
        }
    }
}

/// How a run's data were named and read: enough to load the same panel again.
public struct DataOrigin: Sendable, Equatable {
    /// `synthetic:…`, a folder or a file (made absolute when it exists).
    public var spec: String
    /// Rescaled by the Adj Close column.
    public var adjust: Bool
    /// The membership list (`--universe`) and delistings file (`--delistings`) given.
    public var universe: String?
    public var delistings: String?
    public init(spec: String, adjust: Bool = false, universe: String? = nil, delistings: String? = nil) {
        self.spec = spec; self.adjust = adjust; self.universe = universe; self.delistings = delistings
    }

    /// Loads the data as named.
    public func load(progress: ((Int, Int) -> Void)? = nil) throws -> Panel {
        try DataSource.load(spec, adjust: adjust, universe: universe, delistings: delistings, progress: progress)
    }
}

extension BacktestResult {
    /// A hash of what the run produced: the portfolio curve and every trade, bit for bit.
    public var resultHash: String {
        var h = ContentHash()
        h.add(equity)
        for t in trades {
            h.add(t.symbol); h.add(t.entryBar); h.add(t.exitBar); h.add(t.entryPrice); h.add(t.exitPrice)
            h.add(t.size); h.add(t.entryFees); h.add(t.exitFees); h.add(t.pnl); h.add(t.isShort ? 1 : 0)
            h.add(t.exitReason.rawValue)
        }
        return h.hex
    }

    /// The history record of this run: the complete resolved settings, the parameters, the
    /// hashes of the bytes every Lua file had when it loaded, the data's identity and a hash of
    /// the result.
    public func record(data: DataOrigin, options: BacktestOptions) -> RunRecord {
        var files: [String: String] = [:]
        for f in strategy.files {
            files[absolute(f)] = strategy.sources[f].map(ContentHash.of) ?? ContentHash.of(file: f) ?? "missing"
        }
        let daily = panel.isDaily
        var metrics: [String: Double?] = [:]
        for (k, v) in portfolio.fields { metrics[k] = v.isFinite ? v : nil }
        var r = RunRecord(
            createdAt: ISO8601DateFormatter().string(from: Date()),
            strategyName: strategy.name, strategyPath: absolute(strategy.path),
            strategyHash: files[absolute(strategy.path)] ?? "missing",
            files: files,
            params: Dictionary(uniqueKeysWithValues: strategy.params.map { ($0.name, $0.value.description) }),
            dataSpec: FileManager.default.fileExists(atPath: data.spec) ? absolute(data.spec) : data.spec,
            dataSymbols: panel.symbolCount,
            dataFirst: panel.timestamps.first.map { Calendar.format($0, daily: daily) } ?? "",
            dataLast: panel.timestamps.last.map { Calendar.format($0, daily: daily) } ?? "",
            dataHash: panel.fingerprint, lunarVersion: lunarVersion,
            options: ["engine": options.engine.rawValue], metrics: metrics)
        r.settings = simulationOptions.settings
        r.dataBars = panel.barCount
        r.dataAdjust = data.adjust
        // The files actually read: a delistings.csv found beside the data is named too.
        r.dataUniverse = (panel.data.universe.membershipFile ?? data.universe).map(absolute)
        r.dataDelistings = (panel.data.universe.delistingsFile ?? data.delistings).map(absolute)
        if let libs = options.libraries {
            r.libraryFlags = libs.flags.map(absolute)
            r.libraryEnvironment = libs.environment.map(absolute)
            r.projectFile = libs.project.map { absolute($0.path) }
        }
        r.resultHash = resultHash
        r.libraries = strategy.libraries.compactMap(LibraryProvenance.init(root:))
        return r
    }
}

extension LibraryProvenance {
    /// A root's identity: a dependency's locked source and commit; for another folder its path and
    /// the commit git has checked out there (none outside a work tree); the stdlib by Lunar's version.
    init?(root: LibraryRoot) {
        guard let m = root.manifest else { return nil }
        switch root.origin {
        case .stdlib: self.init(name: m.name, version: m.version.description, source: "stdlib", commit: nil)
        case .dependency:
            self.init(name: m.name, version: m.version.description, source: root.source ?? "path+" + root.path, commit: root.commit)
        default:
            self.init(name: m.name, version: m.version.description, source: "path+" + root.path, commit: Git.headCommit(of: root.path))
        }
    }
}

extension BacktestOptions {
    /// The options that replay a recorded run: its parameters, every setting it resolved (as
    /// overrides, so the strategy table cannot change them), its engine and library roots.
    public init(recorded r: RunRecord, stdlib: String? = nil, offline: Bool = false) throws {
        self.init()
        params = r.params
        if r.settings.isEmpty {
            // Recorded before settings were: only these were kept.
            if let f = r.options["fees"].flatMap(Double.init) { overrides["fees"] = .number(f) }
            if let c = r.options["capital"].flatMap(Double.init) { overrides["capital"] = .number(c) }
        } else {
            overrides = r.settings
        }
        if let e = r.options["engine"].flatMap(EngineKind.init(rawValue:)) { engine = e }
        self.stdlib = stdlib
        if !r.libraryFlags.isEmpty || !r.libraryEnvironment.isEmpty || r.projectFile != nil {
            let project = try r.projectFile.map { p in try ProjectFile(contentsOf: p) }
            var settings = LibrarySettings(project: project, flags: r.libraryFlags, environment: r.libraryEnvironment,
                                           stdlib: try stdlib ?? Stdlib.locate())
            // The dependencies as lunar.lock has them now (`Rerun.changedLibraries` says when
            // that is not what the run used).
            try settings.installDependencies(offline: offline || LibrarySettings.isOffline(ProcessInfo.processInfo.environment))
            libraries = settings
        }
    }
}

/// Reproducing a recorded run.
public enum Rerun {
    /// The data of a recorded run, read the way the run read them.
    public static func loadData(_ r: RunRecord) throws -> Panel {
        try origin(r).load()
    }

    /// How a recorded run's data were named.
    public static func origin(_ r: RunRecord) -> DataOrigin {
        DataOrigin(spec: r.dataSpec, adjust: r.dataAdjust, universe: r.dataUniverse, delistings: r.dataDelistings)
    }

    /// What differs between the recorded inputs and those on disk now (empty: unchanged).
    public static func changedInputs(_ r: RunRecord, panel: Panel) -> [String] {
        var changes: [String] = []
        for (file, hash) in r.files.sorted(by: { $0.key < $1.key }) {
            let now = ContentHash.of(file: file)
            if now == nil { changes.append("\(file) is missing") } else if now != hash { changes.append("\(file) changed") }
        }
        if panel.fingerprint != r.dataHash {
            var what: [String] = []
            if panel.symbolCount != r.dataSymbols { what.append("\(r.dataSymbols) → \(panel.symbolCount) symbols") }
            if r.dataBars > 0 && panel.barCount != r.dataBars { what.append("\(r.dataBars) → \(panel.barCount) bars") }
            let daily = panel.isDaily
            let first = panel.timestamps.first.map { Calendar.format($0, daily: daily) } ?? ""
            let last = panel.timestamps.last.map { Calendar.format($0, daily: daily) } ?? ""
            if first != r.dataFirst || last != r.dataLast { what.append("\(r.dataFirst)…\(r.dataLast) → \(first)…\(last)") }
            if what.isEmpty { what.append("same shape, different values") }
            changes.append("the data (\(r.dataSpec)) changed: " + what.joined(separator: ", "))
        }
        if r.lunarVersion != lunarVersion { changes.append("Lunar's version changed (\(r.lunarVersion) → \(lunarVersion))") }
        if r.settings.isEmpty { changes.append("run \(r.id ?? 0) was recorded before settings were: only its fees, capital and engine are replayed") }
        return changes
    }

    /// Files the new run loaded that the recorded one did not, and the other way round
    /// (a module resolved from another root, a require added or removed).
    public static func changedFiles(_ recorded: RunRecord, _ new: RunRecord) -> [String] {
        let before = Set(recorded.files.keys), after = Set(new.files.keys)
        return after.subtracting(before).sorted().map { "\($0) is loaded now but was not" } +
            before.subtracting(after).sorted().map { "\($0) was loaded but is not now" }
    }

    /// Libraries whose version, source or commit differ between the recorded run and the new one
    /// (lunar.lock moved, a library was added or dropped).
    public static func changedLibraries(_ recorded: RunRecord, _ new: RunRecord) -> [String] {
        let before = Dictionary(recorded.libraries.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let after = Dictionary(new.libraries.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var out: [String] = []
        for name in Set(before.keys).union(after.keys).sorted() {
            switch (before[name], after[name]) {
            case let (b?, a?) where b != a:
                out.append("library \(b.summary) is now \(a.summary)" +
                    (a.source.hasPrefix("git+") ? " (lunar.lock moved since the run)" : ""))
            case let (b?, nil): out.append("library \(b.summary) was used but is not now")
            case let (nil, a?): out.append("library \(a.summary) is used now but was not")
            default: break
            }
        }
        return out
    }

    /// Setting differences between two runs: (name, a, b), in table order.
    public static func settingDifferences(_ a: RunRecord, _ b: RunRecord) -> [(String, SettingValue?, SettingValue?)] {
        Setting.all.compactMap { s in
            let x = a.settings[s.name], y = b.settings[s.name]
            return x == y ? nil : (s.name, x, y)
        }
    }

    /// Metric differences between two runs: (key, a, b) for every key whose values differ.
    public static func metricDifferences(_ a: RunRecord, _ b: RunRecord) -> [(String, Double?, Double?)] {
        let keys = Set(a.metrics.keys).union(b.metrics.keys).sorted()
        return keys.compactMap { k in
            let x = a.metrics[k] ?? nil, y = b.metrics[k] ?? nil
            return x == y ? nil : (k, x, y)
        }
    }
}

/// Paths are recorded absolute so that a run can be reproduced from any directory.
func absolute(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }
