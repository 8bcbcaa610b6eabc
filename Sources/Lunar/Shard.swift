import Foundation
import LunarReport

/// One of N deterministic slices of a sweep's combinations, a walk-forward's windows or a run's
/// symbols (`--shard K/N`, docs/cluster.md). K counts from 0, as a Kubernetes Indexed Job's
/// `JOB_COMPLETION_INDEX` does, so that index can be passed as it is.
public struct ShardSpec: Sendable, Equatable, Codable, CustomStringConvertible {
    public var index: Int
    public var count: Int
    public init(index: Int, count: Int) { self.index = index; self.count = count }

    public static func parse(_ text: String) throws -> ShardSpec {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let k = parts[0], let n = parts[1] else {
            throw ScriptError("--shard takes K/N (the K-th of N slices, K counting from 0), got '\(text)'")
        }
        guard n >= 1, n <= 1_000_000, k >= 0, k < n else {
            throw ScriptError("--shard \(text): K counts from 0, so it needs 0 ≤ K < N (and 1 ≤ N ≤ 1000000)")
        }
        return ShardSpec(index: k, count: n)
    }

    /// This shard's part of `n` items in order: contiguous, so neighbouring combinations (which
    /// share most of their graph nodes) stay together, and sizes differ by at most one.
    public func range(of n: Int) -> Range<Int> { n * index / count ..< n * (index + 1) / count }

    public var description: String { "\(index)/\(count)" }
}

/// What a shard's folder says about it (`shard.json`): the command it belongs to, which slice
/// it holds, and enough to tell a finished shard of the same command from anything else.
public struct ShardManifest: Sendable, Equatable, Codable {
    /// `sweep`, `walkforward` or `run`.
    public var kind: String
    public var shard: ShardSpec
    /// The command's arguments after its name, without `--shard`, `--out` and `--resume`: the
    /// same for every shard of one command, and what `lunar merge` reads the command back from.
    public var arguments: [String]
    /// The working directory the arguments' relative paths are relative to.
    public var directory: String
    /// The strategy file's content hash when the shard ran.
    public var strategyHash: String
    /// This shard's items (combinations, windows or symbols) among all of them.
    public var first: Int
    public var items: Int
    public var total: Int
    public var seconds: Double
    public var lunarVersion: String
    /// The layout of `shard.bin`.
    public var format: Int = ShardManifest.currentFormat

    public static let currentFormat = 1

    enum CodingKeys: String, CodingKey {
        case kind, shard, arguments, directory, first, items, total, seconds, format
        case strategyHash = "strategy_hash", lunarVersion = "lunar_version"
    }

    /// Whether `other` is a shard of the same command (any slice of it).
    public func sameCommand(as other: ShardManifest) -> Bool {
        kind == other.kind && shard.count == other.shard.count && arguments == other.arguments &&
            directory == other.directory && strategyHash == other.strategyHash && lunarVersion == other.lunarVersion &&
            format == other.format
    }

    /// The manifest of a shard of the command now running (`CommandLine.arguments`).
    public static func current(kind: String, shard: ShardSpec, strategyPath: String) -> ShardManifest {
        ShardManifest(kind: kind, shard: shard, arguments: commandArguments(CommandLine.arguments, kind: kind),
                      directory: FileManager.default.currentDirectoryPath,
                      strategyHash: ContentHash.of(file: strategyPath) ?? "missing", first: 0, items: 0, total: 0,
                      seconds: 0, lunarVersion: Lunar.lunarVersion)
    }

    /// The arguments after the subcommand `kind`, without the ones that differ between the
    /// shards of one command (`--shard`, `--out`) or do not change what it computes (`--resume`).
    static func commandArguments(_ argv: [String], kind: String) -> [String] {
        var rest = Array(argv.drop { $0 != kind }.dropFirst())
        var out: [String] = []
        while !rest.isEmpty {
            let a = rest.removeFirst()
            if a == "--resume" { continue }
            if a == "--shard" || a == "--out" { if !rest.isEmpty { rest.removeFirst() }; continue }
            if a.hasPrefix("--shard=") || a.hasPrefix("--out=") { continue }
            out.append(a)
        }
        return out
    }
}

/// A shard's folder: `shard.json` (the manifest, readable) and `shard.bin` (the partial result,
/// `ShardArchive`), written as a whole like every result folder (`ResultFolder.replace`), so a
/// shard killed at any moment leaves no folder that looks finished.
public enum ShardFolder {
    public static let manifestName = ResultFolder.shardFileNames[0]
    public static let dataName = ResultFolder.shardFileNames[1]

    public static func write(_ manifest: ShardManifest, payload: Data, to dir: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try ResultFolder.replace(dir, with: [(manifestName, try encoder.encode(manifest) + Data("\n".utf8)), (dataName, payload)])
    }

    public static func manifest(_ dir: String) throws -> ShardManifest {
        let path = dir + "/" + manifestName
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ShardError("\(dir): not a shard's folder (no \(manifestName)); a shard writes it when it finishes")
        }
        do { return try JSONDecoder().decode(ShardManifest.self, from: data) } catch {
            throw ShardError("\(path): not a shard manifest (\(error))")
        }
    }

    /// Whether `dir` holds this shard of this command, finished: what `--resume` skips.
    public static func finished(_ dir: String, as wanted: ShardManifest) -> Bool {
        guard let found = try? manifest(dir), FileManager.default.fileExists(atPath: dir + "/" + dataName) else { return false }
        return found.sameCommand(as: wanted) && found.shard == wanted.shard
    }

    /// The shards in `dirs`, ordered by K, checked to be every shard of one command exactly once
    /// and to cover its items without a gap. The same kind is required of all.
    public static func gather(_ dirs: [String]) throws -> [(manifest: ShardManifest, data: ShardReader)] {
        guard !dirs.isEmpty else { throw ShardError("lunar merge needs the shards' folders") }
        var found: [(manifest: ShardManifest, dir: String)] = []
        for dir in dirs { found.append((try manifest(dir), dir)) }
        let first = found[0].manifest
        for (m, dir) in found where !m.sameCommand(as: first) {
            let why = m.kind != first.kind ? "a \(m.kind), not a \(first.kind)"
                : m.shard.count != first.shard.count ? "one of \(m.shard.count) shards, not \(first.shard.count)"
                : m.arguments != first.arguments ? "a different command (\(m.arguments.joined(separator: " ")))"
                : m.strategyHash != first.strategyHash ? "the strategy file as it was at another time (its content differs)"
                : m.directory != first.directory ? "a command run in \(m.directory), not \(first.directory)"
                : "another Lunar version or shard format"
            throw ShardError("\(dir) is \(why) than \(found[0].dir): shards of one command only merge with each other")
        }
        found.sort { $0.manifest.shard.index < $1.manifest.shard.index }
        var seen = Set<Int>()
        for (m, dir) in found where !seen.insert(m.shard.index).inserted {
            throw ShardError("shard \(m.shard) is given twice (\(dir))")
        }
        let missing = (0 ..< first.shard.count).filter { !seen.contains($0) }
        if !missing.isEmpty {
            throw ShardError("shard\(missing.count > 1 ? "s" : "") \(missing.prefix(8).map { "\($0)/\(first.shard.count)" }.joined(separator: ", "))" +
                             "\(missing.count > 8 ? ", …" : "") of the \(first.kind) \(missing.count > 1 ? "are" : "is") missing: run \(missing.count > 1 ? "them" : "it") (or rerun with --resume) and merge again")
        }
        var next = 0
        for (m, dir) in found {
            guard m.first == next, m.total == first.total else {
                throw ShardError("\(dir): shard \(m.shard) holds items \(m.first)..<\(m.first + m.items) of \(m.total), expected to start at \(next) of \(first.total)")
            }
            next += m.items
        }
        guard next == first.total else { throw ShardError("the shards hold \(next) of \(first.total) items") }
        return try found.map { m, dir in
            let path = dir + "/" + dataName
            guard let data = FileManager.default.contents(atPath: path) else { throw ShardError("\(path): cannot read it") }
            return (m, ShardReader(data, path: path))
        }
    }
}

/// A shard that cannot be written, read or merged, in words.
public struct ShardError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
