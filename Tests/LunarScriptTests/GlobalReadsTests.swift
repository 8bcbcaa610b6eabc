import Testing
@testable import LunarScript

/// The static scan behind `lunar check`'s "defined nowhere" warning.
@Suite struct GlobalReadsTests {
    @Test func localsParametersLoopsFunctionsAndAssignmentsDeclare() {
        let source = """
            local ta = require "ta"
            local a, b <const> = 1, 2
            local function helper(x, ...) return x end
            function global_fn(y) return y end
            counter = 0
            for i = 1, 3 do counter = counter + i end
            for k, v in pairs({}) do print(k, v) end
            return strategy { name = "s", signals = function(bars, p)
              local t = { level = a + b, [1] = 2 }
              return { entries = bars.close:gt(t.level + helper(p.x) + global_fn(1)) }
            end }
            """
        let reads = GlobalReads.undeclared(in: source).map(\.name)
        #expect(Set(reads) == ["require", "print", "pairs", "strategy"])   // the sandbox's, known to the checker
    }

    @Test func stringsCommentsFieldsMethodsAndKeysAreNotReads() {
        let source = """
            -- tresh in a comment
            --[==[ a long
            comment with tresh ]==]
            local s = "tresh" .. 'tresh' .. [[tresh
            ]]
            local x = s.tresh or s:tresh() or { tresh = 1 }
            if x == tresh then end
            """
        let reads = GlobalReads.undeclared(in: source)
        #expect(reads.map(\.name) == ["tresh"] && reads.first?.line == 7)
    }
}
