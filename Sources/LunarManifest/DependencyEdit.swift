import Foundation

/// Line edits of a `[dependencies]` table that keep the rest of the file as its author wrote it
/// (comments, order, spacing): what `lunar lib add` and `lunar lib remove` do to lunar.toml.
public enum DependencyEdit {
    /// The entry's TOML line: `acme = { git = "…", version = "^1.2" }`, with the source spelled
    /// `written` (as the user typed it, rather than the absolute path the spec holds).
    public static func line(_ spec: DependencySpec, source written: String) -> String {
        var fields: [String] = []
        switch spec.source {
        case .git: fields.append("git = \(tomlQuoted(written))")
        case .path: fields.append("path = \(tomlQuoted(written))")
        }
        switch spec.selector {
        case .range(let r) where r.description != "*": fields.append("version = \(tomlQuoted(r.description))")
        case .range: break
        case .branch(let b): fields.append("branch = \(tomlQuoted(b))")
        case .rev(let r): fields.append("rev = \(tomlQuoted(r))")
        }
        return "\(spec.name) = { \(fields.joined(separator: ", ")) }"
    }

    /// `text` with `line` as the entry for `name`: replacing an existing one-line entry, else
    /// appended to `[dependencies]` (which is added at the end when missing).
    public static func setting(_ name: String, line: String, in text: String) -> String {
        var lines = text.components(separatedBy: "\n")
        if let (start, end) = section(lines) {
            if let i = (start + 1 ..< end).first(where: { key(of: lines[$0]) == name }) {
                lines[i] = line
            } else {
                // After the section's last entry, before any blank lines that separate it.
                var at = end
                while at > start + 1 && lines[at - 1].trimmingCharacters(in: .whitespaces).isEmpty { at -= 1 }
                lines.insert(line, at: at)
            }
            return lines.joined(separator: "\n")
        }
        var out = text
        if !out.isEmpty && !out.hasSuffix("\n") { out += "\n" }
        if !out.isEmpty { out += "\n" }
        return out + "[dependencies]\n" + line + "\n"
    }

    /// `text` without the entry for `name`, or nil when it has none: a one-line entry in
    /// `[dependencies]`, or a whole `[dependencies.NAME]` table.
    public static func removing(_ name: String, from text: String) -> String? {
        var lines = text.components(separatedBy: "\n")
        if let (start, end) = section(lines), let i = (start + 1 ..< end).first(where: { key(of: lines[$0]) == name }) {
            lines.remove(at: i)
            return lines.joined(separator: "\n")
        }
        if let start = lines.firstIndex(where: { header(of: $0) == "dependencies.\(name)" }) {
            let end = (start + 1 ..< lines.count).first { header(of: lines[$0]) != nil } ?? lines.count
            lines.removeSubrange(start ..< end)
            return lines.joined(separator: "\n")
        }
        return nil
    }

    /// The `[dependencies]` header's line and the line where the section ends (exclusive).
    static func section(_ lines: [String]) -> (Int, Int)? {
        guard let start = lines.firstIndex(where: { header(of: $0) == "dependencies" }) else { return nil }
        let end = (start + 1 ..< lines.count).first { header(of: lines[$0]) != nil } ?? lines.count
        return (start, end)
    }

    /// `deps` for `[deps]` and `[[deps]]` lines (comments after it allowed), else nil.
    static func header(of line: String) -> String? {
        let t = line.trimmingCharacters(in: .whitespaces)
        guard t.hasPrefix("["), let close = t.firstIndex(of: "]") else { return nil }
        return t[t.index(after: t.startIndex) ..< close].trimmingCharacters(in: CharacterSet(charactersIn: "[] \t"))
    }

    /// The bare or quoted key a `key = value` line sets.
    static func key(of line: String) -> String? {
        let t = line.trimmingCharacters(in: .whitespaces)
        guard !t.hasPrefix("#"), let eq = t.firstIndex(of: "=") else { return nil }
        return t[..<eq].trimmingCharacters(in: CharacterSet(charactersIn: " \t\"'"))
    }


}
