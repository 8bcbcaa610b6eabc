import LunarManifest

/// One version of a library that could be picked: its version, and for git sources the commit.
public struct Candidate: Sendable, Equatable {
    public let version: SemanticVersion
    public let commit: String?
    /// `branch:NAME` or `rev:HASH` when the candidate is what such a selector names.
    public let ref: String?
    public init(version: SemanticVersion, commit: String?, ref: String? = nil) {
        self.version = version; self.commit = commit; self.ref = ref
    }
}

/// Where the resolver learns which versions exist and what each needs.
public protocol LibraryIndex {
    /// The versions of `name` at `source` that could satisfy `selectors`, best first (a locked
    /// version before the others, then highest first). Branch and revision selectors give the
    /// one commit they name.
    func candidates(name: String, source: DependencySpec.Source, selectors: [DependencySpec.Selector]) throws -> [Candidate]
    /// The manifest of one candidate (its name, version and `[dependencies]`).
    func manifest(name: String, source: DependencySpec.Source, candidate: Candidate) throws -> LibraryManifest
}

/// A library as resolved: one version of each, with what it depends on.
public struct ResolvedLibrary: Sendable, Equatable {
    public let name: String
    public let source: DependencySpec.Source
    public let version: SemanticVersion
    public let commit: String?
    public let ref: String?
    public let dependencies: [String]
}

/// Picks one version of every library in the graph (the project's dependencies, theirs, …) that
/// satisfies every range that names it, by depth-first search with backtracking: for each
/// library in the order it was first required, the best candidate first (the locked one, then the
/// highest). When nothing fits, the error shows the chain of requirements that conflict.
public struct DependencyResolver {
    let index: LibraryIndex

    public init(index: LibraryIndex) { self.index = index }

    /// A requirement and who made it: `["the project", "acme 1.2.0"]` reads "the project → acme
    /// 1.2.0 requires …".
    struct Requirement {
        let spec: DependencySpec
        let chain: [String]
        var explained: String { chain.joined(separator: " → ") + " requires \(spec.name) \(spec.selector)" }

        func accepts(_ c: Candidate) -> Bool { spec.selector.accepts(version: c.version, ref: c.ref) }
    }

    struct State {
        var order: [String] = []
        var requirements: [String: [Requirement]] = [:]
        var picked: [String: (candidate: Candidate, source: DependencySpec.Source, dependencies: [String])] = [:]

        mutating func add(_ r: Requirement) {
            if requirements[r.spec.name] == nil { order.append(r.spec.name) }
            requirements[r.spec.name, default: []].append(r)
        }
    }

    public func resolve(_ roots: [DependencySpec], requiredBy root: String = "the project") throws -> [ResolvedLibrary] {
        var state = State()
        for spec in roots { state.add(Requirement(spec: spec, chain: [root])) }
        var conflict: String?
        guard let done = try search(state, conflict: &conflict) else {
            throw DependencyError("cannot resolve the library versions: " + (conflict ?? "no combination fits"))
        }
        return done.order.map { name in
            let p = done.picked[name]!
            return ResolvedLibrary(name: name, source: p.source, version: p.candidate.version, commit: p.candidate.commit,
                                   ref: p.candidate.ref, dependencies: p.dependencies)
        }
    }

    private func search(_ state: State, conflict: inout String?) throws -> State? {
        guard let name = state.order.first(where: { state.picked[$0] == nil }) else { return state }
        let reqs = state.requirements[name]!
        let sources = reqs.map(\.spec.source).reduce(into: [DependencySpec.Source]()) { if !$0.contains($1) { $0.append($1) } }
        guard sources.count == 1 else {
            if conflict == nil {
                conflict = "library '\(name)' is required from different sources:\n" +
                    reqs.map { "  \($0.chain.joined(separator: " → ")) wants \($0.spec.source)" }.joined(separator: "\n") +
                    "\nevery requirement of one library must name the same repository or folder"
            }
            return nil
        }
        let source = sources[0]
        let all = try index.candidates(name: name, source: source, selectors: reqs.map(\.spec.selector))
        let fitting = all.filter { c in reqs.allSatisfy { $0.accepts(c) } }
        if fitting.isEmpty && conflict == nil {
            let versions = all.filter { $0.ref == nil }.map(\.version.description)
            conflict = "no version of library '\(name)' satisfies every requirement:\n" +
                reqs.map { "  " + $0.explained }.joined(separator: "\n") +
                "\n  versions of \(name) at \(source): " + (versions.isEmpty ? "none (no semantic-version tags such as v1.0.0)" : versions.joined(separator: ", "))
        }
        for c in fitting {
            let manifest = try index.manifest(name: name, source: source, candidate: c)
            guard manifest.name == name else {
                throw DependencyError("\(source) at \(c.ref ?? c.version.description) is library '\(manifest.name)' (\(manifest.path)), " +
                    "not '\(name)': name the dependency '\(manifest.name)' or point it at the right repository")
            }
            var next = state
            next.picked[name] = (c, source, manifest.dependencies.map(\.name))
            var ok = true
            for dep in manifest.dependencies {
                if case .path = dep.source, case .git = source {
                    throw DependencyError("library '\(name)' \(c.version) (\(source)) depends on '\(dep.name)' by folder (\(dep.source)); " +
                        "a library fetched from git must name its dependencies by git URL")
                }
                let r = Requirement(spec: dep, chain: reqs[0].chain + ["\(name) \(c.version)"])
                if let p = next.picked[dep.name], !(p.source == dep.source && r.accepts(p.candidate)) {
                    if conflict == nil {
                        let earlier = next.requirements[dep.name]!.map { "  " + $0.explained }.joined(separator: "\n")
                        conflict = "library '\(dep.name)' \(p.candidate.version) was picked for\n\(earlier)\n" +
                            "but  \(r.explained)"
                    }
                    ok = false
                    break
                }
                next.add(r)
            }
            if ok, let done = try search(next, conflict: &conflict) { return done }
        }
        return nil
    }
}
