/// "Did you mean" for every vocabulary (primitives, fields, settings, metrics, parameters):
/// one definition of closeness, so every suggestion is ranked the same way.

/// Names among `candidates` closest to `name` (edit distance ≤ 2, or sharing a prefix), best first.
///
/// The edit distance is quadratic, and scripts reach this with names of their own (an unknown
/// field, `_LUNAR.hint`) inside one native call, where the instruction budget cannot stop them:
/// two 100,000-byte names took minutes (found by fuzzing, Fuzz/findings/). Candidates whose
/// length alone rules them out are skipped, which changes no result, and one call compares at
/// most `closestMatchesBudget` pairs of characters; candidates past it are not suggested.
public func closestMatches(to name: String, in candidates: [String], limit: Int = 3) -> [String] {
    let lower = name.lowercased()
    let threshold = max(2, lower.count / 3)
    let n = lower.utf8.count
    var budget = closestMatchesBudget
    var scored: [(String, Int)] = []
    for c in candidates {
        let lc = c.lowercased()
        let m = lc.utf8.count
        // The distance is at least the difference in length; the prefix bonus takes one off.
        if abs(n - m) > threshold + 1 { continue }
        let (cells, overflow) = n.multipliedReportingOverflow(by: m)
        guard !overflow, cells <= budget else { break }
        budget -= cells
        let prefixBonus = lc.hasPrefix(lower) || lower.hasPrefix(lc) ? -1 : 0
        scored.append((c, editDistance(lower, lc) + prefixBonus))
    }
    return scored.filter { $0.1 <= threshold }.sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }
        .prefix(limit).map(\.0)
}

/// Character comparisons one `closestMatches` call may make (about 50 ms in a debug build).
public let closestMatchesBudget = 1 << 24

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
