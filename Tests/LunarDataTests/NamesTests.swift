import Foundation
import Testing
@testable import LunarData

/// "Did you mean" (Names.swift): the same suggestions as before the work cap, and bounded work
/// for names a script makes up (found by fuzzing, Fuzz/findings/strategy-hint-long-names.lua).
@Suite struct NamesTests {
    /// The definition before the cap: every candidate scored.
    func reference(_ name: String, _ candidates: [String], limit: Int = 3) -> [String] {
        let lower = name.lowercased()
        let scored = candidates.map { c -> (String, Int) in
            let bonus = c.lowercased().hasPrefix(lower) || lower.hasPrefix(c.lowercased()) ? -1 : 0
            return (c, editDistance(lower, c.lowercased()) + bonus)
        }
        let threshold = max(2, lower.count / 3)
        return scored.filter { $0.1 <= threshold }.sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }
            .prefix(limit).map(\.0)
    }

    @Test func suggestionsAreUnchangedForOrdinaryNames() {
        var rng = SystemRandomNumberGenerator()
        let letters = Array("abcdeXY_")
        func word(_ n: Int) -> String { String((0 ..< n).map { _ in letters.randomElement(using: &rng)! }) }
        for _ in 0 ..< 2000 {
            let candidates = (0 ..< Int.random(in: 0 ... 30, using: &rng)).map { _ in word(Int.random(in: 0 ... 14, using: &rng)) }
            let name = word(Int.random(in: 0 ... 16, using: &rng))
            #expect(closestMatches(to: name, in: candidates) == reference(name, candidates), "\(name) in \(candidates)")
        }
        #expect(closestMatches(to: "fess", in: ["fees", "fill", "fixed_fee"]).first == "fees")
    }

    @Test func longNamesAndLongListsAreBounded() {
        let start = Date()
        let a = String(repeating: "a", count: 100_000), b = String(repeating: "b", count: 100_000)
        #expect(closestMatches(to: a, in: [b]).isEmpty)                    // was 10^10 comparisons
        #expect(closestMatches(to: a, in: ["fees", "fill"]).isEmpty)       // ruled out by length alone
        #expect(closestMatches(to: a + "x", in: [a]).isEmpty)                // past the budget: no suggestion
        let many = Array(repeating: String(repeating: "c", count: 300), count: 100_000)
        #expect(closestMatches(to: String(repeating: "c", count: 299), in: many).count == 3)
        #expect(Date().timeIntervalSince(start) < 20, "took \(Date().timeIntervalSince(start)) s")
    }
}
