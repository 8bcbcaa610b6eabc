/// The globals a Lua file reads without declaring them anywhere — `lunar check`'s typo warning
/// (`tresh` for `thresh`). A static scan over tokens, not a parser: a name counts as declared
/// anywhere in the file once it appears as a local, a parameter, a loop variable, a function
/// name or the target of an assignment, so scoping mistakes go unreported but a name the file
/// never defines (and the sandbox does not offer) does not.
public enum GlobalReads {
    static let keywords: Set<String> = ["and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto",
                                        "if", "in", "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while"]

    struct Token { let text: String; let isName: Bool; let line: Int }

    /// Names read as globals that `source` never declares, with the line of their first read.
    public static func undeclared(in source: String) -> [(name: String, line: Int)] {
        let (declared, reads) = scan(source)
        var seen = Set<String>()
        return reads.filter { !declared.contains($0.0) && seen.insert($0.0).inserted }.map { (name: $0.0, line: $0.1) }
    }

    /// Every name `source` declares (locals, parameters, loop variables, functions, assigned globals).
    public static func declaredNames(in source: String) -> [String] { scan(source).declared.sorted() }

    static func scan(_ source: String) -> (declared: Set<String>, reads: [(String, Int)]) {
        let tokens = tokenize(source)
        var declared = Set<String>()
        var reads: [(String, Int)] = []
        var i = 0
        func text(_ k: Int) -> String? { k >= 0 && k < tokens.count ? tokens[k].text : nil }
        while i < tokens.count {
            let t = tokens[i]
            defer { i += 1 }
            guard t.isName else { continue }
            switch t.text {
            case "local":
                var k = i + 1
                if text(k) == "function" { k += 1 }
                // local a, b <const>, c
                while k < tokens.count, tokens[k].isName {
                    declared.insert(tokens[k].text); k += 1
                    if text(k) == "<" { k += 3 }               // an attribute: < name >
                    guard text(k) == "," else { break }
                    k += 1
                }
            case "function":
                var k = i + 1
                if k < tokens.count, tokens[k].isName { declared.insert(tokens[k].text) }
                while k < tokens.count && text(k) != "(" { k += 1 }
                k += 1
                while k < tokens.count && text(k) != ")" {
                    if tokens[k].isName { declared.insert(tokens[k].text) }
                    k += 1
                }
            case "for":
                var k = i + 1
                while k < tokens.count && text(k) != "=" && text(k) != "in" {
                    if tokens[k].isName { declared.insert(tokens[k].text) }
                    k += 1
                }
            default:
                guard !keywords.contains(t.text) else { continue }
                let before = text(i - 1), after = text(i + 1)
                if before == "." || before == ":" || before == "goto" || before == "::" { continue }   // a field, a method, a label
                if before == "<" && after == ">" && (t.text == "const" || t.text == "close") { continue }   // an attribute
                if after == "=" {
                    // `{ key = … }` is a table key; `name = …` elsewhere assigns the global.
                    if before != "{" && before != "," && before != ";" { declared.insert(t.text) }
                    continue
                }
                reads.append((t.text, t.line))
            }
        }
        return (declared, reads)
    }

    /// Names, and everything else as one token each (strings and comments dropped).
    static func tokenize(_ source: String) -> [Token] {
        let s = Array(source.utf8)
        var out: [Token] = []
        var i = 0, line = 1
        func isNameStart(_ c: UInt8) -> Bool { (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c == 95 }
        func isNameChar(_ c: UInt8) -> Bool { isNameStart(c) || (c >= 48 && c <= 57) }
        /// At `[`: the level of a long bracket `[==[` (nil if it is not one).
        func longLevel(_ at: Int) -> Int? {
            var k = at + 1, level = 0
            while k < s.count && s[k] == UInt8(ascii: "=") { level += 1; k += 1 }
            return k < s.count && s[k] == UInt8(ascii: "[") ? level : nil
        }
        func skipLong(_ at: Int, _ level: Int) -> Int {
            var k = at + level + 2
            while k < s.count {
                if s[k] == 10 { line += 1 }
                if s[k] == UInt8(ascii: "]") {
                    var j = k + 1, l = 0
                    while j < s.count && s[j] == UInt8(ascii: "=") { l += 1; j += 1 }
                    if l == level && j < s.count && s[j] == UInt8(ascii: "]") { return j + 1 }
                }
                k += 1
            }
            return k
        }
        while i < s.count {
            let c = s[i]
            if c == 10 { line += 1; i += 1; continue }
            if c == 32 || c == 9 || c == 13 { i += 1; continue }
            if c == UInt8(ascii: "-") && i + 1 < s.count && s[i + 1] == UInt8(ascii: "-") {
                if i + 2 < s.count && s[i + 2] == UInt8(ascii: "["), let level = longLevel(i + 2) { i = skipLong(i + 2, level); continue }
                while i < s.count && s[i] != 10 { i += 1 }
                continue
            }
            if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                var k = i + 1
                while k < s.count && s[k] != c && s[k] != 10 { k += s[k] == UInt8(ascii: "\\") ? 2 : 1 }
                out.append(Token(text: "\"", isName: false, line: line)); i = k + 1; continue
            }
            if c == UInt8(ascii: "["), let level = longLevel(i) {
                let start = line
                i = skipLong(i, level); out.append(Token(text: "\"", isName: false, line: start)); continue
            }
            if isNameStart(c) {
                var k = i
                while k < s.count && isNameChar(s[k]) { k += 1 }
                out.append(Token(text: String(decoding: s[i ..< k], as: UTF8.self), isName: true, line: line)); i = k; continue
            }
            if c >= 48 && c <= 57 || (c == UInt8(ascii: ".") && i + 1 < s.count && s[i + 1] >= 48 && s[i + 1] <= 57) {
                var k = i + 1
                while k < s.count && (isNameChar(s[k]) || s[k] == UInt8(ascii: ".") ||
                                      ((s[k] == UInt8(ascii: "+") || s[k] == UInt8(ascii: "-")) && "eEpP".utf8.contains(s[k - 1]))) { k += 1 }
                out.append(Token(text: "0", isName: false, line: line)); i = k; continue
            }
            // Two- and three-character symbols count as one: `==` is not an assignment.
            if let sym = ["...", "==", "~=", "<=", ">=", "::", "..", "//", "<<", ">>"].first(where: { s[i...].starts(with: $0.utf8) }) {
                out.append(Token(text: sym, isName: false, line: line)); i += sym.utf8.count; continue
            }
            out.append(Token(text: String(UnicodeScalar(c)), isName: false, line: line)); i += 1
        }
        return out
    }
}
