import Foundation

/// The version of Lunar that manifests' `lunar = "..."` ranges are checked against.
public enum LunarVersion {
    public static let current = SemanticVersion(0, 1, 0)
}

/// `lunar-lib.toml`, at the top of a library root: what the library is and what it needs.
///
/// ```toml
/// name = "acme"
/// version = "1.2.0"
/// description = "ACME desk indicators"
/// lunar = ">=0.1"                      # the Lunar versions it works with
/// exports = ["acme.momentum"]          # optional: the modules meant for others
/// [requires]
/// stdlib = "^0.1"                      # other libraries, with version ranges
/// ```
public struct LibraryManifest: Sendable, Equatable, ConfigDocument {
    public static let fileName = "lunar-lib.toml"

    public let name: String
    public let version: SemanticVersion
    public let description: String
    public let lunar: VersionRange?
    public let exports: [String]
    /// Library name → acceptable versions, sorted by name.
    public let requires: [(name: String, range: VersionRange)]
    /// Libraries to fetch with this one (`[dependencies]`), sorted by name.
    public let dependencies: [DependencySpec]
    public let path: String

    public init(_ file: ConfigFile) throws {
        path = file.path
        try file.rejectUnknownKeys(["name", "version", "description", "lunar", "exports", "requires", "dependencies"], what: "a library manifest")
        guard let name = try file.string("name") else { throw ManifestError("\(path): missing 'name' (e.g. name = \"acme\")") }
        guard LibraryManifest.isValidName(name) else {
            throw ManifestError("\(path): library name '\(name)' must be lower-case letters, digits, '_' or '-', starting with a letter")
        }
        self.name = name
        guard let versionText = try file.string("version") else { throw ManifestError("\(path): missing 'version' (e.g. version = \"1.0.0\")") }
        guard let version = SemanticVersion(versionText) else {
            throw ManifestError("\(path): version '\(versionText)' is not a semantic version such as 1.2.0")
        }
        self.version = version
        description = try file.string("description") ?? ""
        if let text = try file.string("lunar") {
            guard let range = VersionRange(text) else { throw ManifestError("\(path): 'lunar' range '\(text)' is not valid (try \">=0.1\")") }
            lunar = range
        } else { lunar = nil }
        exports = try file.strings("exports") ?? []
        requires = try LibraryManifest.ranges(file.stringTable("requires"), path: path)
        dependencies = try DependencySpec.table(in: file, directory: URL(fileURLWithPath: path).deletingLastPathComponent())
    }

    /// Whether `module` is listed in `exports`, exactly or under a `prefix.*` entry. A library
    /// without `exports` exports every module.
    public func exports(_ module: String) -> Bool {
        exports.isEmpty || exports.contains { e in
            e == module || (e.hasSuffix(".*") && module.hasPrefix(String(e.dropLast(1))))
        }
    }

    static func ranges(_ table: [String: String], path: String) throws -> [(name: String, range: VersionRange)] {
        try table.keys.sorted().map { key in
            guard let r = VersionRange(table[key]!) else {
                throw ManifestError("\(path): requires.\(key) = \"\(table[key]!)\" is not a version range (try \"^1.2\" or \">=1.0, <2.0\")")
            }
            return (key, r)
        }
    }

    public static func isValidName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, ("a" ... "z").contains(first) else { return false }
        return s.unicodeScalars.allSatisfy { ("a" ... "z").contains($0) || ("0" ... "9").contains($0) || $0 == "_" || $0 == "-" }
    }

    public static func == (a: LibraryManifest, b: LibraryManifest) -> Bool {
        a.path == b.path && a.name == b.name && a.version == b.version
    }
}

/// `lunar.toml`, the project file, found in the current folder or above.
///
/// ```toml
/// libraries = ["../acme-lib", "vendor/risk"]   # library roots, relative to this file, in order
/// strategies = ["strategies"]                  # where `lunar list strategies` looks
/// [requires]
/// acme = "^1.0"                                # versions the project accepts
/// [dependencies]
/// risk = { git = "…/risk-lib.git", version = "^2.1" }   # fetched, locked in lunar.lock
/// [pins]
/// ta = "stdlib"                                # module (or prefix) → the library that wins
/// ```
public struct ProjectFile: Sendable, ConfigDocument {
    public static let fileName = "lunar.toml"

    public let path: String
    /// The folder holding the file; relative paths in it are taken from here.
    public let directory: String
    public let libraries: [String]
    public let strategies: [String]
    public let requires: [(name: String, range: VersionRange)]
    /// Libraries fetched from git or taken from folders, resolved into `lunar.lock`.
    public let dependencies: [DependencySpec]
    /// Module name or dotted prefix → a library name, `stdlib`, `strategy` (the strategy's own folder) or a root path.
    public let pins: [String: String]

    public init(_ file: ConfigFile) throws {
        path = file.path
        let dir = URL(fileURLWithPath: file.path).deletingLastPathComponent()
        directory = dir.path
        try file.rejectUnknownKeys(["name", "libraries", "strategies", "requires", "dependencies", "pins"], what: "lunar.toml")
        func absolute(_ p: String) -> String {
            let expanded = (p as NSString).expandingTildeInPath
            return expanded.hasPrefix("/") ? URL(fileURLWithPath: expanded).absoluteURL.standardized.path
                : dir.appendingPathComponent(expanded).absoluteURL.standardized.path
        }
        libraries = try (file.strings("libraries") ?? []).map(absolute)
        strategies = try (file.strings("strategies") ?? []).map(absolute)
        requires = try LibraryManifest.ranges(file.stringTable("requires"), path: file.path)
        pins = try file.stringTable("pins")
        dependencies = try DependencySpec.table(in: file, directory: dir)
    }

    /// `lunar.lock`, beside this file.
    public var lockPath: String { URL(fileURLWithPath: directory).appendingPathComponent(LockFile.fileName).path }

    /// The nearest `lunar.toml` in `start` or a folder above it.
    public static func find(from start: String) -> String? {
        var dir = URL(fileURLWithPath: start).absoluteURL.standardized
        while true {
            let candidate = dir.appendingPathComponent(fileName).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { return nil }
            dir = parent
        }
    }
}

/// A TOML document read into a value: from a file, or from text (tests, error messages).
public protocol ConfigDocument {
    init(_ file: ConfigFile) throws
}

extension ConfigDocument {
    public init(contentsOf path: String) throws {
        try self.init(ConfigFile(contentsOf: path))
    }

    public init(text: String, path: String) throws {
        try self.init(ConfigFile(text: text, path: path))
    }
}
