import Foundation
import Testing
import LunarSim

@Suite("docs/semantics.md settings and signals")
struct SettingsDocsTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("the settings and signals tables are generated from the vocabularies and up to date")
    func upToDate() throws {
        let url = Self.repo.appendingPathComponent("docs/semantics.md")
        let committed = try String(contentsOf: url, encoding: .utf8)
        for (name, _) in SettingsDocs.sections { #expect(committed.contains("<!-- generated: \(name) -->"), "\(name) markers") }
        let fresh = SettingsDocs.regenerate(committed)
        if committed != fresh && ProcessInfo.processInfo.environment["LUNAR_WRITE_DOCS"] == "1" {
            try fresh.write(to: url, atomically: true, encoding: .utf8)
        }
        #expect(committed == fresh, "docs/semantics.md is stale: run `LUNAR_WRITE_DOCS=1 swift test --filter SettingsDocsTests`")
    }

    @Test func everySettingAndSignalIsInTheTables() {
        let settings = SettingsDocs.settingsTable(), signals = SettingsDocs.signalsTable()
        for s in Setting.all { #expect(settings.contains("| `\(s.name)` | `--\(s.flag)`")) }
        for s in Signal.allCases { #expect(signals.contains("| `\(s.name)` |")) }
    }
}
