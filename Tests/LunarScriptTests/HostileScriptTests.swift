import Foundation
import LunarTestSupport
import Testing
@testable import LunarScript

/// Strategy files written to break Lunar: each is stopped with a clear message naming the file
/// and line, the host survives, and a clean strategy loaded afterwards in the same process
/// builds exactly the graph it builds on its own.
@Suite struct HostileScriptTests {
    /// The deadline stops what spends its time in C, where the instruction count does not see
    /// it (a failing `require` or an emergency collection per iteration).
    static let limits = ScriptLimits(instructions: 5_000_000, memoryBytes: 64 << 20, seconds: 1)
    static let fields = ["open", "high", "low", "close", "volume"]
    static let ok = "return strategy { signals = function(bars) return { entries = bars.close:gt(1) } end }"

    /// (name, file body, what the message must contain, the line it must name or nil).
    static let attacks: [(String, String, String, Int?)] = [
        ("endless loop at file level", "local x = 0\nwhile true do x = x + 1 end", "instruction limit exceeded", 2),
        ("endless loop in signals", "return strategy { signals = function(bars)\n  while true do end\nend }", "instruction limit exceeded", 2),
        ("pcall swallowing the stop", "return strategy { signals = function(bars)\n  while true do pcall(function() while true do end end) end\nend }",
         "instruction limit exceeded", 2),
        ("xpcall swallowing the stop", "return strategy { signals = function(bars)\n  while true do xpcall(function() while true do end end, function(e) return e end) end\nend }",
         "instruction limit exceeded", 2),
        ("an endless message handler", "xpcall(error, function()\n  while true do end\nend)", "limit exceeded", nil),
        ("pcall of require in a loop", "while true do pcall(require, 'nope') end", "limit exceeded", 1),
        ("a memory error caught in a loop", "while true do pcall(string.rep, 'x', 1 << 40) end", "limit exceeded", 1),
        ("endless tail recursion", "local function f(n) return f(n + 1) end\nf(1)", "instruction limit exceeded", 1),
        ("deep recursion", "local function f(n) return 1 + f(n + 1) end\nf(1)", "stack overflow|limit exceeded", 1),
        ("recursive __index", "local t = setmetatable({}, { __index = function(t, k) return t[k] end })\nreturn t.x", "stack overflow", 1),
        ("memory bomb", "local t = {}\nfor i = 1, 1e9 do t[i] = i end", "not enough memory", nil),
        ("string doubling", "local s = 'x'\nwhile true do s = s .. s end", "not enough memory", nil),
        ("a huge string.rep", "return string.rep('x', 1 << 40)", "resulting string too large", 1),
        ("table.concat builder", "local t = {}\nfor i = 1, 1e8 do t[i] = ('x'):rep(64) end\nreturn table.concat(t)", "not enough memory|limit exceeded", nil),
        ("backtracking pattern", "return string.find(('a'):rep(40), ('a*'):rep(40) .. 'b')", "pattern", 1),
        ("rewriting the string metatable", "getmetatable('').__index = { upper = function() return 'evil' end }", "attempt to index", 1),
        ("setmetatable on a string's metatable", "setmetatable(getmetatable(''), {})", "setmetatable", 1),
        ("replacing a string function", "string.upper = function() return 'evil' end", "string.upper cannot be set", 1),
        ("rawset into a library", "rawset(string, 'upper', function() return 'evil' end)", "rawset: string is protected", 1),
        ("replacing a library's metatable", "setmetatable(math, {})", "protected", 1),
        ("replacing a ta function", "local ta = require 'ta'\nta.sma = function() end", "ta.sma cannot be set", 2),
        ("a binary chunk", "local f = assert(load(string.dump(function() return 1 end)))", "binary chunk", 1),
        ("require outside the roots", "require '../../etc/passwd'", "letters, digits", 1),
        ("an absolute require", "require '/etc/passwd'", "letters, digits", 1),
        ("io", "io.open('/etc/passwd')", "io", 1),
        ("os", "os.execute('true')", "os", 1),
        ("debug", "debug.sethook()", "debug", 1),
        ("package.loadlib", "package.loadlib('libc.so.6', 'system')", "package", 1),
        ("dofile", "dofile('/etc/passwd')", "dofile", 1),
        ("collectgarbage stop", "collectgarbage('stop')", "collectgarbage('stop') is not available", 1),
        ("collectgarbage mode", "collectgarbage('incremental', 1, 1)", "is not available", 1),
        ("coroutines", "coroutine.wrap(function() end)()", "coroutine", 1),
        ("a finalizer", "setmetatable({}, { __gc = function() while true do end end })", "__gc metamethods are not available", 1),
        ("an endless __close", "do\n  local x <close> = setmetatable({}, { __close = function() while true do end end })\nend", "instruction limit exceeded", 2),
        ("an error object with an endless __tostring", "error(setmetatable({}, { __tostring = function() while true do end end }))", "limit exceeded", 1),
        ("an error object whose __tostring raises", "error(setmetatable({}, { __tostring = function() error('again') end }))", "again", 1),
    ]

    static func file(_ body: String) -> String { Fixtures.write(body, "hostile.lua", in: Fixtures.tempDir()) }

    @Test(arguments: attacks.indices)
    func attackIsStopped(_ k: Int) throws {
        let (name, body, phrase, line) = Self.attacks[k]
        let path = Self.file(body)
        let reference = try StrategyLoader.load(path: Self.file(Self.ok), fields: Self.fields, stdlib: Fixtures.stdlib, limits: Self.limits)
        do {
            _ = try StrategyLoader.load(path: path, fields: Self.fields, stdlib: Fixtures.stdlib, limits: Self.limits)
            Issue.record("\(name): not stopped")
        } catch let e as ScriptError {
            #expect(phrase.split(separator: "|").contains { e.message.contains($0) }, "\(name): \(e.message)")
            #expect(e.message.count < 2_000, "\(name): the message must stay readable")
            if let line { #expect(e.message.contains("hostile.lua:\(line):"), "\(name): \(e.message)") }
        }
        // The host is intact: the same clean strategy builds the same graph again.
        let again = try StrategyLoader.load(path: Self.file(Self.ok), fields: Self.fields, stdlib: Fixtures.stdlib, limits: Self.limits)
        #expect(again.graph.describe(again.outputs["entries"]!) == reference.graph.describe(reference.outputs["entries"]!))
    }

    @Test func aDeadlineStopsWhatTheCountAllows() throws {
        let limits = ScriptLimits(instructions: Int.max / 2, memoryBytes: 64 << 20, seconds: 0.2)
        let path = Self.file("while true do pcall(function() while true do end end) end")
        let start = Date()
        #expect { try StrategyLoader.load(path: path, fields: Self.fields, stdlib: Fixtures.stdlib, limits: limits) } throws: { e in
            "\(e)".contains("hostile.lua:1: time limit exceeded")
        }
        #expect(Date().timeIntervalSince(start) < 5)
    }

    /// One state, a hostile module then a clean script: the module's attempts to change shared
    /// tables fail (it catches the errors to keep loading), and the strategy that required it
    /// builds exactly the graph the same strategy builds without it.
    @Test func aHostileModuleCannotChangeWhatTheNextScriptSees() throws {
        let dir = Fixtures.tempDir()
        Fixtures.write("""
            local ta = require 'ta'
            pcall(function() string.upper = function() return 'evil' end end)
            pcall(function() rawset(string, 'upper', function() return 'evil' end) end)
            pcall(function() getmetatable('').__index = {} end)
            pcall(function() ta.sma = function(x) return x end end)
            pcall(function() rawset(ta, 'sma', function(x) return x end) end)
            pcall(function() setmetatable(ta, nil) end)
            pcall(function() math.floor = nil end)
            pcall(function() table.insert = nil end)
            return { loaded = true }
            """, "evil.lua", in: dir)
        let body = """
            local ta = require 'ta'
            return strategy { signals = function(bars)
              assert(('x'):upper() == 'X' and string.upper('y') == 'Y' and math.floor(2.5) == 2 and table.insert)
              assert(type(getmetatable('')) == 'string')
              return { entries = ta.crossover(ta.sma(bars.close, 5), ta.sma(bars.close, 20)) }
            end }
            """
        let clean = Fixtures.write(body, "clean.lua", in: dir)
        let hostile = Fixtures.write("local evil = require 'evil'\nassert(evil.loaded)\n" + body, "hostile.lua", in: dir)
        let a = try StrategyLoader.load(path: clean, fields: Self.fields, stdlib: Fixtures.stdlib, limits: Self.limits)
        let b = try StrategyLoader.load(path: hostile, fields: Self.fields, stdlib: Fixtures.stdlib, limits: Self.limits)
        #expect(b.graph.describe(b.outputs["entries"]!) == a.graph.describe(a.outputs["entries"]!))
        #expect(b.files.count == a.files.count + 1)
    }
}
