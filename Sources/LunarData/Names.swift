/// "Did you mean" for every vocabulary (primitives, fields, settings, metrics, parameters):
/// one definition of closeness, so every suggestion is ranked the same way.

/// Names among `candidates` closest to `name` (edit distance ≤ 2, or sharing a prefix), best first.
public func closestMatches(to name: String, in candidates: [String], limit: Int = 3) -> [String] {
    let lower = name.lowercased()
    let scored = candidates.map { c -> (String, Int) in
        let d = editDistance(lower, c.lowercased())
        let prefixBonus = c.lowercased().hasPrefix(lower) || lower.hasPrefix(c.lowercased()) ? -1 : 0
        return (c, d + prefixBonus)
    }
    let threshold = max(2, lower.count / 3)
    return scored.filter { $0.1 <= threshold }.sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }
        .prefix(limit).map(\.0)
}

/// Levenshtein distance.
public func editDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a.utf8), y = Array(b.utf8)
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    var prev = Array(0 ... y.count), cur = prev
    for i in 1 ... x.count {
        cur[0] = i
        for j in 1 ... y.count {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
        }
        swap(&prev, &cur)
    }
    return prev[y.count]
}
