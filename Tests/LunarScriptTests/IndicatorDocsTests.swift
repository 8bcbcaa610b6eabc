import Foundation
import Testing
import LunarScript

@Suite("docs/indicators.md")
struct IndicatorDocsTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("is generated from the registry and stdlib/ta.lua and up to date")
    func upToDate() throws {
        let source = try String(contentsOf: Self.repo.appendingPathComponent("stdlib/ta.lua"), encoding: .utf8)
        let committed = try String(contentsOf: Self.repo.appendingPathComponent("docs/indicators.md"), encoding: .utf8)
        let fresh = IndicatorDocs.markdown(stdlibSource: source)
        #expect(committed == fresh, "docs/indicators.md is stale: run `swift run lunar list indicators --markdown > docs/indicators.md`")
    }

    @Test("every stdlib helper defined in ta.lua is documented")
    func helpersDocumented() throws {
        let source = try String(contentsOf: Self.repo.appendingPathComponent("stdlib/ta.lua"), encoding: .utf8)
        let defined = source.split(separator: "\n").filter { $0.hasPrefix("function ta.") }.count
        let helpers = IndicatorDocs.luaHelpers(source)
        #expect(helpers.count == defined)
        #expect(helpers.contains { $0.signature == "ta.cross(a, b)" })
    }
}
