import Foundation
import LunarData
import LunarManifest

/// A dependency ready to use: what it is, where it came from, and its files on disk.
public struct InstalledLibrary: Sendable, Equatable {
    public let name: String
    public let version: SemanticVersion
    public let source: DependencySpec.Source
    /// The commit its files are from; nil for a folder dependency.
    public let commit: String?
    /// The folder `require` searches: a read-only checkout in the cache, or the folder itself.
    public let path: String
}

/// A project's `[dependencies]` made real: resolved (or taken from `lunar.lock`), fetched into the
/// cache, checked out, verified, and the lock written when it changed.
public struct Dependencies {
    public let project: ProjectFile
    public let cache: DependencyCache
    /// Where notes go (a lock written, a library fetched): stderr for the command line.
    public var log: (String) -> Void

    public init(project: ProjectFile, cache: DependencyCache, log: @escaping (String) -> Void = { _ in }) {
        self.project = project; self.cache = cache; self.log = log
    }

    public var lockPath: String { project.lockPath }

    public func readLock() throws -> LockFile? {
        guard FileManager.default.fileExists(atPath: lockPath) else { return nil }
        return try LockFile(contentsOf: lockPath)
    }

    /// What every command calls: the locked commits when `lunar.lock` still fits `lunar.toml`
    /// (then no git command runs at all when the checkouts are in the cache), else a new
    /// resolution that prefers the locked versions, written to the lock.
    public func install() throws -> [InstalledLibrary] {
        let lock = try readLock()
        if project.dependencies.isEmpty && lock == nil { return [] }
        if let lock, let libs = try fromLock(lock) { return libs }
        return try resolveAndLock(previous: lock, unlocked: [], refresh: []).libraries
    }

    /// `lunar lib update [NAME…]`: fetches and resolves again, moving only the named libraries
    /// (every one when `names` is empty); returns the changes it made to the lock.
    @discardableResult
    public func update(_ names: [String]) throws -> [String] {
        let lock = try readLock()
        let known = Set(lock?.entries.map(\.name) ?? []).union(project.dependencies.map(\.name))
        for n in names where !known.contains(n) {
            let close = closestMatches(to: n, in: known.sorted())
            throw DependencyError("library '\(n)' is not a dependency of \(project.path)" +
                (close.isEmpty ? "" : "; did you mean \(close.joined(separator: ", "))?"))
        }
        let moving = names.isEmpty ? known : Set(names)
        return try resolveAndLock(previous: lock, unlocked: moving, refresh: moving).changes
    }

    // MARK: - the lock as it stands

    /// The locked libraries, when every requirement reachable from the project is met by a lock
    /// entry and the lock holds nothing else; nil when the lock needs resolving again.
    func fromLock(_ lock: LockFile) throws -> [InstalledLibrary]? {
        var queue: [DependencySpec] = project.dependencies
        var out: [InstalledLibrary] = []
        var visited: Set<String> = []
        while !queue.isEmpty {
            let spec = queue.removeFirst()
            guard let e = lock.entry(spec.name), e.source == spec.source,
                  spec.selector.accepts(version: e.version, ref: e.ref) else { return nil }
            guard visited.insert(e.name).inserted else { continue }
            let path: String
            switch e.source {
            case .path(let folder): path = folder
            case .git(let url): path = try checkout(e, url: url).path
            }
            let m = try Self.folderManifest(name: e.name, folder: path)
            guard m.version == e.version else { return nil }      // a folder moved on: lock again
            out.append(InstalledLibrary(name: e.name, version: e.version, source: e.source, commit: e.commit, path: path))
            queue += m.dependencies
        }
        return visited == Set(lock.entries.map(\.name)) ? out.sorted { $0.name < $1.name } : nil
    }

    /// The checkout of a locked git library and its hash: extracted when missing (from the mirror,
    /// fetched only when it lacks the commit), and verified against the lock's hash when it has one.
    func checkout(_ e: LockFile.Entry, url: String) throws -> (path: String, hash: String) {
        guard let commit = e.commit else { throw DependencyError("\(lockPath): library '\(e.name)' has no commit") }
        let path = cache.checkoutPath(name: e.name, commit: commit)
        let exists = FileManager.default.fileExists(atPath: path)
        var hash: String
        if exists {
            hash = try CheckoutHash.of(folder: path)
        } else {
            let mirror = try cache.mirror(name: e.name, url: url, refresh: false)
            if !cache.has(mirror: mirror, commit: commit) {
                guard !cache.offline else {
                    throw DependencyError("lunar.lock wants \(e.name) \(e.version) at commit \(commit.prefix(12)), which the cache does not hold, " +
                        "and --offline forbids fetching it; run once without --offline")
                }
                try cache.fetch(name: e.name, url: url, mirror: mirror)
                guard cache.has(mirror: mirror, commit: commit) else {
                    throw DependencyError("lunar.lock wants \(e.name) \(e.version) at commit \(commit), which \(url) no longer has " +
                        "(history rewritten?); run `lunar lib update \(e.name)` to lock another")
                }
            }
            hash = try cache.checkout(name: e.name, mirror: mirror, commit: commit).hash
        }
        if let want = e.hash, want != hash {
            throw DependencyError(exists
                ? "library '\(e.name)' \(e.version): the checkout \(path) does not match lunar.lock (locked \(want), found \(hash)); " +
                  "it was changed after it was extracted. Remove the folder (rm -rf \(path)) and Lunar extracts commit \(commit.prefix(12)) again"
                : "library '\(e.name)' \(e.version): commit \(commit.prefix(12)) of \(url) hashes to \(hash), but lunar.lock says \(want); " +
                  "the lock was edited or the repository rewritten. Check the lock, then `lunar lib update \(e.name)`")
        }
        return (path, hash)
    }

    static func folderManifest(name: String, folder: String) throws -> LibraryManifest {
        let file = URL(fileURLWithPath: folder).appendingPathComponent(LibraryManifest.fileName).path
        guard FileManager.default.fileExists(atPath: file) else {
            throw DependencyError("dependency '\(name)': \(folder) has no \(LibraryManifest.fileName)")
        }
        let m = try LibraryManifest(contentsOf: file)
        guard m.name == name else {
            throw DependencyError("dependency '\(name)': \(file) is library '\(m.name)'; name the dependency '\(m.name)'")
        }
        return m
    }

    // MARK: - resolving

    /// Resolves (preferring the lock's versions except for `unlocked`, fetching the mirrors in
    /// `refresh` first), checks out, writes the lock when it changed; returns the libraries and
    /// the changes to the lock.
    @discardableResult
    func resolveAndLock(previous: LockFile?, unlocked: Set<String>, refresh: Set<String>) throws
        -> (libraries: [InstalledLibrary], changes: [String]) {
        func resolve(fetchAll: Bool) throws -> [ResolvedLibrary] {
            try DependencyResolver(index: GitIndex(cache: cache, lock: previous, unlocked: unlocked, refresh: refresh, fetchAll: fetchAll))
                .resolve(project.dependencies, requiredBy: "the project (\(project.path))")
        }
        var resolved: [ResolvedLibrary]
        do { resolved = try resolve(fetchAll: false) } catch let first as DependencyError where !cache.offline && refresh.isEmpty {
            // Tags published since the mirrors were last fetched may fit: fetch them all, try again.
            do { resolved = try resolve(fetchAll: true) } catch is DependencyError { throw first }
        }
        var entries: [LockFile.Entry] = []
        var installed: [InstalledLibrary] = []
        for r in resolved {
            switch r.source {
            case .path(let folder):
                entries.append(LockFile.Entry(name: r.name, source: r.source, version: r.version, commit: nil, hash: nil, dependencies: r.dependencies))
                installed.append(InstalledLibrary(name: r.name, version: r.version, source: r.source, commit: nil, path: folder))
            case .git(let url):
                let commit = r.commit!
                let old = previous?.entry(r.name)
                // The same commit as before must still have the same files.
                let known = old.flatMap { $0.commit == commit && $0.source == r.source ? $0.hash : nil }
                var e = LockFile.Entry(name: r.name, source: r.source, version: r.version, commit: commit, ref: r.ref, hash: known,
                                       dependencies: r.dependencies)
                let (path, hash) = try checkout(e, url: url)
                e.hash = hash
                entries.append(e)
                installed.append(InstalledLibrary(name: r.name, version: r.version, source: r.source, commit: commit, path: path))
            }
        }
        let lock = LockFile(entries: entries)
        let changes = Self.changes(from: previous, to: lock)
        if lock != previous {
            try lock.write(to: lockPath)
            for c in changes { log("lunar.lock: \(c)") }
        }
        return (installed.sorted { $0.name < $1.name }, changes)
    }

    /// "added acme 1.2.0", "acme 1.0.0 → 1.2.0", "removed base 1.0.0", in name order.
    public static func changes(from old: LockFile?, to new: LockFile) -> [String] {
        var out: [String] = []
        func label(_ e: LockFile.Entry) -> String { "\(e.version)" + (e.commit.map { " (\($0.prefix(12)))" } ?? "") }
        for e in new.entries {
            guard let b = old?.entry(e.name) else { out.append("added \(e.name) \(label(e))"); continue }
            if b.version != e.version || b.commit != e.commit || b.source != e.source {
                out.append("\(e.name) \(label(b)) → \(label(e))" + (b.source != e.source ? " from \(e.source)" : ""))
            }
        }
        for b in old?.entries ?? [] where new.entry(b.name) == nil { out.append("removed \(b.name) \(b.version)") }
        return out
    }
}

/// The resolver's view of git repositories and folders, through the cache: tags are read from
/// the local mirror; a mirror is fetched only for the libraries in `refresh`.
final class GitIndex: LibraryIndex {
    let cache: DependencyCache
    let lock: LockFile?
    let unlocked: Set<String>
    let refresh: Set<String>
    let fetchAll: Bool
    private var mirrors: [String: String] = [:]
    private var manifests: [String: LibraryManifest] = [:]

    init(cache: DependencyCache, lock: LockFile?, unlocked: Set<String>, refresh: Set<String>, fetchAll: Bool = false) {
        self.cache = cache; self.lock = lock; self.unlocked = unlocked; self.refresh = refresh; self.fetchAll = fetchAll
    }

    func mirror(_ name: String, _ url: String) throws -> String {
        if let m = mirrors[url] { return m }
        let m = try cache.mirror(name: name, url: url, refresh: fetchAll || refresh.contains(name))
        mirrors[url] = m
        return m
    }

    /// The lock's entry for `name` when it may be kept (same source, not being updated).
    func locked(_ name: String, _ source: DependencySpec.Source) -> LockFile.Entry? {
        guard !unlocked.contains(name), let e = lock?.entry(name), e.source == source else { return nil }
        return e
    }

    func candidates(name: String, source: DependencySpec.Source, selectors: [DependencySpec.Selector]) throws -> [Candidate] {
        switch source {
        case .path(let folder):
            let m = try Dependencies.folderManifest(name: name, folder: folder)
            return [Candidate(version: m.version, commit: nil)]
        case .git(let url):
            let mirror = try mirror(name, url)
            let refs = selectors.compactMap(\.ref).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
            if !refs.isEmpty {
                return try refs.map { ref in
                    let commit = try self.commit(for: ref, name: name, url: url, mirror: mirror)
                    return Candidate(version: try manifest(name: name, url: url, mirror: mirror, commit: commit, label: ref).version,
                                     commit: commit, ref: ref)
                }
            }
            var found = try cache.tags(mirror: mirror).map { Candidate(version: $0.version, commit: $0.commit) }
            if let e = locked(name, source), let i = found.firstIndex(where: { $0.commit == e.commit && $0.version == e.version }) {
                found.insert(found.remove(at: i), at: 0)
            }
            return found
        }
    }

    /// The commit a `branch:` or `rev:` selector names: the locked one while the library is
    /// locked to that selector, else the branch's head or the revision, fetching once if missing.
    func commit(for ref: String, name: String, url: String, mirror: String) throws -> String {
        if let e = locked(name, .git(url)), e.ref == ref, let c = e.commit, cache.has(mirror: mirror, commit: c) { return c }
        let isBranch = ref.hasPrefix("branch:")
        let value = String(ref.drop { $0 != ":" }.dropFirst())
        let spelled = isBranch ? "refs/heads/" + value : value
        if let c = cache.commit(mirror: mirror, naming: spelled) { return c }
        if !cache.offline && !refresh.contains(name) && !fetchAll {
            try cache.fetch(name: name, url: url, mirror: mirror)
            if let c = cache.commit(mirror: mirror, naming: spelled) { return c }
        }
        throw DependencyError("library '\(name)': \(url) has no \(isBranch ? "branch" : "commit") '\(value)'")
    }

    func manifest(name: String, source: DependencySpec.Source, candidate: Candidate) throws -> LibraryManifest {
        switch source {
        case .path(let folder): return try Dependencies.folderManifest(name: name, folder: folder)
        case .git(let url):
            let m = try manifest(name: name, url: url, mirror: try mirror(name, url), commit: candidate.commit!,
                                 label: candidate.ref ?? "v\(candidate.version)")
            if candidate.ref == nil && m.version != candidate.version {
                throw DependencyError("\(url): tag v\(candidate.version) holds \(LibraryManifest.fileName) version \(m.version); " +
                    "the tag and the manifest must agree (fix the manifest and tag a new release)")
            }
            return m
        }
    }

    func manifest(name: String, url: String, mirror: String, commit: String, label: String) throws -> LibraryManifest {
        if let m = manifests[commit] { return m }
        guard let text = try cache.file(mirror: mirror, commit: commit, path: LibraryManifest.fileName) else {
            throw DependencyError("library '\(name)': \(url) at \(label) (\(commit.prefix(12))) has no \(LibraryManifest.fileName) at its top")
        }
        // A local repository's relative URLs (`../base.git`) are taken from the repository's folder.
        let local = url.hasPrefix("/")
        let path = local ? url + "/" + LibraryManifest.fileName : "\(url)@\(label):\(LibraryManifest.fileName)"
        let m = try LibraryManifest(text: text, path: path)
        manifests[commit] = m
        return m
    }
}
