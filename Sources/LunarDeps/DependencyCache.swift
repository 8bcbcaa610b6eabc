import Crypto
import Foundation
import LunarManifest

/// The per-user folder of fetched libraries, shared by every project:
///
/// - `git/NAME-URLHASH.git`: a bare mirror of each repository, fetched once and refreshed only by
///   resolution (a new dependency, `lunar lib update`);
/// - `checkouts/NAME-COMMIT/`: the files of one commit, extracted with `git archive`, made
///   read-only, and verified against the lock's hash each time a project uses them.
///
/// Nothing is changed in place: a mirror or checkout is built in a temporary folder beside its
/// final name and renamed into place, so two processes filling the cache at once, or one killed
/// half way, never leave a half-made entry.
public struct DependencyCache: Sendable {
    public let root: String
    /// Refuse anything that would reach a remote (a clone or a fetch).
    public let offline: Bool

    public init(root: String, offline: Bool = false) {
        self.root = URL(fileURLWithPath: root).standardized.path
        self.offline = offline
    }

    /// `$LUNAR_CACHE`, else `$XDG_CACHE_HOME/lunar`, else `~/.cache/lunar`.
    public static func defaultRoot(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let c = environment["LUNAR_CACHE"], !c.isEmpty { return c }
        if let x = environment["XDG_CACHE_HOME"], !x.isEmpty { return x + "/lunar" }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.cache/lunar"
    }

    // MARK: - mirrors

    public func mirrorPath(name: String, url: String) -> String {
        "\(root)/git/\(name)-\(CheckoutHash.hex(Data(url.utf8)).prefix(16)).git"
    }

    /// The bare mirror of `url`, cloned when missing; fetched again when `refresh` (unless offline).
    public func mirror(name: String, url: String, refresh: Bool) throws -> String {
        let path = mirrorPath(name: name, url: url)
        if FileManager.default.fileExists(atPath: path + "/HEAD") {
            if refresh && !offline { try fetch(name: name, url: url, mirror: path) }
            return path
        }
        guard !offline else {
            throw DependencyError("library '\(name)' (\(url)) is not in the cache (\(root)) and --offline forbids fetching it; " +
                "run once without --offline to fetch it")
        }
        try FileManager.default.createDirectory(atPath: root + "/git", withIntermediateDirectories: true)
        let temp = path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: temp) }
        do { try Git.run(["clone", "--mirror", "--quiet", "--", url, temp]) } catch let e as Git.GitFailure {
            throw DependencyError("cannot fetch library '\(name)' from \(url): \(e.message.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        do { try FileManager.default.moveItem(atPath: temp, toPath: path) } catch {
            // Another process put it there first: use theirs.
            guard FileManager.default.fileExists(atPath: path + "/HEAD") else { throw error }
        }
        return path
    }

    func fetch(name: String, url: String, mirror: String) throws {
        guard !offline else { throw DependencyError("library '\(name)' (\(url)) needs fetching, which --offline forbids") }
        do { try Git.run(["fetch", "--prune", "--quiet", "--tags", "origin", "+refs/heads/*:refs/heads/*"], in: mirror) }
        catch let e as Git.GitFailure {
            throw DependencyError("cannot fetch library '\(name)' from \(url): \(e.message.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }

    /// Semantic-version tags (`v1.2.0` or `1.2.0`) → commit, highest version first.
    public func tags(mirror: String) throws -> [(version: SemanticVersion, tag: String, commit: String)] {
        let out = try Git.run(["for-each-ref", "--format=%(refname:strip=2)%09%(objectname)%09%(*objectname)", "refs/tags"], in: mirror)
        var found: [SemanticVersion: (tag: String, commit: String)] = [:]
        for line in out.split(separator: "\n") {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 3 else { continue }
            let name = f[0]
            let text = name.hasPrefix("v") ? String(name.dropFirst()) : name
            // Whole tags only: `1.2` is a branch-like name, not a release.
            guard text.split(separator: "-")[0].split(separator: ".").count == 3, let v = SemanticVersion(text) else { continue }
            // An annotated tag names its tag object; the commit is what it points at.
            let commit = f[2].isEmpty ? f[1] : f[2]
            // `v1.2.0` wins over a `1.2.0` tag of the same version.
            if found[v] == nil || name.hasPrefix("v") { found[v] = (name, commit) }
        }
        return found.map { (version: $0.key, tag: $0.value.tag, commit: $0.value.commit) }.sorted { $0.version > $1.version }
    }

    /// The full commit a branch, tag or (abbreviated) hash names in the mirror, or nil.
    public func commit(mirror: String, naming ref: String) -> String? {
        guard let out = try? Git.run(["rev-parse", "--verify", "--quiet", ref + "^{commit}"], in: mirror) else { return nil }
        let c = out.trimmingCharacters(in: .whitespacesAndNewlines)
        return c.count == 40 ? c : nil
    }

    /// Whether the mirror holds `commit`.
    public func has(mirror: String, commit: String) -> Bool { self.commit(mirror: mirror, naming: commit) == commit }

    /// A file's text at `commit`, or nil when the commit has no such file.
    public func file(mirror: String, commit: String, path: String) throws -> String? {
        guard (try? Git.run(["cat-file", "-e", "\(commit):\(path)"], in: mirror)) != nil else { return nil }
        return try Git.run(["show", "\(commit):\(path)"], in: mirror)
    }

    // MARK: - checkouts

    public func checkoutPath(name: String, commit: String) -> String { "\(root)/checkouts/\(name)-\(commit.prefix(12))" }

    /// The files of `commit`, extracted once; returns the folder and its hash.
    public func checkout(name: String, mirror: String, commit: String) throws -> (path: String, hash: String) {
        let path = checkoutPath(name: name, commit: commit)
        if FileManager.default.fileExists(atPath: path) { return (path, try CheckoutHash.of(folder: path)) }
        try FileManager.default.createDirectory(atPath: root + "/checkouts", withIntermediateDirectories: true)
        let temp = path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
        let tar = temp + ".tar"
        defer { try? FileManager.default.removeItem(atPath: temp); try? FileManager.default.removeItem(atPath: tar) }
        try Git.run(["archive", "--format=tar", "--output=\(tar)", commit], in: mirror)
        try FileManager.default.createDirectory(atPath: temp, withIntermediateDirectories: true)
        try Self.untar(tar, into: temp)
        try Self.makeReadOnly(temp)
        let hash = try CheckoutHash.of(folder: temp)
        do { try FileManager.default.moveItem(atPath: temp, toPath: path) } catch {
            guard FileManager.default.fileExists(atPath: path) else { throw error }
        }
        return (path, hash)
    }

    static func untar(_ tar: String, into dir: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["tar", "-xf", tar, "-C", dir]
        p.standardInput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw DependencyError("cannot extract \(tar) (tar exited \(p.terminationStatus))") }
    }

    /// Files lose their write bits, so an editor refuses to save into a shared checkout; folders
    /// stay writable so the cache can still be cleared with `rm -rf`.
    static func makeReadOnly(_ dir: String) throws {
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: dir) else { return }
        for case let rel as String in walker {
            let full = dir + "/" + rel
            let attrs = try fm.attributesOfItem(atPath: full)
            guard attrs[.type] as? FileAttributeType == .typeRegular, let mode = attrs[.posixPermissions] as? Int else { continue }
            try fm.setAttributes([.posixPermissions: mode & ~0o222], ofItemAtPath: full)
        }
    }
}

/// SHA-256 over a folder's files: each relative path (sorted), whether it is executable, and its
/// bytes; symbolic links by their target. Equal hashes, equal files.
public enum CheckoutHash {
    public static func of(folder: String) throws -> String {
        let fm = FileManager.default
        var paths: [String] = []
        guard let walker = fm.enumerator(atPath: folder) else { throw DependencyError("cannot read \(folder)") }
        for case let rel as String in walker { paths.append(rel) }
        var h = SHA256()
        for rel in paths.sorted() {
            let full = folder + "/" + rel
            let attrs = try fm.attributesOfItem(atPath: full)
            let type = attrs[.type] as? FileAttributeType
            if type == .typeSymbolicLink {
                h.update(data: Data("L\0\(rel)\0\(try fm.destinationOfSymbolicLink(atPath: full))\0".utf8))
            } else if type == .typeRegular {
                let data = try Data(contentsOf: URL(fileURLWithPath: full))
                let exec = ((attrs[.posixPermissions] as? Int ?? 0) & 0o111) != 0
                h.update(data: Data("F\0\(rel)\0\(exec ? 1 : 0)\0\(data.count)\0".utf8))
                h.update(data: data)
            }
        }
        return "sha256:" + h.finalize().map { String(format: "%02x", $0) }.joined()
    }

    static func hex(_ data: Data) -> String { SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined() }
}
