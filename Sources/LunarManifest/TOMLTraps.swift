/// Syntax errors that toml++ 3.4.0 — the parser inside TOMLKit 0.6.0 — meets with a failed
/// assertion instead of an error: the process aborts (SwiftPM builds C++ without NDEBUG, in
/// debug and release alike; with NDEBUG the assertions would become assumptions the optimizer
/// builds on). Each was found by fuzzing (Fuzz/FuzzManifest, docs/fuzzing.md):
///
/// - a table header whose `[` or `[[` is followed by something that cannot start a key
///   (`[` then a line break, `[=`, `[ #`, `[[[`): `parse_key` asserts on it;
/// - a date-time value whose `T` is not followed by a digit (`x = 1979-05-27T!07:32`):
///   `parse_time` asserts on it;
/// - an array element that starts with `}` or a Unicode line separator (`x = [1, }]`):
///   `parse_value` asserts on it;
/// - a value shaped like a date, a space, one digit and then the value's end
///   (`x = 1979-05-27 1`): the look-ahead that decides the value's type asserts on it.
///
/// Every such document is invalid TOML, so `ConfigFile` reports the error here, with its place,
/// and the text never reaches toml++. The scan follows strings, comments, keys and values just
/// far enough to know where toml++ would be: anything it is unsure of, it leaves to toml++.
enum TOMLTraps {
    static func find(_ text: String) -> (line: Int, column: Int, reason: String)? {
        let s = Array(text.unicodeScalars)
        var i = 0, line = 1, lineStart = 0
        var atStatement = true      // at the start of a line, outside any value
        var inKey = true            // reading keys (a statement's or an inline table's), not a value
        var nesting: [Unicode.Scalar] = []   // open arrays and inline tables of the current value
        var elementExpected = false // in an array, after '[' or ',': the next thing must be a value or ']'
        func blank(_ k: Int) -> Bool { k < s.count && isBlank(s[k]) }
        func newline(at k: Int) { line += 1; lineStart = k + 1 }
        func place(_ k: Int) -> (Int, Int) { (line, k - lineStart + 1) }

        while i < s.count {
            let c = s[i]
            if c == "\n" {
                newline(at: i); i += 1
                if nesting.isEmpty { atStatement = true; inKey = true }
                continue
            }
            if atStatement {
                if isBlank(c) || c == "\r" || (i == 0 && c == "\u{FEFF}") { i += 1; continue }
                atStatement = false
                if c == "[" {
                    var j = i + 1
                    let double = j < s.count && s[j] == "["
                    if double { j += 1 }
                    while blank(j) { j += 1 }
                    if j < s.count {
                        let d = s[j]
                        // Other Unicode blanks: toml++ reports those itself.
                        if !(isBare(d) || d == "\"" || d == "'" || d == "]" || (d == "[" && !double) || isUnicodeBlank(d)) {
                            let (l, col) = place(j)
                            return (l, col, "expected a table name after '[', saw \(shown(d))")
                        }
                    }
                    // The rest of the header is keys; skip to the end of the line.
                    i = j
                    while i < s.count, s[i] != "\n" {
                        if s[i] == "\"" || s[i] == "'" { i = skipString(s, i, newline) } else if s[i] == "#" { break } else { i += 1 }
                    }
                    continue
                }
            }
            if elementExpected, nesting.last == "[" {
                if isBlank(c) || c == "\r" { i += 1; continue }
                if c == "}" || [0x85, 0x2028, 0x2029].contains(c.value) {
                    let (l, col) = place(i)
                    return (l, col, "expected a value or ']' in the array, saw \(c == "}" ? "'}'" : "a line separator (U+\(String(c.value, radix: 16, uppercase: true)))")")
                }
                if c != "#" && c != "]" && c != "," { elementExpected = false }
            }
            switch c {
            case "#":
                while i < s.count, s[i] != "\n" { i += 1 }
            case "\"", "'":
                i = skipString(s, i, newline)
            case "=" where inKey:
                inKey = false; i += 1
            case "{" where !inKey:
                nesting.append("{"); inKey = true; i += 1
            case "[" where !inKey:
                nesting.append("["); elementExpected = true; i += 1
            case "," where nesting.last == "{":
                inKey = true; i += 1
            case "," where nesting.last == "[":
                elementExpected = true; i += 1
            case "}", "]":
                if !nesting.isEmpty { nesting.removeLast() }
                inKey = false; elementExpected = false; i += 1
            default:
                // Where toml++ starts reading a value (after '=', '[' or a terminator).
                let valueStart = !inKey && isDigit(c) && i > 0 && (isValueTerminator(s[i - 1]) || s[i - 1] == "=" || s[i - 1] == "[")
                // A date-time value: YYYY-MM-DD, then 'T' or 't', then not a digit.
                if valueStart, i + 11 < s.count, (0 ..< 10).allSatisfy({ [4, 7].contains($0) ? s[i + $0] == "-" : isDigit(s[i + $0]) }),
                   s[i + 10] == "T" || s[i + 10] == "t", !isDigit(s[i + 11]) {
                    let (l, col) = place(i + 11)
                    return (l, col, "expected the time after '\(s[i + 10])' in a date-time, saw \(shown(s[i + 11]))")
                }
                if valueStart, let k = spacedDateEnd(s, i) {
                    let (l, col) = place(k)
                    return (l, col, "expected the time after the date and the space, saw \(shown(s[k]))")
                }
                i += 1
            }
        }
        return nil
    }

    /// toml++ decides a value's type by scanning it first (`parse_value`, toml.hpp:15075–15180).
    /// When that scan sees exactly ten characters shaped like a date — starting with a digit,
    /// '-' at the fifth and eighth, nothing else that counts (no '+', '.', ':', 't', 'z', …) —
    /// followed by a space and a digit, it scans on from the character after that digit and
    /// asserts that it is not a value terminator. Returns that character's index when it is
    /// one; this follows the scan's own rules (`_` is skipped, `e` counts only before a '-',
    /// `b`/`o`/`x` only as the second character after a leading 0).
    static func spacedDateEnd(_ s: [Unicode.Scalar], _ start: Int) -> Int? {
        var chars: [Unicode.Scalar] = []
        var i = start, advanced = 0, other = false, minus = false
        repeat {
            let c = s[i]
            if c != "_" {
                chars.append(c)
                switch c {
                case "0" ... "9": break
                case "-": minus = true
                case "+", ".", ":": other = true
                case "t", "T", "z", "Z": other = true
                case "e", "E": if chars.count > 1 && !minus { other = true }
                case "b", "B", "o", "O", "x", "X": if chars.count == 2 && chars[0] == "0" { other = true }
                default: break
                }
            }
            i += 1; advanced += 1
        } while advanced < 127 && i < s.count && !isValueTerminator(s[i])
        guard chars.count == 10, !other, minus, chars[4] == "-", chars[7] == "-",
              i + 2 < s.count, s[i] == " ", isDigit(s[i + 1]), isValueTerminator(s[i + 2]) else { return nil }
        return i + 2
    }

    /// toml++'s `is_value_terminator`: whitespace of any kind, ']', '}', ',' and '#'.
    static func isValueTerminator(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x0A ... 0x0D, 0x85, 0x2028, 0x2029: return true
        default: return isBlank(c) || isUnicodeBlank(c) || c == "]" || c == "}" || c == "," || c == "#"
        }
    }

    /// The index just past the string that starts at `i` (or at the end of its line when it is
    /// not closed there); calls `newline` for each line break inside a multi-line string.
    static func skipString(_ s: [Unicode.Scalar], _ start: Int, _ newline: (Int) -> Void) -> Int {
        let q = s[start]
        let triple = start + 2 < s.count && s[start + 1] == q && s[start + 2] == q
        var i = start + (triple ? 3 : 1)
        while i < s.count {
            if s[i] == "\\" && q == "\"" {
                if i + 1 < s.count, s[i + 1] == "\n" { newline(i + 1) }
                i += 2; continue
            }
            if s[i] == "\n" {
                if !triple { return i }
                newline(i)
            }
            if s[i] == q && (!triple || (i + 2 < s.count && s[i + 1] == q && s[i + 2] == q)) {
                i += triple ? 3 : 1
                // A multi-line string may end with up to two more quotes of its own.
                var extra = 0
                while triple, extra < 2, i < s.count, s[i] == q { i += 1; extra += 1 }
                return i
            }
            i += 1
        }
        return i
    }

    /// The blanks toml++ skips (`consume_leading_whitespace`): space and tab.
    static func isBlank(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" }

    /// The other horizontal whitespace toml++ knows (`is_non_ascii_horizontal_whitespace`); it
    /// reports "expected space or tab" on them.
    static func isUnicodeBlank(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0xA0, 0x1680, 0x180E, 0x2000 ... 0x200B, 0x202F, 0x205F, 0x2060, 0x3000, 0xFEFF: return true
        default: return false
        }
    }

    static func isDigit(_ c: Unicode.Scalar) -> Bool { ("0" ... "9").contains(c) }

    static func isBare(_ c: Unicode.Scalar) -> Bool {
        c.isASCII && (("a" ... "z").contains(c) || ("A" ... "Z").contains(c) || isDigit(c) || c == "_" || c == "-")
    }

    static func shown(_ c: Unicode.Scalar) -> String {
        if c == "\n" || c == "\r" { return "the end of the line" }
        return c.value < 0x20 || c.value == 0x7F ? "a control character (\(c.value))" : "'\(c)'"
    }
}
