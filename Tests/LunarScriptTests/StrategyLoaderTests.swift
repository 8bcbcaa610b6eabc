import Foundation
import LunarGraph
import LunarTestSupport
import LunarSim
import Testing
@testable import LunarScript

@Suite struct StrategyLoaderTests {
    let fields = ["close", "high", "low", "open", "volume"]

    func load(_ source: String, overrides: [String: String] = [:], name: String = "s.lua") throws -> StrategyDefinition {
        let dir = Fixtures.tempDir()
        let path = Fixtures.write(source, name, in: dir)
        return try StrategyLoader.load(path: path, fields: fields, overrides: overrides, stdlib: Fixtures.stdlib,
                                       limits: ScriptLimits(instructions: 1_000_000))
    }

    /// The error's message for `source`, which must fail.
    func failure(_ source: String, overrides: [String: String] = [:]) -> String {
        do { _ = try load(source, overrides: overrides); return "(no error)" } catch { return "\(error)" }
    }

    @Test func shippedStrategiesLoad() throws {
        for file in ["sma_cross", "rsi_reversion", "donchian_breakout"] {
            let path = Fixtures.path("strategies/\(file).lua")
            let s = try StrategyLoader.load(path: path, fields: fields, stdlib: Fixtures.stdlib)
            #expect(s.name == file)
            #expect(!s.description.isEmpty)
            #expect(s.outputs["entries"] != nil && s.outputs["exits"] != nil)
            #expect(s.files.first == path && s.files.contains { $0.hasSuffix("stdlib/ta.lua") })
        }
    }

    @Test func buildsTheExpectedGraph() throws {
        let s = try load("""
            local ta = require "ta"
            return strategy { params = { n = 5 }, signals = function(bars, p)
              local m = ta.sma(bars.close, p.n)
              return { entries = bars.close:gt(m) & ~bars.close:lt(3), exits = ta.crossunder(bars.close, m) }
            end }
            """, overrides: ["n": "7"])
        #expect(s.params.map(\.name) == ["n"] && s.params[0].value == .number(7))
        #expect(s.graph.describe(s.outputs["entries"]!) == "((close > sma(close, 7)) & ~(close < 3))")
    }

    @Test func syntaxAndRuntimeErrorsNameFileAndLine() {
        #expect(failure("return strategy {\n  signals = function(bars, p)\n    return {\n  end }").contains("s.lua:4:"))
        let runtime = failure("return strategy { signals = function(bars, p)\n  local x = nil\n  return x.y\nend }")
        #expect(runtime.contains("s.lua:3:"))
        // A binary chunk is refused, and the message names the file.
        let binary = failure("\u{1B}Lua")
        #expect(binary.contains("s.lua: attempt to load a binary chunk"), "\(binary)")
    }

    @Test func comparisonOperatorsExplainTheMethods() {
        let msg = failure("local ta = require 'ta'\nreturn strategy { signals = function(bars, p)\n  if bars.close > ta.sma(bars.close, 3) then end\nend }")
        #expect(msg.contains("s.lua:3:") && msg.contains("a:gt(b)"))
    }

    @Test func unknownNamesGetSuggestions() {
        let ta = failure("local ta = require 'ta'\nreturn strategy { signals = function(bars, p)\n  return { entries = ta.crossovr(bars.close, 1) }\nend }")
        #expect(ta.contains("s.lua:3:") && ta.contains("unknown ta function 'crossovr'") && ta.contains("'ta.crossover'"))
        let param = failure("return strategy { params = { fast = 1 }, signals = function(bars, p)\n  return { entries = bars.close:gt(p.fats) }\nend }")
        #expect(param.contains("s.lua:2:") && param.contains("unknown parameter 'fats'") && param.contains("'fast'"))
        let field = failure("return strategy { signals = function(bars, p)\n  return { entries = bars.clsoe:gt(1) }\nend }")
        #expect(field.contains("bars has no field 'clsoe'") && field.contains("'close'"))
        let override = failure("return strategy { params = { slow = 1 }, signals = function(bars, p) return { entries = bars.close:gt(1) } end }",
                               overrides: ["slwo": "3"])
        #expect(override.contains("unknown parameter 'slwo'") && override.contains("'slow'"))
        let key = failure("return strategy { signal = function() end }")
        #expect(key.contains("unknown field 'signal'") && key.contains("'signals'"))
        let output = failure("return strategy { signals = function(bars, p) return { entrys = bars.close:gt(1) } end }")
        #expect(output.contains("'entrys'") && output.contains("'entries'"))
    }

    @Test func argumentProblemsAreClear() {
        let period = failure("local ta = require 'ta'\nreturn strategy { signals = function(bars, p)\n  return { entries = ta.sma(bars.close, 0):gt(1) }\nend }")
        #expect(period.contains("s.lua:3:") && period.contains("period must be ≥ 1"))
        let kind = failure("local ta = require 'ta'\nreturn strategy { signals = function(bars, p)\n  return { entries = ta.sma(bars.close:gt(1), 5):gt(1) }\nend }")
        #expect(kind.contains("s.lua:3:") && kind.contains("bool series"))
        let badParam = failure("return strategy { params = { n = 1 }, signals = function(bars, p) return { entries = bars.close:gt(p.n) } end }",
                               overrides: ["n": "ten"])
        #expect(badParam.contains("takes a number"))
    }

    @Test func missingOrWrongSignalsAreReported() {
        #expect(failure("return strategy { signals = function(bars, p) return { exits = bars.close:gt(1) } end }").contains("no 'entries'"))
        #expect(failure("return strategy { signals = function(bars, p) return { entries = bars.close } end }").contains("must be a bool series"))
        #expect(failure("return 42").contains("must return a strategy"))
        #expect(failure("return strategy { name = 'x' }").contains("define signals(bars, p) (vectorized) or on_bar(ctx, p)"))
        #expect(failure("return strategy { signals = 3 }").contains("'signals' must be a function"))
    }

    /// Tables with raising metamethods are read raw, so they give an error, never a crash.
    @Test func hostileTablesDoNotCrash() {
        #expect(failure("return setmetatable({}, { __index = function() error('boom') end })").contains("needs signals"))
        let params = failure("return strategy { params = setmetatable({}, { __index = function() error('x') end }), signals = function(bars, p) return { entries = bars.close:gt(p.n) } end }")
        #expect(params.contains("unknown parameter 'n'"))
        // Reassigning or wrapping Lunar's own globals, or calling its natives with bad
        // arguments, gives errors or nothing, never a crash.
        let ok = "return strategy { signals = function(bars, p) return { entries = bars.close:gt(1) } end }"
        #expect((try? load("_LUNAR = nil\n" + ok)) != nil)
        #expect((try? load("setmetatable(_LUNAR, { __index = function() error('x') end })\n" + ok)) != nil)
        #expect((try? load("pcall(getmetatable(_LUNAR.ta).__index, 5, 'x')\n" +
                          "pcall(_LUNAR.hint, 'x', setmetatable({}, { __len = function() error('len') end }))\n" + ok)) != nil)
    }

    /// A plain table (not built by strategy{}) skips the prelude's checks; `params` that is not
    /// a table used to be walked with lua_next anyway, a segfault (found by fuzzing,
    /// Fuzz/findings/strategy-params-not-a-table.lua).
    @Test func paramsThatAreNotATableAreAnError() throws {
        for value in ["5", "'fast'", "true", "function() end", "bars"] {
            let message = failure("local bars = _LUNAR.field('close')\nreturn { params = \(value), " +
                                  "signals = function(bars, p) return { entries = bars.close:gt(1) } end }")
            #expect(message.contains("s.lua: 'params' must be a table of defaults, got "), "\(value): \(message)")
        }
        let found = try String(contentsOfFile: Fixtures.path("Fuzz/findings/strategy-params-not-a-table.lua"), encoding: .utf8)
        #expect(failure(found).contains("'params' must be a table of defaults, got number"))
        #expect(try load("return { params = { n = 2 }, signals = function(bars, p) return { entries = bars.close:gt(p.n) } end }")
            .params.map(\.name) == ["n"])
    }

    /// "Did you mean" inside a native call is bounded: two 100,000-byte names to `_LUNAR.hint`
    /// kept the process busy for minutes where the instruction budget cannot reach (found by
    /// fuzzing, Fuzz/findings/strategy-hint-long-names.lua).
    @Test func suggestionsForHugeNamesDoNotHang() throws {
        let start = Date()
        let found = try String(contentsOfFile: Fixtures.path("Fuzz/findings/strategy-hint-long-names.lua"), encoding: .utf8)
        #expect((try? load(found)) != nil)
        let long = failure("return strategy { [('x'):rep(2000000)] = 1, signals = function(bars, p) return {} end }")
        #expect(long.contains("strategy: unknown field"))
        #expect(Date().timeIntervalSince(start) < 20, "took \(Date().timeIntervalSince(start)) s")
    }

    /// A loop that keeps building new expressions is stopped before it exhausts memory (the
    /// graph lives in Swift, outside the Lua memory cap).
    @Test func graphGrowthIsCapped() throws {
        let dir = Fixtures.tempDir()
        let path = Fixtures.write("""
            return strategy { signals = function(bars, p)
              local s = bars.close
              for i = 1, 2000000 do s = s + i end
              return { entries = s:gt(1) }
            end }
            """, "big.lua", in: dir)
        do {
            _ = try StrategyLoader.load(path: path, fields: fields, stdlib: Fixtures.stdlib)
            Issue.record("must be stopped")
        } catch {
            #expect("\(error)".contains("big.lua:3:") && "\(error)".contains("distinct series expressions"))
        }
    }

    @Test func infiniteLoopInSignalsIsStopped() {
        let msg = failure("return strategy { signals = function(bars, p)\n  while true do end\nend }")
        #expect(msg.contains("s.lua:2: instruction limit exceeded"))
    }

    @Test func taHelpersFromStdlibWork() throws {
        let s = try load("local ta = require 'ta'\nreturn strategy { signals = function(bars, p)\n  return { entries = ta.above(bars.close, bars.open, 2), exits = ta.cross(bars.close, bars.open) }\nend }")
        #expect(s.graph.describe(s.outputs["entries"]!) == "((close > open) & (shift(close, 1) > shift(open, 1)))")
    }

    /// The strategy table's settings are checked by the settings vocabulary itself: the same
    /// values are refused as from a flag, at the user's line, saying what the setting takes.
    @Test(arguments: Setting.all.map(\.name))
    func strategyTableSettingsUseTheVocabulary(_ name: String) throws {
        let sample = try #require(SettingSamples.values[name])
        let setting = Setting.builtIn(name)
        func lua(_ v: SettingValue) -> String {
            switch v {
            case .number(let x): return "\(x)"
            case .flag(let b): return "\(b)"
            case .text(let t): return "\"\(t)\""
            }
        }
        let signals = "signals = function(bars) return { entries = bars.close:gt(1) } end"
        let good = setting.parse(sample.valid)
        let s = try load("return strategy {\n  \(name) = \(lua(good)),\n  \(signals) }")
        #expect(s.settings == [name: good])
        let bad = setting.parse(sample.invalid)
        let msg = failure("return strategy {\n  \(name) = \(lua(bad)),\n  \(signals) }")
        #expect(msg.hasSuffix("s.lua:2: strategy: '\(name)' must be \(setting.expected), got \(bad)"), "\(msg)")
    }

    @Test func unknownStrategyFieldsSuggestSettings() {
        let msg = failure("return strategy { stoploss = 0.1, signals = function(bars) return { entries = bars.close:gt(1) } end }")
        #expect(msg.contains("s.lua:1: strategy: unknown field 'stoploss'") && msg.contains("'stop_loss'"), "\(msg)")
    }

    /// The loader keeps the bytes it ran, for the per-bar workers and the history.
    @Test func sourcesAreKept() throws {
        let text = "local ta = require 'ta'\nreturn strategy { signals = function(bars) return { entries = bars.close:gt(1) } end }"
        let s = try load(text)
        #expect(s.sources[s.path] == Data(text.utf8))
        #expect(s.files.count == 2 && s.files.allSatisfy { s.sources[$0] != nil })
    }
}

/// ctx's names are one list; docs/dsl.md documents every one of them.
@Suite struct ContextVocabularyTests {
    @Test func everyNameIsDocumentedAndReserved() throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let doc = try String(contentsOf: repo.appendingPathComponent("docs/dsl.md"), encoding: .utf8)
        for name in ContextVocabulary.names {
            #expect(doc.contains("ctx.\(name)`") || doc.contains("ctx:\(name)("), "docs/dsl.md lacks ctx.\(name)")
        }
        #expect(Set(StrategySession.reservedContextNames) == Set(ContextVocabulary.names))
        #expect(Set(ContextVocabulary.names).count == ContextVocabulary.names.count)
    }
}

/// `ranges`: declared bounds of numeric parameters.
@Suite struct ParamRangeTests {
    func load(_ source: String) throws -> StrategyDefinition {
        let path = Fixtures.write(source, "s.lua", in: Fixtures.tempDir())
        return try StrategyLoader.load(path: path, fields: ["close"], overrides: [:], stdlib: Fixtures.stdlib,
                                       limits: ScriptLimits(instructions: 1_000_000))
    }

    @Test func rangesBoundNumericParameters() throws {
        let def = try load("""
            return strategy { params = { fast = 10, slow = 50, mode = "a" }, ranges = { fast = {2, 30}, slow = {20, 200, 10} },
              signals = function(bars, p) return { entries = bars.close:gt(1) } end }
            """)
        #expect(def.ranges["fast"] == ParamRange(min: 2, max: 30) && def.ranges["slow"] == ParamRange(min: 20, max: 200, step: 10))
        let cases: [(String, String)] = [
            ("ranges = { fsat = {2, 30} }", "'ranges' names 'fsat', which params does not declare; did you mean 'fast'?"),
            ("ranges = { mode = {1, 2} }", "only a numeric parameter has one"),
            ("ranges = { fast = {30, 2} }", "min < max"),
            ("ranges = { fast = {2, 30, 0} }", "step > 0"),
            ("ranges = { fast = {11, 30} }", "'ranges' of fast: its default 10 is outside the range 11…30"),
            ("ranges = { fast = 5 }", "must be {min, max}"),
            ("ranges = 3", "'ranges' must be a table"),
        ]
        for (field, message) in cases {
            // The field on line 3 of the file: the error names the file and that line.
            let source = "return strategy {\n  params = { fast = 10, mode = \"a\" },\n  \(field),\n  signals = function(bars, p) return { entries = bars.close:gt(1) } end }"
            #expect { try load(source) } throws: { "\($0)".contains("s.lua:3: strategy: ") && "\($0)".contains(message) }
        }
    }
}
