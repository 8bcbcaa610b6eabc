import Foundation
import LunarTestSupport
import Testing
@testable import LunarScript

/// LDoc comments, parameter comments and `lunar doc` lookups.
@Suite struct LibraryCatalogTests {
    @Test func ldocBlocksDocumentPublicFunctionsOnly() {
        let m = LibraryCatalog.parseModule("""
            -- mylib.util: small helpers.
            -- Second header line.
            local M = {}

            --- Doubles a series.
            -- Works on numbers too.
            -- @param x the input
            -- @tparam number k factor
            -- @return twice x
            function M.double(x, k) return x * 2 end

            -- not a doc block (no ---)
            function M.quiet(x) return x end

            --- private helpers are skipped
            local function hidden() end

            --- half(x): Halves a series.
            M.half = function(x) return x / 2 end
            return M
            """, name: "mylib.util", file: "util.lua", library: "mylib")
        #expect(m.summary == ["mylib.util: small helpers.", "Second header line."])
        #expect(m.functions.map(\.name) == ["mylib.util.double", "mylib.util.half"])
        let d = m.functions[0]
        #expect(d.signature == "mylib.util.double(x, k)" && d.summary == "Doubles a series." && d.details == ["Works on numbers too."])
        #expect(d.params.map(\.name) == ["x", "k"] && d.params[1].doc == "(number) factor" && d.returns == "twice x" && d.line == 10)
        #expect(m.functions[1].summary == "Halves a series.")
    }

    @Test func parameterCommentsGiveDocsAndRanges() {
        let c = LibraryCatalog.paramComments("""
            params = {
              fast = 10,   -- 2..50 bars in the fast average
              ratio = 0.5, -- fraction (0.1 .. 0.9)
              plain = 3,
            },
            """)
        #expect(c["fast"] == "2..50 bars in the fast average" && c["plain"] == nil)
        let (range, rest) = LibraryCatalog.range(in: c["ratio"]!)
        #expect(range == 0.1 ... 0.9 && rest == "fraction ()")
        #expect(LibraryCatalog.range(in: "no range here").0 == nil)
    }

    @Test func docFindsEachKindOfName() throws {
        let dir = Fixtures.tempDir()
        Fixtures.write("name = \"team\"\nversion = \"0.3.0\"\ndescription = \"Team helpers\"", "lib/lunar-lib.toml", in: dir)
        Fixtures.write("-- team.x: helpers\nlocal M = {}\n--- Identity.\nfunction M.same(a) return a end\nreturn M", "lib/team/x.lua", in: dir)
        Fixtures.write("""
            return strategy {
              name = "lib_strategy", description = "Holds.",
              params = {
                n = 3, -- 1..9 window
              },
              signals = function(bars, p) return { entries = bars.close:gt(0) } end,
            }
            """, "lib/team/hold.lua", in: dir)
        let settings = LibrarySettings(flags: [dir + "/lib"], stdlib: Fixtures.stdlib)
        let path = try LibraryPath(leading: [], settings: settings)
        func doc(_ n: String) throws -> String { try LibraryCatalog.doc(n, path: path, strategyFolders: [], settings: settings) }
        #expect(try doc("sma").hasPrefix("ta.sma(x, period)    [native, average]"))
        #expect(try doc("ta.cross").hasPrefix("ta.cross(a, b)"))
        #expect(try doc("team.x.same").contains("Identity."))
        #expect(try doc("same").hasPrefix("team.x.same(a)"))
        #expect(try doc("team.x").hasPrefix("module team.x    [team,"))
        #expect(try doc("team").contains("library team 0.3.0") && doc("team").contains("team.x"))
        #expect(try doc("lib_strategy").contains("n = 3             [1..9]  window"))
        #expect(LibraryCatalog.modules(in: path).map(\.name) == ["team.x", "ta"], "strategies are not modules")
        #expect { try doc("team.x.sme") } throws: { "\($0)".contains("did you mean 'team.x.same'") }
    }
}
