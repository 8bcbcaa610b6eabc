import Foundation
import LunarDeps
import LunarManifest

// MARK: - library roots

/// A folder that `require` searches, where it came from, and its manifest when it has one.
public struct LibraryRoot: Sendable, Equatable {
    public enum Origin: String, Sendable {
        case strategy = "strategy folder"
        case test = "test folder"
        /// The library a test file belongs to (the nearest folder above it with a manifest).
        case library = "library under test"
        case project = "lunar.toml"
        /// A `[dependencies]` entry of lunar.toml (or of a library it depends on), as locked.
        case dependency = "lunar.lock"
        case flag = "--lib"
        case environment = "LUNAR_PATH"
        case stdlib = "stdlib"
    }

    /// Absolute and standardized.
    public let path: String
    public let origin: Origin
    public let manifest: LibraryManifest?
    /// Where a dependency's files came from (`git+URL`, `path+FOLDER`) and the commit; nil for
    /// other roots (a run record asks git for their commit when it records them).
    public var source: String? = nil
    public var commit: String? = nil

    public init(path: String, origin: Origin, manifest: LibraryManifest? = nil) {
        self.path = URL(fileURLWithPath: path).absoluteURL.standardized.path
        self.origin = origin
        self.manifest = manifest
    }

    /// Whether `file` lies inside this root (both as given, then with symlinks resolved).
    public func holds(_ file: String) -> Bool {
        let f = URL(fileURLWithPath: file).absoluteURL.standardized.path
        if f.hasPrefix(path.hasSuffix("/") ? path : path + "/") { return true }
        let real = LibraryPath.realPath(path)
        return LibraryPath.realPath(f).hasPrefix(real.hasSuffix("/") ? real : real + "/")
    }

    /// The manifest's name, else where the root came from.
    public var label: String { manifest?.name ?? origin.rawValue }

    /// What a `[pins]` entry names this root by.
    public var pinValue: String {
        if let name = manifest?.name { return name }
        switch origin {
        case .stdlib: return "stdlib"
        case .strategy, .test: return "strategy"
        default: return path
        }
    }

    /// Reads the root's `lunar-lib.toml` if there is one.
    static func reading(_ path: String, origin: Origin) throws -> LibraryRoot {
        let standard = URL(fileURLWithPath: path).absoluteURL.standardized.path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: standard, isDirectory: &isDir), isDir.boolValue else {
            throw ScriptError("library folder not found: \(standard) (from \(origin.rawValue))")
        }
        let file = URL(fileURLWithPath: standard).appendingPathComponent(LibraryManifest.fileName).path
        let manifest = FileManager.default.fileExists(atPath: file) ? try wrapping { try LibraryManifest(contentsOf: file) } : nil
        return LibraryRoot(path: standard, origin: origin, manifest: manifest)
    }
}

/// What decides the library roots besides the strategy: the project file and its locked
/// dependencies, `--lib` flags, `LUNAR_PATH` and the shipped stdlib.
public struct LibrarySettings: Sendable {
    public var project: ProjectFile?
    public var flags: [String]
    public var environment: [String]
    public var stdlib: String
    /// The project's `[dependencies]` as `lunar.lock` has them, checked out (`installDependencies`).
    public var dependencies: [InstalledLibrary] = []

    public init(project: ProjectFile? = nil, flags: [String] = [], environment: [String] = [], stdlib: String) {
        self.project = project; self.flags = flags; self.environment = environment; self.stdlib = stdlib
    }

    /// The usual settings: `lunar.toml` in `cwd` or above with its dependencies installed,
    /// `--lib` folders (relative to `cwd`), and `LUNAR_PATH` (colon-separated) from `environment`.
    /// `offline` (or `LUNAR_OFFLINE=1`) forbids fetching anything.
    public static func standard(cwd: String = FileManager.default.currentDirectoryPath, flags: [String] = [],
                                environment: [String: String] = ProcessInfo.processInfo.environment,
                                stdlib: String, offline: Bool = false,
                                log: @escaping (String) -> Void = LibrarySettings.stderr) throws -> LibrarySettings {
        let project = try ProjectFile.find(from: cwd).map { p in try wrapping { try ProjectFile(contentsOf: p) } }
        let base = URL(fileURLWithPath: cwd)
        func absolute(_ p: String) -> String { p.hasPrefix("/") ? p : base.appendingPathComponent(p).absoluteURL.standardized.path }
        let env = (environment["LUNAR_PATH"] ?? "").split(separator: ":").map(String.init).filter { !$0.isEmpty }
        var s = LibrarySettings(project: project, flags: flags.map(absolute), environment: env.map(absolute), stdlib: stdlib)
        try s.installDependencies(offline: offline || isOffline(environment), environment: environment, log: log)
        return s
    }

    /// Installs the project's dependencies from `lunar.lock` (resolving and writing it first
    /// when it no longer fits lunar.toml) into the cache: `$LUNAR_CACHE`, else
    /// `$XDG_CACHE_HOME/lunar`, else `~/.cache/lunar`.
    public mutating func installDependencies(offline: Bool, environment: [String: String] = ProcessInfo.processInfo.environment,
                                             log: @escaping (String) -> Void = LibrarySettings.stderr) throws {
        guard let project else { dependencies = []; return }
        let cache = DependencyCache(root: DependencyCache.defaultRoot(environment: environment), offline: offline)
        dependencies = try wrapping { try Dependencies(project: project, cache: cache, log: log).install() }
    }

    /// `LUNAR_OFFLINE` set to anything but empty, 0, false or no.
    public static func isOffline(_ environment: [String: String]) -> Bool {
        guard let v = environment["LUNAR_OFFLINE"]?.lowercased() else { return false }
        return !["", "0", "false", "no"].contains(v)
    }

    public static let stderr: @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
}

/// Turns manifest and project-file errors into script errors, so callers see one error type.
func wrapping<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as ManifestError { throw ScriptError(e.message) }
}

// MARK: - resolution

/// The ordered library roots `require` searches, with the project's pins.
///
/// A module found in two roots is an error naming both files unless `lunar.toml` pins the winner:
/// silently taking the first would make a strategy's meaning depend on folder order.
public struct LibraryPath: Sendable {
    public let roots: [LibraryRoot]
    /// Module name or dotted prefix → library name, `stdlib`, `strategy` or a root path.
    public let pins: [String: String]
    public let project: ProjectFile?

    /// Roots without checks or pins (tests, tools).
    public init(plain dirs: [String]) {
        roots = dirs.map { LibraryRoot(path: $0, origin: .flag) }
        pins = [:]; project = nil
    }

    /// The roots in order: `leading` (the strategy's or test's folder), the project's libraries,
    /// `--lib` flags, `LUNAR_PATH`, then the stdlib. Manifests are read and checked.
    public init(leading: [(String, LibraryRoot.Origin)], settings: LibrarySettings) throws {
        var found: [LibraryRoot] = []
        var seen: Set<String> = []
        let ordered = leading + (settings.project?.libraries ?? []).map { ($0, LibraryRoot.Origin.project) }
            + settings.dependencies.map { ($0.path, .dependency) }
            + settings.flags.map { ($0, .flag) } + settings.environment.map { ($0, .environment) }
            + [(settings.stdlib, .stdlib)]
        let installed = Dictionary(settings.dependencies.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        for (dir, origin) in ordered {
            var root = try LibraryRoot.reading(dir, origin: origin)
            if origin == .dependency, let lib = installed[dir] {
                root.source = lib.source.description
                root.commit = lib.commit
            }
            // The same folder reached twice (a test inside stdlib/) is one root, at its first place.
            if seen.insert(LibraryPath.realPath(root.path)).inserted { found.append(root) }
        }
        roots = found
        pins = settings.project?.pins ?? [:]
        project = settings.project
        try checkManifests()
    }

    /// Roots for a strategy file: its folder first.
    public init(strategy path: String, settings: LibrarySettings) throws {
        try self.init(leading: [(URL(fileURLWithPath: path).deletingLastPathComponent().path, .strategy)], settings: settings)
    }

    /// The library root holding `path`: the nearest folder at or above it with a `lunar-lib.toml`.
    public static func enclosingLibrary(of path: String) -> String? {
        var dir = URL(fileURLWithPath: path).absoluteURL.standardized
        while true {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent(LibraryManifest.fileName).path) { return dir.path }
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { return nil }
            dir = parent
        }
    }

    public func root(named name: String) -> LibraryRoot? { roots.first { $0.manifest?.name == name } }

    /// Checks every manifest against this Lunar and the other libraries in reach.
    func checkManifests() throws {
        var byName: [String: LibraryRoot] = [:]
        for root in roots {
            guard let m = root.manifest else { continue }
            if let other = byName[m.name] {
                throw ScriptError("library '\(m.name)' is in reach twice: \(other.manifest!.path) (\(other.manifest!.version), from \(other.origin.rawValue)) " +
                    "and \(m.path) (\(m.version), from \(root.origin.rawValue)); keep one of them")
            }
            byName[m.name] = root
            if let need = m.lunar, !need.contains(LunarVersion.current) {
                throw ScriptError("library '\(m.name)' \(m.version) (\(m.path)) needs Lunar \(need), but this is Lunar \(LunarVersion.current)")
            }
        }
        func check(_ who: String, _ requires: [(name: String, range: VersionRange)]) throws {
            for (name, range) in requires {
                guard let dep = byName[name]?.manifest else {
                    throw ScriptError("\(who) requires library '\(name)' (\(range)), which is not in reach; " +
                        "add its folder to `libraries` in lunar.toml, pass --lib DIR or set LUNAR_PATH")
                }
                if !range.contains(dep.version) {
                    throw ScriptError("\(who) requires '\(name)' \(range), but \(name) \(dep.version) is in reach (\(dep.path))")
                }
            }
        }
        for root in roots { if let m = root.manifest { try check("library '\(m.name)' \(m.version) (\(m.path))", m.requires) } }
        if let p = project { try check("the project (\(p.path))", p.requires) }
    }

    /// Whether `name` is a module name: letters, digits, `_` and `.`, no empty part (so no `..`).
    public static func isValidModuleName(_ name: String) -> Bool {
        !name.isEmpty && !name.split(separator: ".", omittingEmptySubsequences: false).contains { $0.isEmpty }
            && name.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 95 || $0 == 46 }
    }

    /// Every file providing `name`, in root order (one per root; the same file twice counts once).
    public func candidates(_ name: String) throws -> [(root: LibraryRoot, file: String)] {
        guard LibraryPath.isValidModuleName(name) else {
            throw ScriptError("require '\(name)': module names hold letters, digits, '_' and '.' only")
        }
        let rel = name.replacingOccurrences(of: ".", with: "/") + ".lua"
        var out: [(root: LibraryRoot, file: String)] = []
        var seen: Set<String> = []
        for root in roots {
            let file = URL(fileURLWithPath: root.path).appendingPathComponent(rel).path
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: file, isDirectory: &isDir), !isDir.boolValue else { continue }
            // A symlink may point anywhere: read only files whose real path stays inside the root.
            let real = LibraryPath.realPath(file), realRoot = LibraryPath.realPath(root.path)
            guard real.hasPrefix(realRoot.hasSuffix("/") ? realRoot : realRoot + "/") else {
                throw ScriptError("module '\(name)': \(file) leads outside its library root \(root.path); it is not read")
            }
            if seen.insert(real).inserted { out.append((root, file)) }
        }
        return out
    }

    /// The file `require name` loads.
    public func resolve(_ name: String) throws -> String { try resolveRoot(name).file }

    /// The file `require name` loads, and the root it is in.
    public func resolveRoot(_ name: String) throws -> (root: LibraryRoot, file: String) {
        let found = try candidates(name)
        guard let first = found.first else {
            let list = roots.map { "\($0.path) (\($0.origin.rawValue))" }.joined(separator: ", ")
            throw ScriptError("module '\(name)' not found in the library roots: \(list)")
        }
        if found.count == 1 { return first }
        if let (key, value) = pin(for: name) {
            guard let winner = found.first(where: { matches($0.root, pin: value) }) else {
                throw ScriptError("module '\(name)': lunar.toml pins '\(key)' to '\(value)', which does not provide it; " +
                    "it is in \(found.map(\.file).joined(separator: " and "))")
            }
            return winner
        }
        let shown = found.map { "\($0.file) (\($0.root.origin.rawValue))" }.joined(separator: " and ")
        throw ScriptError("module '\(name)' is provided by two library roots: \(shown); " +
            "remove one, or pin the winner in lunar.toml: [pins] \"\(name)\" = \"\(found[0].root.pinValue)\"")
    }

    /// The most specific pin for `name`: the module itself, else its longest dotted prefix.
    func pin(for name: String) -> (String, String)? {
        var parts = name.split(separator: ".").map(String.init)
        while !parts.isEmpty {
            let key = parts.joined(separator: ".")
            if let v = pins[key] { return (key, v) }
            parts.removeLast()
        }
        return nil
    }

    func matches(_ root: LibraryRoot, pin value: String) -> Bool {
        if root.manifest?.name == value { return true }
        if value == "stdlib" { return root.origin == .stdlib }
        if value == "strategy" { return root.origin == .strategy || root.origin == .test }
        let base = URL(fileURLWithPath: project?.directory ?? FileManager.default.currentDirectoryPath)
        let path = value.hasPrefix("/") ? URL(fileURLWithPath: value) : base.appendingPathComponent(value)
        return path.absoluteURL.standardized.path == root.path
    }

    static func realPath(_ path: String) -> String {
        URL(fileURLWithPath: path).absoluteURL.resolvingSymlinksInPath().absoluteURL.standardized.path
    }
}
