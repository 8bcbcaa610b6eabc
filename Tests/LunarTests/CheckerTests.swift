import Foundation
import LunarTestSupport
import Testing
@testable import Lunar

@Suite struct CheckerTests {
    func check(_ files: [String: String], bars: Int? = nil) throws -> [Finding] {
        let dir = Fixtures.tempDir()
        for (name, text) in files { Fixtures.write(text, name, in: dir) }
        var o = Checker.Options()
        o.bars = bars
        o.stdlib = Fixtures.stdlib
        return try Checker.check(paths: [dir], options: o)
    }

    @Test func shippedStrategiesAndStdlibAreClean() throws {
        var o = Checker.Options()
        o.stdlib = Fixtures.stdlib
        o.bars = 2520
        #expect(try Checker.check(paths: [Fixtures.path("strategies"), Fixtures.path("stdlib")], options: o).isEmpty)
    }

    @Test func reportsErrorsWithFileAndLine() throws {
        let f = try check([
            "syntax.lua": "local x = = 1\n",
            "param.lua": "return strategy {\n  signals = function(bars, p)\n    return { entries = bars.close:gt(p.level) }\n  end }\n",
            "type.lua": "return strategy { signals = function(bars, p)\n  return { entries = bars.close + 1 }\nend }\n",
        ])
        #expect(f.count == 3 && f.allSatisfy { $0.severity == .error })
        let byFile = Dictionary(uniqueKeysWithValues: f.map { (URL(fileURLWithPath: $0.file).lastPathComponent, $0) })
        #expect(byFile["syntax.lua"]?.line == 1)
        #expect(byFile["param.lua"]?.line == 3 && byFile["param.lua"]!.message.contains("unknown parameter 'level'"))
        #expect(byFile["type.lua"]!.message.contains("must be a bool series"))
    }

    @Test func warnsAboutUnusedParamsLongLookbacksAndDeadSignals() throws {
        let f = try check(["w.lua": """
            local ta = require "ta"
            return strategy {
              params = { n = 200, spare = 1 },
              signals = function(bars, p)
                local m = ta.sma(bars.close, p.n)
                return { entries = bars.close:gt(m) & ta.where(false, true, false), exits = bars.close:lt(m) }
              end,
            }
            """], bars: 100)
        let messages = f.map(\.message)
        #expect(f.allSatisfy { $0.severity == .warning })
        #expect(messages.contains("parameter 'spare' is never used by signals"))
        #expect(f.first { $0.message.contains("spare") }?.line == 3)
        #expect(messages.contains { $0.contains("'exits' needs 200 bars of history, but the data have 100") })
        #expect(messages.contains("'entries' can never be true (it folds to a constant false)"))
    }

    /// Calendar series depend on no field but are not constants: a time filter is not dead.
    @Test func timeFiltersAndTimeframesAreNotDeadSignals() throws {
        let f = try check(["t.lua": """
            local ta = require "ta"
            return strategy {
              signals = function(bars)
                local w = bars:timeframe("1W")
                return { entries = bars.time_of_day:ge(600) & bars.day_of_week:le(5) & w.close:gt(ta.sma(w.close, 10)) }
              end,
            }
            """])
        #expect(f.isEmpty, "\(f.map(\.message))")
    }

    @Test func globalsDefinedNowhereAreWarnedWithTheClosestName() throws {
        let f = try check(["g.lua": """
            local ta = require "ta"
            local thresh = 1
            return strategy {
              signals = function(bars, p)
                return { entries = bars.close:gt(tresh or thresh) & ta.rising(bars.close) }
              end,
              on_bar = nil,
            }
            """])
        let w = try #require(f.first { $0.message.contains("'tresh'") })
        #expect(w.severity == .warning && w.line == 5 && w.message.contains("did you mean 'thresh'?"), "\(w.message)")
        #expect(f.count == 1, "\(f.map(\.message))")
    }

    @Test func jsonIsParseable() throws {
        let f = try check(["e.lua": "return 1 +\n"])
        let obj = try JSONSerialization.jsonObject(with: Data(Checker.json(f, files: 1).utf8)) as! [String: Any]
        #expect(obj["errors"] as? Int == 1)
    }
}
