/// docs/semantics.md's settings, signals and metrics tables, generated from `Setting.all`,
/// `Signal` and `Metrics.info`
/// (a test fails when the committed doc differs), and the text of `lunar list settings`.
public enum VocabularyDocs {
    /// The marked sections of docs/semantics.md this type writes.
    public static let sections: [(name: String, body: @Sendable () -> String)] = [("settings", settingsTable), ("signals", signalsTable), ("metrics", Metrics.markdownTable)]

    public static func settingsTable() -> String {
        var out = "| setting (strategy table, `overrides`) | flag | takes | default | `SimulationOptions` | meaning |\n"
        out += "| --- | --- | --- | --- | --- | --- |\n"
        for s in Setting.all {
            let flag = s.isSwitch ? "`--\(s.flag)`, `--no-\(s.flag)`" : "`--\(s.flag)`"
            out += "| `\(s.name)` | \(flag) | \(escape(s.expected)) | `\(s.defaultValue)` | `\(s.field)` | \(escape(s.doc)) |\n"
        }
        return out
    }

    public static func signalsTable() -> String {
        var out = "| key | type | meaning |\n| --- | --- | --- |\n"
        for s in Signal.allCases { out += "| `\(s.name)` | \(s.valueDoc) | \(escape(s.doc)) |\n" }
        return out
    }

    /// `doc` with each marked section (`<!-- generated: NAME -->` … `<!-- end: NAME -->`)
    /// replaced by its fresh table; sections without markers are left alone.
    public static func regenerate(_ doc: String) -> String {
        var text = doc
        for (name, body) in sections {
            let begin = "<!-- generated: \(name) -->\n", end = "<!-- end: \(name) -->"
            guard let a = text.range(of: begin), let b = text.range(of: end, range: a.upperBound ..< text.endIndex) else { continue }
            text.replaceSubrange(a.upperBound ..< b.lowerBound, with: body())
        }
        return text
    }

    /// `lunar list settings`: one line per setting.
    public static func listing() -> String {
        let width = Setting.all.map(\.name.count).max() ?? 0
        return Setting.all.map { s in
            s.name + String(repeating: " ", count: width + 2 - s.name.count) + "--\(s.flag)  \(s.expected) (default \(s.defaultValue))\n"
                + String(repeating: " ", count: width + 2) + s.doc + "\n"
        }.joined()
    }

    private static func escape(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }
}
