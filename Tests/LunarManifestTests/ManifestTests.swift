import Foundation
import Testing
@testable import LunarManifest

@Suite struct SemanticVersionTests {
    @Test func parsesAndOrders() {
        #expect(SemanticVersion("1.2.3") == SemanticVersion(1, 2, 3))
        #expect(SemanticVersion("1.2") == SemanticVersion(1, 2, 0))
        #expect(SemanticVersion("2") == SemanticVersion(2, 0, 0))
        #expect(SemanticVersion("1.2.3+build.7") == SemanticVersion(1, 2, 3))
        for bad in ["", "1.x", "1..2", "v1.2", "1.2.3.4", "1.2.3-", "-1.0"] { #expect(SemanticVersion(bad) == nil, "\(bad)") }
        let ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0", "1.0.1", "1.10.0", "2.0.0"]
            .map { SemanticVersion($0)! }
        #expect(ordered == ordered.sorted())
        #expect(SemanticVersion("1.0.0-rc.1")!.description == "1.0.0-rc.1")
    }

    @Test func rangesFollowCargoAndNpm() {
        func ok(_ range: String, _ yes: [String], _ no: [String]) {
            let r = VersionRange(range)
            #expect(r != nil, "\(range) must parse")
            for v in yes { #expect(r?.contains(SemanticVersion(v)!) == true, "\(range) ∋ \(v)") }
            for v in no { #expect(r?.contains(SemanticVersion(v)!) == false, "\(range) ∌ \(v)") }
        }
        ok("*", ["0.0.1", "9.9.9"], [])
        ok("^1.2", ["1.2.0", "1.9.9"], ["1.1.9", "2.0.0"])
        ok("^0.3.1", ["0.3.1", "0.3.9"], ["0.4.0", "0.3.0"])
        ok("^0.0.3", ["0.0.3"], ["0.0.4"])
        ok("~1.2", ["1.2.0", "1.2.9"], ["1.3.0"])
        ok(">=1.2, <2.0", ["1.2.0", "1.99.0"], ["2.0.0", "1.1.0"])
        ok(">= 1.2 < 2", ["1.5.0"], ["2.0.0"])
        ok("1.4.0", ["1.4.0"], ["1.4.1"])
        ok("=1.4", ["1.4.0"], ["1.4.1"])
        ok(">1, <=1.5", ["1.0.1", "1.5.0"], ["1.0.0", "1.5.1"])
        for bad in [">=", "^x", "1.2.3.4", ">=1.0, banana", "=>1.0"] { #expect(VersionRange(bad) == nil, "\(bad)") }
    }
}

@Suite struct ManifestFileTests {
    @Test func readsAFullManifest() throws {
        let m = try LibraryManifest(text: """
            name = "acme"
            version = "1.2.0"
            description = "ACME desk indicators"
            lunar = ">=0.1"
            exports = ["acme.momentum"]
            [requires]
            stdlib = "^0.1"
            risk = ">=2.0, <3"
            """, path: "acme/lunar-lib.toml")
        #expect(m.name == "acme" && m.version == SemanticVersion(1, 2, 0) && m.description == "ACME desk indicators")
        #expect(m.exports == ["acme.momentum"] && m.lunar?.contains(LunarVersion.current) == true)
        #expect(m.requires.map(\.name) == ["risk", "stdlib"])
        #expect(m.requires[0].range.contains(SemanticVersion(2, 5, 0)) && !m.requires[0].range.contains(SemanticVersion(3, 0, 0)))
    }

    @Test func syntaxErrorsGiveFileLineAndColumn() {
        #expect { try LibraryManifest(text: "name = \"acme\"\nversion = \n", path: "x/lunar-lib.toml") } throws: { e in
            let m = (e as? ManifestError)?.message ?? ""
            return m.hasPrefix("x/lunar-lib.toml:2:") && m.contains("TOML syntax error")
        }
    }

    @Test func badValuesAreExplained() {
        func message(_ text: String) -> String {
            do { _ = try LibraryManifest(text: text, path: "m.toml"); return "" } catch { return "\(error)" }
        }
        #expect(message("version = \"1.0.0\"") == "m.toml: missing 'name' (e.g. name = \"acme\")")
        #expect(message("name = \"acme\"") == "m.toml: missing 'version' (e.g. version = \"1.0.0\")")
        #expect(message("name = \"acme\"\nversion = \"one\"").contains("'one' is not a semantic version"))
        #expect(message("name = \"Acme Lib\"\nversion = \"1.0\"").contains("must be lower-case letters"))
        #expect(message("name = \"acme\"\nversion = 1").contains("'version' must be a string, got an integer"))
        #expect(message("name = \"acme\"\nversion = \"1.0\"\nverison = \"2\"").contains("unknown key 'verison'"))
        #expect(message("name = \"acme\"\nversion = \"1.0\"\n[requires]\nta = \"soon\"").contains("requires.ta = \"soon\" is not a version range"))
    }

    @Test func projectFilePathsAreRelativeToItsFolder() throws {
        let p = try ProjectFile(text: """
            libraries = ["../acme-lib", "/opt/libs/risk"]
            [pins]
            ta = "stdlib"
            """, path: "/home/me/research/lunar.toml")
        #expect(p.libraries == ["/home/me/acme-lib", "/opt/libs/risk"])
        #expect(p.pins == ["ta": "stdlib"] && p.directory == "/home/me/research")
        #expect(throws: ManifestError.self) { try ProjectFile(text: "libraries = \"../acme\"", path: "lunar.toml") }
    }
}

/// Inputs the fuzzer found (Fuzz/FuzzManifest; docs/fuzzing.md): each used to stop the process.
@Suite struct ManifestFuzzFindingTests {
    /// `^`/`~` of a version part equal to Int.max overflowed computing the upper bound (a trap).
    @Test func rangesAtIntMaxAreInvalidNotATrap() {
        let max = "9223372036854775807"
        for text in ["^\(max)", "^0.\(max)", "^0.0.\(max)", "~\(max)", "~1.\(max)", "^\(max).0.0"] {
            #expect(VersionRange(text) == nil, "\(text)")
        }
        #expect(VersionRange("^\(Int.max - 1)")?.contains(SemanticVersion(Int.max - 1, 5, 0)) == true)
        #expect(VersionRange(">=\(max)") != nil)   // no bump, no problem
        #expect { try LibraryManifest(text: "name = \"a\"\nversion = \"1.0\"\n[requires]\nb = \"^\(max)\"", path: "m.toml") }
            throws: { "\($0)".contains("is not a version range") }
    }

    /// toml++ asserted (an abort, in debug and release builds) on a table header whose `[` is
    /// not followed by a key, on a date-time without its time, on an array element starting
    /// with '}' and on a date followed by a space and one digit; the loader now reports those
    /// syntax errors itself, with the place (TOMLTraps.swift).
    @Test func aTableHeaderWithoutAKeyIsASyntaxError() {
        func message(_ text: String) -> String {
            do { _ = try ProjectFile(text: text, path: "p/lunar.toml"); return "" } catch { return "\(error)" }
        }
        #expect(message("[\n") == "p/lunar.toml:1:2: TOML syntax error: expected a table name after '[', saw the end of the line")
        #expect(message("libraries = []\n  [[ =x]]\n") == "p/lunar.toml:2:6: TOML syntax error: expected a table name after '[', saw '='")
        #expect(message("[\u{3000}#]").contains("TOML syntax error"))   // toml++'s own: only space and tab
        #expect(message("\u{FEFF}[\r\n").contains("saw the end of the line"))
        #expect(message("[[[a]]]").contains("saw '['"))
        // A date-time whose 'T' is not followed by the time: toml++'s parse_time asserted.
        #expect(message("x = 1979-05-27T!07:32") == "p/lunar.toml:1:16: TOML syntax error: expected the time after 'T' in a date-time, saw '!'")
        #expect(message("a = 1\nb = [1, { c = 2000-01-01t\n").contains("p/lunar.toml:2:26:"))
        // An array element that starts with '}' or a line separator: toml++'s parse_value asserted.
        #expect(message("x = [1, }]") == "p/lunar.toml:1:9: TOML syntax error: expected a value or ']' in the array, saw '}'")
        #expect(message("x = [\n  # c\n  }]").contains("p/lunar.toml:3:3:"))
        #expect(message("x = [\u{2028}]").contains("saw a line separator (U+2028)"))
        #expect(message("x = { a = [[}] }").contains("saw '}'"))
        // A date, a space, one digit and the value's end: toml++'s type look-ahead asserted.
        #expect(message("x = 1979-05-27 1\n") == "p/lunar.toml:1:17: TOML syntax error: expected the time after the date and the space, saw the end of the line")
        #expect(message("x = [1979-05-27 1]").contains("p/lunar.toml:1:18:"))
        #expect(message("x = 1979-05-2_7 1#").contains("saw '#'"))
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let found = try! String(contentsOf: root.appendingPathComponent("Fuzz/findings/manifest-table-header-without-key.toml"), encoding: .utf8)
        #expect(message(found).contains("TOML syntax error: expected a table name after '['"))
        let found2 = try! String(contentsOf: root.appendingPathComponent("Fuzz/findings/manifest-datetime-without-time.toml"), encoding: .utf8)
        let found3 = try! String(contentsOf: root.appendingPathComponent("Fuzz/findings/manifest-array-element-brace.toml"), encoding: .utf8)
        #expect(message(found3).contains("TOML syntax error: expected a value or ']' in the array, saw '}'"))
        let found4 = try! String(contentsOf: root.appendingPathComponent("Fuzz/findings/manifest-spaced-date-short-time.toml"), encoding: .utf8)
        #expect(message(found4).contains("expected the time after the date and the space, saw '#'"))
        #expect(message(found2) == "p/lunar.toml:1:15: TOML syntax error: expected the time after 'T' in a date-time, saw '*'")
    }

    /// What the check must leave alone: brackets inside strings, comments and values, and
    /// headers written every way TOML allows (those toml++ rejects, it still reports itself).
    @Test func headersAndBracketsThatAreFine() throws {
        let text = #"""
            # [ comment with a bracket
            name = "x [\n"   # [= in a comment
            libraries = [
              "a",   # [
              [ "nested" ],
            ]
            strategies = ['''
            [
            ''']
            [requires]
            "quoted key" = "^1"
            [ pins ]
            'x.y' = "stdlib"
            [	"tab" ]
            """#
        let file = try ConfigFile(text: text, path: "ok.toml")
        #expect(file.root["requires"] == .table(["quoted key": .string("^1")]))
        #expect(file.root["strategies"] == .array([.string("[\n")]))
        for ok in ["", "[a]", "[ a . b ]", "[[a]]\n[[a]]", "[\"\"]", "x = \"\"\"a\"\"\"\"\"\n[b]", "x = [\n[1],\n[ {a = 1} ],\n]\n",
                   "1979-05-27Tx = 1", "a.1979-05-27T.b = 2", "x = \"1979-05-27T!\"", "x = 1979-05-27T07:32:00Z # 1979-05-27T!",
                   "x = [1979-05-27t07:32:00, 1979-05-27]", "x = { 1979-05-27T- = 1 }", "x = 1979-05-27T",
                   "x = [ ]", "x = [1, ]", "x = [\n# c\n]", "x = [{a = 1}, {b = [2, {}]}]", "x = { a = [1], b = {} }", "\u{FEFF}[a]",
                   "x = 1979-05-27 07:32:00", "x = 1979-05-27 12", "x = 1979-05-27 1", "x = 1979-05-27 # 1", "x = 1979-05-27T07:32 1"] {
            #expect(TOMLTraps.find(ok) == nil, "\(ok)")
        }
        // toml++'s own errors for other bad headers, not ours.
        #expect { try ConfigFile(text: "[]", path: "e.toml") } throws: { "\($0)".contains("TOML syntax error") && !"\($0)".contains("expected a table name") }
    }
}
