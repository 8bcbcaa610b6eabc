import Foundation
import Testing
import LunarGraph
import LunarScript

/// The `ta` bindings as a strategy author meets them: arguments, defaults, several outputs and
/// the errors for bad input.
@Suite("ta bindings")
struct IndicatorBindingTests {
    static let stdlib = IndicatorDocsTests.repo.appendingPathComponent("stdlib").path
    static let fields = ["close", "high", "low", "open", "volume"]

    static func load(_ expr: String) throws -> ExpressionDefinition {
        try ExpressionLoader.load(expr, fields: fields, stdlib: stdlib)
    }

    /// The message of the error `expr` raises.
    static func error(_ expr: String) -> String {
        do { _ = try load(expr); return "(no error)" } catch { return "\(error)" }
    }

    @Test func multipleOutputs() throws {
        let def = try Self.load("ta.macd(close)")
        #expect(def.outputs.map(\.name) == ["macd", "signal", "hist"])
        let bb = try Self.load("ta.bbands(close, 20, 2, 2)")
        #expect(bb.outputs.map(\.name) == ["upper", "middle", "lower"])
        // Defaults fill the omitted parameters: the same nodes as the explicit call.
        let explicit = try Self.load("ta.macd(close, 12, 26, 9)")
        #expect(explicit.graph.describe(explicit.outputs[0].node) == def.graph.describe(def.outputs[0].node))
    }

    @Test func fieldsAndStdlibHelpers() throws {
        let def = try Self.load("ta.atr(high, low, bars.close, 14), ta.cross(close, ta.sma(close, 5)), ta.tsf(close, 14)")
        #expect(def.outputs.count == 3)
        #expect(def.graph[def.outputs[1].node].type == .bool)
        #expect(def.outputs[0].name == "atr(high, low, close, 14)")
    }

    @Test func periodOutOfRange() {
        #expect(Self.error("ta.sma(close, 0)") == "expr:1: ta.sma: period must be ≥ 1, got 0")
        #expect(Self.error("ta.rsi(close, 1)") == "expr:1: ta.rsi: period must be ≥ 2, got 1")
        #expect(Self.error("ta.ema(close, 2.5)") == "expr:1: ta.ema: period must be a whole number, got 2.5")
    }

    @Test func wrongArguments() {
        #expect(Self.error("ta.atr(high, low)").contains("ta.atr(high, low, close, period?): expected 3 series argument(s), got 2"))
        #expect(Self.error("ta.rsi(close, 14, 3)").contains("ta.rsi: too many arguments (3)"))
        #expect(Self.error("ta.rsi(close, 'x')").contains("ta.rsi: period must be a number, got string"))
        #expect(Self.error("ta.rsi('close')").contains("ta.rsi: argument 'x' must be a Series or a number, got string"))
        #expect(Self.error("ta.rsii(close)").contains("unknown ta function 'rsii'; did you mean 'ta.rsi'"))
    }

    @Test func boolWhereFloatNeeded() {
        #expect(Self.error("ta.rsi(close:gt(1), 14)") == "expr:1: ta.rsi: argument 'x' must be a float series, got a bool series")
        #expect(Self.error("ta.atr(high, low, close:gt(open))") == "expr:1: ta.atr: argument 'close' must be a float series, got a bool series")
        #expect(Self.error("ta.barssince(close)") == "expr:1: ta.barssince: argument 'cond' must be a bool series, got a float series")
    }

    @Test("errors in a strategy file name the file and the line")
    func fileAndLine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lunar-binding-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("bad.lua").path
        try """
        local ta = require "ta"
        return strategy {
          signals = function(bars, p)
            local up = bars.close:gt(bars.open)
            local k, d = ta.stoch(bars.high, up, bars.close)
            return { entries = k:gt(d) }
          end,
        }
        """.write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try StrategyLoader.load(path: path, fields: Self.fields, stdlib: Self.stdlib)
            Issue.record("expected an error")
        } catch {
            // Lua shortens long chunk names from the left ("...ng-XXXX/bad.lua"), so match the end.
            #expect("\(error)".hasSuffix("/bad.lua:5: ta.stoch: argument 'low' must be a float series, got a bool series"))
        }
    }
}
