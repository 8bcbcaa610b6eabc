import Foundation

/// `lunar.lock`, beside `lunar.toml`: the exact commit of every library the project depends on,
/// directly or through other libraries, and a hash of its files. Written by Lunar; with it every
/// machine uses the same code until `lunar lib update` moves it.
///
/// ```toml
/// version = 1
///
/// [[library]]
/// name = "acme"
/// source = "git+https://git.example.com/acme-lib.git"
/// version = "1.2.0"
/// commit = "9fceb02d0ae598e95dc970b74767f19372d61af8"
/// hash = "sha256:…"
/// dependencies = ["base"]
/// ```
public struct LockFile: Sendable, Equatable, ConfigDocument {
    public static let fileName = "lunar.lock"
    public static let formatVersion = 1

    public struct Entry: Sendable, Equatable {
        public var name: String
        public var source: DependencySpec.Source
        public var version: SemanticVersion
        /// The commit checked out; nil for a folder (`path` source), which is used as it is.
        public var commit: String?
        /// For git sources, what was asked for when it was locked (`branch:main`, `rev:4f1c2e9`):
        /// a branch stays at its locked commit until `lunar lib update`.
        public var ref: String?
        /// `sha256:` of the checkout's files (LunarDeps' `CheckoutHash`); nil for a folder.
        public var hash: String?
        /// The libraries this one depends on, by name.
        public var dependencies: [String]

        public init(name: String, source: DependencySpec.Source, version: SemanticVersion, commit: String?,
                    ref: String? = nil, hash: String?, dependencies: [String]) {
            self.name = name; self.source = source; self.version = version; self.commit = commit
            self.ref = ref; self.hash = hash; self.dependencies = dependencies
        }
    }

    /// Sorted by name.
    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries.sorted { $0.name < $1.name } }

    public init(_ file: ConfigFile) throws {
        try file.rejectUnknownKeys(["version", "library"], what: "lunar.lock")
        guard case .integer(let v)? = file.root["version"] else {
            throw ManifestError("\(file.path): missing 'version = \(LockFile.formatVersion)'; the lock file is damaged — delete it and Lunar writes a new one")
        }
        guard v == LockFile.formatVersion else {
            throw ManifestError("\(file.path): lock file version \(v) is not one this Lunar reads (\(LockFile.formatVersion)); delete it to write a new one")
        }
        var out: [Entry] = []
        let items: [ConfigValue]
        switch file.root["library"] {
        case nil: items = []
        case .array(let a)?: items = a
        case let other?: throw file.wrong("library", other, "an array of [[library]] tables")
        }
        for (i, item) in items.enumerated() {
            let at = "\(file.path): [[library]] #\(i + 1)"
            guard case .table(let t) = item else { throw ManifestError("\(at) must be a table") }
            let known = ["name", "source", "version", "commit", "ref", "hash", "dependencies"]
            for key in t.keys.sorted() where !known.contains(key) { throw ManifestError("\(at): unknown key '\(key)'") }
            guard let name = try file.string("name", in: t), let sourceText = try file.string("source", in: t),
                  let versionText = try file.string("version", in: t) else {
                throw ManifestError("\(at): needs name, source and version")
            }
            guard let source = DependencySpec.Source(locked: sourceText) else {
                throw ManifestError("\(at): source '\(sourceText)' must start with git+ or path+")
            }
            guard let version = SemanticVersion(versionText) else { throw ManifestError("\(at): version '\(versionText)' is not a semantic version") }
            // Names become cache folder names and commits become git arguments: a hand-edited
            // lock must not reach outside the cache or pass an option to git.
            guard LibraryManifest.isValidName(name) else { throw ManifestError("\(at): '\(name)' is not a library name") }
            guard !out.contains(where: { $0.name == name }) else { throw ManifestError("\(at): library '\(name)' is locked twice") }
            let commit = try file.string("commit", in: t)
            if case .git = source, commit == nil { throw ManifestError("\(at): a git library needs its commit") }
            if let c = commit, !((c.count == 40 || c.count == 64) && c.allSatisfy { $0.isHexDigit && !$0.isUppercase }) {
                throw ManifestError("\(at): commit '\(c)' is not a full commit hash (40 hex digits)")
            }
            var deps: [String] = []
            if let d = t["dependencies"] {
                guard case .array(let a) = d else { throw file.wrong("dependencies", d, "an array of names") }
                deps = try a.map { v in
                    guard case .string(let s) = v else { throw file.wrong("dependencies", v, "an array of names") }
                    return s
                }
            }
            out.append(Entry(name: name, source: source, version: version, commit: commit, ref: try file.string("ref", in: t),
                             hash: try file.string("hash", in: t), dependencies: deps))
        }
        self.init(entries: out)
    }

    public func entry(_ name: String) -> Entry? { entries.first { $0.name == name } }

    /// The file's text: stable (sorted, one key order), so a change shows as a small diff.
    public func rendered() -> String {
        var out = "# Written by Lunar (`lunar lib update` moves it). Commit it; do not edit it by hand.\n"
        out += "version = \(LockFile.formatVersion)\n"
        let q = tomlQuoted
        for e in entries {
            out += "\n[[library]]\nname = \(q(e.name))\nsource = \(q(e.source.description))\nversion = \(q(e.version.description))\n"
            if let c = e.commit { out += "commit = \(q(c))\n" }
            if let r = e.ref { out += "ref = \(q(r))\n" }
            if let h = e.hash { out += "hash = \(q(h))\n" }
            if !e.dependencies.isEmpty { out += "dependencies = [\(e.dependencies.sorted().map(q).joined(separator: ", "))]\n" }
        }
        return out
    }

    /// Writes the file atomically (a reader sees the old lock or the new one, never half).
    public func write(to path: String) throws {
        try Data(rendered().utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

/// A TOML basic string: quotes, backslashes and control characters escaped (the lock file and
/// `lunar lib add`'s lines).
func tomlQuoted(_ s: String) -> String {
    var e = ""
    for ch in s.unicodeScalars {
        switch ch {
        case "\"": e += "\\\""
        case "\\": e += "\\\\"
        case "\n": e += "\\n"
        case "\t": e += "\\t"
        case "\r": e += "\\r"
        default:
            if ch.value < 0x20 || ch.value == 0x7f { e += String(format: "\\u%04X", ch.value) } else { e.unicodeScalars.append(ch) }
        }
    }
    return "\"" + e + "\""
}
