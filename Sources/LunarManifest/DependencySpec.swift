import Foundation

/// One `[dependencies]` entry of `lunar.toml` or `lunar-lib.toml`: where a library comes from
/// and which of its versions are wanted.
///
/// ```toml
/// [dependencies]
/// acme = { git = "https://git.example.com/acme-lib.git", version = "^1.2" }
/// risk = { git = "../risk-lib.git", branch = "main" }   # relative to this file
/// base = { git = "/srv/git/base.git", rev = "4f1c2e9" }
/// desk = { path = "../desk-lib" }                         # a folder, as `libraries` lists
/// ```
public struct DependencySpec: Sendable, Equatable {
    /// Where the library's files are: a git repository (URL or path) or a folder.
    public enum Source: Sendable, Hashable, CustomStringConvertible {
        case git(String), path(String)
        /// As the lock file writes it: `git+URL` or `path+FOLDER`.
        public var description: String {
            switch self {
            case .git(let url): return "git+" + url
            case .path(let p): return "path+" + p
            }
        }
        public init?(locked text: String) {
            if text.hasPrefix("git+") { self = .git(String(text.dropFirst(4))) }
            else if text.hasPrefix("path+") { self = .path(String(text.dropFirst(5))) }
            else { return nil }
        }
    }

    /// Which commit of the source: the highest tagged version in a range, a branch's head, or one
    /// revision. Folders have no commits; a range still checks their manifest's version.
    public enum Selector: Sendable, Equatable, CustomStringConvertible {
        case range(VersionRange), branch(String), rev(String)
        public var description: String {
            switch self {
            case .range(let r): return r.description
            case .branch(let b): return "branch \(b)"
            case .rev(let r): return "rev \(r)"
            }
        }

        /// How the lock records a branch or revision selector (`branch:main`, `rev:4f1c2e9`); nil for a range.
        public var ref: String? {
            switch self {
            case .range: return nil
            case .branch(let b): return "branch:" + b
            case .rev(let r): return "rev:" + r
            }
        }

        /// Whether a library at `version`, picked for `ref`, is what this selector asks for: a
        /// range holds the version (pre-releases only when the range names one, as Cargo and npm
        /// do); a branch or revision must be the one it was picked for.
        public func accepts(version: SemanticVersion, ref picked: String?) -> Bool {
            switch self {
            case .range(let r): return r.contains(version) && (version.prerelease.isEmpty || r.mentionsPrerelease)
            case .branch, .rev: return picked == ref
            }
        }
    }

    public let name: String
    public let source: Source
    public let selector: Selector

    public init(name: String, source: Source, selector: Selector) {
        self.name = name; self.source = source; self.selector = selector
    }

    static let keys = ["git", "version", "branch", "rev", "path"]

    /// Reads `[dependencies]` of `file`; relative git paths and folders are taken from `directory`.
    static func table(in file: ConfigFile, directory: URL) throws -> [DependencySpec] {
        guard let value = file.root["dependencies"] else { return [] }
        guard case .table(let entries) = value else { throw file.wrong("dependencies", value, "a table such as [dependencies]") }
        return try entries.keys.sorted().map { name in
            let where_ = "\(file.path): dependencies.\(name)"
            guard LibraryManifest.isValidName(name) else {
                throw ManifestError("\(where_): library name '\(name)' must be lower-case letters, digits, '_' or '-', starting with a letter")
            }
            guard case .table(let t) = entries[name]! else {
                throw ManifestError("\(where_) must be a table such as { git = \"…/\(name).git\", version = \"^1.0\" } or { path = \"../\(name)\" }")
            }
            for key in t.keys.sorted() where !keys.contains(key) {
                throw ManifestError("\(where_): unknown key '\(key)'; known keys: \(keys.joined(separator: ", "))")
            }
            let ctx = "dependencies.\(name)."
            let git = try file.string("git", in: t, context: ctx), path = try file.string("path", in: t, context: ctx)
            let version = try file.string("version", in: t, context: ctx)
            let branch = try file.string("branch", in: t, context: ctx), rev = try file.string("rev", in: t, context: ctx)
            let source: Source
            switch (git, path) {
            case (let g?, nil): source = .git(resolveLocal(g, directory: directory))
            case (nil, let p?): source = .path(resolveLocal(p, directory: directory, always: true))
            case (nil, nil): throw ManifestError("\(where_): needs a source: git = \"URL\" or path = \"FOLDER\"")
            default: throw ManifestError("\(where_): give git or path, not both")
            }
            let chosen = [version.map { _ in "version" }, branch.map { _ in "branch" }, rev.map { _ in "rev" }].compactMap { $0 }
            guard chosen.count <= 1 else {
                throw ManifestError("\(where_): give one of version, branch and rev, not \(chosen.joined(separator: " and "))")
            }
            if case .path = source, branch != nil || rev != nil {
                throw ManifestError("\(where_): a folder has no branches or revisions; use git = \"…\" for those")
            }
            let selector: Selector
            if let b = branch { selector = .branch(b) }
            else if let r = rev {
                guard r.count >= 4, r.allSatisfy(\.isHexDigit) else {
                    throw ManifestError("\(where_): rev '\(r)' must be a commit hash (at least 4 hex digits); use branch = \"…\" for a branch")
                }
                selector = .rev(r.lowercased())
            } else if let text = version {
                guard let range = VersionRange(text) else {
                    throw ManifestError("\(where_): version = \"\(text)\" is not a version range (try \"^1.2\" or \">=1.0, <2.0\")")
                }
                selector = .range(range)
            } else {
                selector = .range(VersionRange("*")!)
            }
            return DependencySpec(name: name, source: source, selector: selector)
        }
    }

    /// A relative local path made absolute against the file's folder; URLs (`scheme://`,
    /// `user@host:path`) are left alone.
    public static func resolveLocal(_ text: String, directory: URL, always: Bool = false) -> String {
        let expanded = (text as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return URL(fileURLWithPath: expanded).standardized.path }
        let isLocal = always || expanded.hasPrefix("./") || expanded.hasPrefix("../") || !(expanded.contains("://") || expanded.contains(":"))
        return isLocal ? directory.appendingPathComponent(expanded).standardized.path : text
    }
}
