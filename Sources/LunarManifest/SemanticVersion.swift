/// A semantic version `MAJOR.MINOR.PATCH[-PRERELEASE]` (build metadata after `+` is ignored).
///
/// Partial versions such as `1.2` read as `1.2.0`, because manifests and ranges are written by hand.
public struct SemanticVersion: Comparable, Hashable, Sendable, CustomStringConvertible {
    public let major: Int, minor: Int, patch: Int
    /// Dot-separated pre-release identifiers; a pre-release sorts before its release.
    public let prerelease: [String]

    public init(_ major: Int, _ minor: Int, _ patch: Int, prerelease: [String] = []) {
        self.major = major; self.minor = minor; self.patch = patch; self.prerelease = prerelease
    }

    /// Parses `1`, `1.2`, `1.2.3` or `1.2.3-beta.1`; nil for anything else.
    public init?(_ text: String) {
        var core = Substring(text.trimmingCharacters(in: .whitespaces))
        if let plus = core.firstIndex(of: "+") { core = core[..<plus] }
        var pre: [String] = []
        if let dash = core.firstIndex(of: "-") {
            pre = core[core.index(after: dash)...].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard !pre.isEmpty, pre.allSatisfy({ !$0.isEmpty }) else { return nil }
            core = core[..<dash]
        }
        let parts = core.split(separator: ".", omittingEmptySubsequences: false)
        guard (1 ... 3).contains(parts.count),
              parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }) else { return nil }
        let n = parts.compactMap { Int($0) }
        guard n.count == parts.count else { return nil }
        self.init(n[0], n.count > 1 ? n[1] : 0, n.count > 2 ? n[2] : 0, prerelease: pre)
    }

    public var description: String {
        "\(major).\(minor).\(patch)" + (prerelease.isEmpty ? "" : "-" + prerelease.joined(separator: "."))
    }

    public static func < (a: SemanticVersion, b: SemanticVersion) -> Bool {
        if (a.major, a.minor, a.patch) != (b.major, b.minor, b.patch) {
            return (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch)
        }
        // semver §11: a release outranks its pre-releases; identifiers compare numerically when both are numbers.
        switch (a.prerelease.isEmpty, b.prerelease.isEmpty) {
        case (true, _): return false
        case (false, true): return true
        default:
            for (x, y) in zip(a.prerelease, b.prerelease) where x != y {
                if let i = Int(x), let j = Int(y) { return i < j }
                if Int(x) != nil { return true }
                if Int(y) != nil { return false }
                return x < y
            }
            return a.prerelease.count < b.prerelease.count
        }
    }
}

/// A set of acceptable versions, written as npm and Cargo do:
/// `*`, `1.2.3` (exactly), `=1.2.3`, `>=1.2`, `<2`, `>1`, `<=1.4`, `^1.2` (same major; same minor
/// below 1.0), `~1.2` (same minor), and comma- or space-separated conjunctions `>=1.2, <2.0`.
public struct VersionRange: Sendable, CustomStringConvertible, Equatable {
    enum Op: String, Sendable { case eq = "=", ge = ">=", gt = ">", le = "<=", lt = "<" }
    struct Bound: Sendable, Equatable { let op: Op; let version: SemanticVersion }

    let bounds: [Bound]
    public let description: String

    public init?(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        description = trimmed
        if trimmed == "*" || trimmed.isEmpty { bounds = []; return }
        var out: [Bound] = []
        // "> = 1.2" is not allowed, but ">= 1.2" is: glue an operator to the version after it.
        var tokens: [String] = []
        for raw in trimmed.split(whereSeparator: { $0 == "," || $0 == " " }) {
            let t = String(raw)
            if let last = tokens.last, [">=", "<=", ">", "<", "=", "^", "~"].contains(last) { tokens[tokens.count - 1] = last + t }
            else { tokens.append(t) }
        }
        for token in tokens {
            guard let bounds = VersionRange.parse(token) else { return nil }
            out += bounds
        }
        bounds = out
    }

    private static func parse(_ token: String) -> [Bound]? {
        for op in [Op.ge, .le, .gt, .lt, .eq] where token.hasPrefix(op.rawValue) {
            guard let v = SemanticVersion(String(token.dropFirst(op.rawValue.count))) else { return nil }
            return [Bound(op: op, version: v)]
        }
        if token.hasPrefix("^") || token.hasPrefix("~") {
            let body = String(token.dropFirst())
            guard let v = SemanticVersion(body) else { return nil }
            let given = body.split(separator: "-")[0].split(separator: ".").count
            // The next major, minor or patch; nil past Int.max (`^9223372036854775807` is no range).
            func next(_ x: Int) -> Int? { x == Int.max ? nil : x + 1 }
            let upper: SemanticVersion
            if token.hasPrefix("~") {
                guard let n = next(given == 1 ? v.major : v.minor) else { return nil }
                upper = given == 1 ? SemanticVersion(n, 0, 0) : SemanticVersion(v.major, n, 0)
            } else if v.major > 0 || given == 1 {
                guard let n = next(v.major) else { return nil }
                upper = SemanticVersion(n, 0, 0)
            } else if v.minor > 0 || given == 2 {
                guard let n = next(v.minor) else { return nil }
                upper = SemanticVersion(0, n, 0)
            } else {
                guard let n = next(v.patch) else { return nil }
                upper = SemanticVersion(0, 0, n)
            }
            return [Bound(op: .ge, version: v), Bound(op: .lt, version: upper)]
        }
        guard let v = SemanticVersion(token) else { return nil }
        return [Bound(op: .eq, version: v)]
    }

    /// Whether a bound names a pre-release: only then do pre-release tags count as candidates
    /// (as Cargo and npm do), so `^1.2` never picks `1.3.0-beta`.
    public var mentionsPrerelease: Bool { bounds.contains { !$0.version.prerelease.isEmpty } }

    public func contains(_ v: SemanticVersion) -> Bool {
        bounds.allSatisfy { b in
            switch b.op {
            case .eq: return v == b.version
            case .ge: return v >= b.version
            case .gt: return v > b.version
            case .le: return v <= b.version
            case .lt: return v < b.version
            }
        }
    }
}
