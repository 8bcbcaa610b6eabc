import Foundation
import LunarTestSupport
import Testing
@testable import LunarScript

@Suite struct SandboxTests {
    func vm(_ limits: ScriptLimits = ScriptLimits(), roots: [String] = []) throws -> LuaVM {
        try LuaVM(limits: limits, roots: roots)
    }

    @Test func onlySafeLibrariesAreOpen() throws {
        let v = try vm()
        for name in ["io", "os", "package", "debug", "dofile", "loadfile"] {
            #expect(try v.evaluate("return type(\(name))") == "nil", "\(name) must not be reachable")
        }
        for name in ["string", "table", "math", "utf8", "print", "pairs", "load", "require"] {
            #expect(try v.evaluate("return type(\(name))") != "nil")
        }
        #expect(try v.evaluate("return string.format('%.2f', math.pi)") == "3.14")
    }

    @Test func binaryChunksAreRefused() throws {
        let v = try vm()
        let msg = try v.evaluate("local ok, err = load(string.dump(function() return 1 end)); return tostring(err)")
        #expect(msg?.contains("binary chunk") == true)
    }

    @Test func requireReadsOnlyLibraryRoots() throws {
        let root = Fixtures.tempDir()
        Fixtures.write("return { answer = 42 }", "lib/helpers.lua", in: root)
        let v = try vm(roots: [root])
        #expect(try v.evaluate("return require('lib.helpers').answer") == "42")
        #expect(try v.evaluate("return require('lib.helpers') == require('lib.helpers')") == "true")   // cached
        #expect(throws: ScriptError.self) { try v.evaluate("return require('../etc/passwd')") }
        do { _ = try v.evaluate("return require('/etc/passwd')") } catch let e as ScriptError {
            #expect(e.message.contains("letters, digits"))
        }
        do { _ = try v.evaluate("return require('nope')") } catch let e as ScriptError {
            #expect(e.message.contains("module 'nope' not found"))
        }
    }

    /// The message `code` (run as chunk `name`) fails with; records an issue if it succeeds.
    func failure(of code: String, in v: LuaVM, name: String = "=eval") -> String {
        do { _ = try v.evaluate(code, chunkName: name); Issue.record("\(code) must fail"); return "" }
        catch { return "\(error)" }
    }

    @Test func instructionBudgetStopsRunawayLoops() throws {
        let v = try vm(ScriptLimits(instructions: 100_000))
        #expect(failure(of: "local n = 0\nwhile true do n = n + 1 end", in: v, name: "@loop.lua")
            .hasPrefix("loop.lua:2: instruction limit exceeded"))
        // A pcall inside the script cannot swallow the stop for good.
        #expect(failure(of: "for i = 1, 10 do pcall(function() while true do end end) end\nwhile true do end", in: v, name: "@p.lua")
            .contains("instruction limit exceeded"))
        #expect(try v.evaluate("return 1 + 1") == "2")   // the state stays usable
    }

    /// Finalizers run with hooks off, where no budget could stop them: `__gc` is refused.
    /// `__close` handlers run with hooks on, so the budget stops an endless one.
    @Test func finalizersAreRefusedAndCloseHandlersBudgeted() throws {
        let v = try vm(ScriptLimits(instructions: 100_000))
        #expect(failure(of: "local t = setmetatable({}, { __gc = function() while true do end end })", in: v, name: "@gc.lua")
            .hasPrefix("gc.lua:1: __gc metamethods are not available"))
        #expect(try v.evaluate("return getmetatable(setmetatable({}, { __index = { x = 7 } })).__index.x") == "7")
        #expect(failure(of: "do local x <close> = setmetatable({}, { __close = function() while true do end end }) end", in: v)
            .contains("instruction limit exceeded"))
        #expect(try v.evaluate("return 'still alive'") == "still alive")
    }

    @Test func memoryCapStopsHogs() throws {
        let v = try vm(ScriptLimits(memoryBytes: 8 << 20))
        do {
            _ = try v.evaluate("local t = {} for i = 1, 1e8 do t[i] = i end")
            Issue.record("must run out of memory")
        } catch let e as ScriptError {
            #expect(e.message.contains("not enough memory"))
        }
        do { _ = try v.evaluate("return string.rep('x', 100 * 1024 * 1024)") } catch let e as ScriptError {
            #expect(e.message.contains("not enough memory"))
        }
        #expect(try v.evaluate("return 'still alive'") == "still alive")
    }

    @Test func randomIsDeterministic() throws {
        let a = try vm().evaluate("return math.random(1, 1000000)")
        let b = try vm().evaluate("return math.random(1, 1000000)")
        #expect(a == b)
    }
}
