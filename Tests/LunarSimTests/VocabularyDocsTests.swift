import Foundation
import Testing
import LunarSim

@Suite("docs/semantics.md generated tables")
struct VocabularyDocsTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("the settings, signals and metrics tables are generated from their vocabularies and up to date")
    func upToDate() throws {
        let url = Self.repo.appendingPathComponent("docs/semantics.md")
        let committed = try String(contentsOf: url, encoding: .utf8)
        for (name, _) in VocabularyDocs.sections { #expect(committed.contains("<!-- generated: \(name) -->"), "\(name) markers") }
        let fresh = VocabularyDocs.regenerate(committed)
        if committed != fresh && ProcessInfo.processInfo.environment["LUNAR_WRITE_DOCS"] == "1" {
            try fresh.write(to: url, atomically: true, encoding: .utf8)
        }
        #expect(committed == fresh, "docs/semantics.md is stale: run `LUNAR_WRITE_DOCS=1 swift test --filter VocabularyDocsTests`")
    }

    @Test func everySettingAndSignalIsInTheTables() {
        let settings = VocabularyDocs.settingsTable(), signals = VocabularyDocs.signalsTable()
        for s in Setting.all { #expect(settings.contains("| `\(s.name)` | `--\(s.flag)`")) }
        for s in Signal.allCases { #expect(signals.contains("| `\(s.name)` |")) }
        for key in Metrics.names { #expect(Metrics.markdownTable().contains("| `\(key)` |")) }
    }
}
