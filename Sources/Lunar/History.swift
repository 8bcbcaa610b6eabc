import Foundation
import LunarData
import LunarHistory
import LunarReport

/// Lunar's version, recorded with every run.
public let lunarVersion = "0.1.0"

extension Panel {
    /// Symbols, calendar and every value: two panels with the same fingerprint hold the same data.
    public var fingerprint: String {
        var h = ContentHash()
        for s in symbols { h.add(s); h.add(",") }
        h.add(timestamps)
        for name in fields.keys.sorted() { h.add(name); h.add(fields[name]!) }
        return h.hex
    }
}

extension BacktestResult {
    /// The history record of this run.
    public func record(dataSpec: String, options: BacktestOptions) -> RunRecord {
        var files: [String: String] = [:]
        for f in strategy.files { files[absolute(f)] = ContentHash.of(file: f) ?? "missing" }
        let daily = panel.isDaily
        var metrics: [String: Double?] = [:]
        for (k, v) in portfolio.fields { metrics[k] = v.isFinite ? v : nil }
        return RunRecord(
            createdAt: ISO8601DateFormatter().string(from: Date()),
            strategyName: strategy.name, strategyPath: absolute(strategy.path),
            strategyHash: ContentHash.of(file: strategy.path) ?? "missing",
            files: files,
            params: Dictionary(uniqueKeysWithValues: strategy.params.map { ($0.name, $0.value.description) }),
            dataSpec: FileManager.default.fileExists(atPath: dataSpec) ? absolute(dataSpec) : dataSpec, dataSymbols: panel.symbolCount,
            dataFirst: panel.timestamps.first.map { Calendar.format($0, daily: daily) } ?? "",
            dataLast: panel.timestamps.last.map { Calendar.format($0, daily: daily) } ?? "",
            dataHash: panel.fingerprint, lunarVersion: lunarVersion,
            options: options.recordedOptions, metrics: metrics)
    }
}

extension BacktestOptions {
    /// The options that change results, as recorded in the history.
    public var recordedOptions: [String: String] {
        ["fees": "\(simulation.fees)", "capital": "\(simulation.capital)", "engine": engine.rawValue]
    }

    /// Options rebuilt from a history record.
    public init(recorded r: RunRecord) {
        self.init()
        params = r.params
        if let f = r.options["fees"].flatMap(Double.init) { simulation.fees = f }
        if let c = r.options["capital"].flatMap(Double.init) { simulation.capital = c }
        if let e = r.options["engine"].flatMap(EngineKind.init(rawValue:)) { engine = e }
    }
}

/// Reproducing a recorded run.
public enum Rerun {
    /// What differs between the recorded inputs and those on disk now (empty: unchanged).
    public static func changedInputs(_ r: RunRecord, panel: Panel) -> [String] {
        var changes: [String] = []
        for (file, hash) in r.files.sorted(by: { $0.key < $1.key }) {
            let now = ContentHash.of(file: file)
            if now == nil { changes.append("\(file) is missing") } else if now != hash { changes.append("\(file) changed") }
        }
        if panel.fingerprint != r.dataHash { changes.append("the data (\(r.dataSpec)) changed") }
        if r.lunarVersion != lunarVersion { changes.append("Lunar's version changed (\(r.lunarVersion) → \(lunarVersion))") }
        return changes
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
