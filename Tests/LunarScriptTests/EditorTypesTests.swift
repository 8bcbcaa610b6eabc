import Foundation
import LunarKernels
import LunarSim
import LunarTestSupport
import Testing
@testable import LunarScript

/// The stdlib's annotations are committed in types/ (so an editor pointed at a Lunar checkout
/// works without running anything); they must equal what `lunar types` generates now.
/// `LUNAR_WRITE_DOCS=1` rewrites them.
@Suite("Editor annotations")
struct EditorTypesTests {
    static func generated() throws -> [EditorTypes.File] {
        // The built-ins only: the committed types/ are for a plain Lunar, and the plugin example's
        // tests may register their primitive in this process at any moment (a flake seen once).
        EditorTypes.files(stdlibSource: try String(contentsOfFile: Fixtures.path("stdlib/ta.lua"), encoding: .utf8),
                          primitives: Registry.builtIns)
    }

    @Test("types/ is generated from the registry and vocabularies and up to date")
    func upToDate() throws {
        for f in try Self.generated() {
            let path = Fixtures.path("types/" + f.name)
            if ProcessInfo.processInfo.environment["LUNAR_WRITE_DOCS"] != nil {
                try FileManager.default.createDirectory(atPath: Fixtures.path("types"), withIntermediateDirectories: true)
                try f.text.write(toFile: path, atomically: true, encoding: .utf8)
            }
            let committed = try? String(contentsOfFile: path, encoding: .utf8)
            #expect(committed == f.text, "types/\(f.name) is stale: run `lunar types types` (or LUNAR_WRITE_DOCS=1 swift test --filter EditorTypesTests)")
        }
    }

    @Test("every primitive, helper, setting, signal and ctx name is annotated")
    func complete() throws {
        let files = Dictionary(uniqueKeysWithValues: try Self.generated().map { ($0.name, $0.text) })
        let ta = files["ta.lua"]!, core = files["lunar.lua"]!
        for spec in Registry.builtIns { #expect(ta.contains("function ta.\(spec.name)("), "ta.\(spec.name)") }
        #expect(ta.contains("function ta.vwap(high, low, close, volume, anchor)") && ta.contains("function ta.cross(a, b)"))
        #expect(ta.contains("---@param period? integer whole number in 2 … 100000, default 14\nfunction ta.rsi") || ta.contains("---@param period? integer whole number in 2 … 100000, default 14"))
        #expect(ta.contains("---@return Series macd\n---@return Series signal\n---@return Series hist"))
        for s in Setting.all { #expect(core.contains("---@field \(s.name)? \(s.luaType) "), "setting \(s.name)") }
        #expect(core.contains("---@field fill? \"close\"|\"next_open\""))
        for s in Signal.allCases { #expect(core.contains("---@field \(s.name)? Series"), "signal \(s.name)") }
        for n in ContextVocabulary.barFields + ContextVocabulary.symbolFields { #expect(core.contains("---@field \(n) "), "ctx.\(n)") }
        for m in ContextVocabulary.methods { #expect(core.contains("function Ctx:\(m)("), "ctx:\(m)") }
        #expect(core.contains("---@alias Timeframe \"5m\"|\"15m\"|\"30m\"|\"1h\"|\"4h\"|\"1D\"|\"1W\"|\"1M\"|\"1Q\"|\"1Y\""))
        #expect(files["lunar_test.lua"]!.contains("function expect_series(s, p) end"))
    }

    @Test func extraFieldsAndLibraryModulesAreAnnotated() throws {
        let core = EditorTypes.files(stdlibSource: "", extraFields: ["pe_ratio"]).first { $0.name == "lunar.lua" }!.text
        #expect(core.contains("---@field pe_ratio Series a column of the data"))
        let doc = ModuleDoc(name: "acme.momentum", file: "m.lua", library: "acme", summary: ["Momentum helpers."],
                            functions: [FunctionDoc(name: "acme.momentum.roc", signature: "acme.momentum.roc(x, n)", summary: "Rate of change.",
                                                    details: [], params: [("x", "a series"), ("n", "bars")], returns: "a series", file: "m.lua", line: 3)])
        let stub = EditorTypes.module(doc)
        #expect(stub.hasPrefix("---@meta acme.momentum\n"))
        #expect(stub.contains("---Rate of change.\n---@param x any a series\n---@param n any bars\n---@return any a series\nfunction M.roc(x, n) end"))
    }
}
