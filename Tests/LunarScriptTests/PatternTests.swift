import CLua
import Testing
@testable import LunarScript

/// The sandbox's pattern functions (Sources/CLua/pattern.h) against Lua's own, and their budget.
@Suite struct PatternTests {
    /// A plain Lua state with the stock libraries and ours as the global table `X`.
    final class PlainState {
        let host: UnsafeMutablePointer<swl_Host>
        let L: OpaquePointer
        init(steps: Int64) {
            host = .allocate(capacity: 1)
            host.initialize(to: swl_Host(used: 0, limit: Int.max, inhost: 0, patternsteps: steps, remaining: 0, deadline: 0, timelimit: 0, stopped: 0))
            L = swl_newstate(host)!
            luaL_openlibs(L)
            swl_newtable(L)
            swl_install_patterns(L)
            lua_setglobal(L, "X")
        }
        deinit { lua_close(L); host.deallocate() }

        /// Runs `code` and returns its first result as a string (or the error message).
        func run(_ code: String) -> String {
            guard luaL_loadstring(L, code) == LUA_OK, swl_pcall(L, 0, 1, 0) == LUA_OK else {
                defer { swl_pop(L, 1) }
                return "error: " + String(cString: swl_tostring(L, -1))
            }
            defer { swl_pop(L, 1) }
            return swl_tostring(L, -1).map { String(cString: $0) } ?? "nil"
        }
    }

    /// Random patterns over every feature (classes, sets, quantifiers, anchors, captures,
    /// position captures, %b, %f, back-references, malformed ones) on varied subjects, through
    /// find (also plain), match, gmatch and gsub with string, table and function replacements:
    /// the same results and the same errors as Lua's.
    @Test func agreeWithLuaOnRandomPatterns() {
        let state = PlainState(steps: 1_000_000_000)
        let result = state.run(#"""
        local tokens = {"a", "b", "c", ".", "%a", "%d", "%s", "%w", "%W", "[ab]", "[^a]", "[a-c]", "[%]]", "[%a_]",
          "%%", "%.", "(", ")", "()", "*", "+", "-", "?", "^", "$", "%b()", "%f[%w]", "%f[%W]", "%1", "%2",
          "x", " ", "[", "]", "%", "%z"}
        local subjects = {"", "a", "ab", "aab", "abcabc", "(a(b)c)", "hello world 123", "aaaaaaaab", "a.b-c",
          "%a", "x y  z", "^$", "ab]c", "a_b9", "((()))", "abab"}
        local inits = {false, 1, 2, -1, -3, 0, 10, -100}
        math.randomseed(20261125)
        local checked, mismatches, first = 0, 0, nil
        local function pack(...) return {n = select("#", ...), ...} end
        local function text(r)
          local out = {}
          for i = 1, r.n do out[#out + 1] = type(r[i]) .. ":" .. tostring(r[i]) end
          return table.concat(out, ",")
        end
        local function compare(what, a, b)
          checked = checked + 1
          local ta, tb = text(a), text(b)
          if ta ~= tb then
            mismatches = mismatches + 1
            first = first or (what .. "\n  lua:  " .. ta .. "\n  ours: " .. tb)
          end
        end
        local function gm(f, s, p, init)
          local out, k = {}, 0
          for a, b, c in f(s, p, init) do
            k = k + 1; out[#out + 1] = tostring(a) .. "|" .. tostring(b) .. "|" .. tostring(c)
            if k > 40 then break end
          end
          return table.concat(out, ";")
        end
        local repl = {"<%0>", "%1", "%%", "[%2]", "x", {a = "A", ab = false, b = 7}, function(c) return c == "a" and "1" or nil end}
        for _ = 1, 6000 do
          local parts = {}
          for _ = 1, math.random(1, 6) do parts[#parts + 1] = tokens[math.random(#tokens)] end
          local p = table.concat(parts)
          local s = subjects[math.random(#subjects)]
          local init = inits[math.random(#inits)] or nil
          local label = string.format("s=%q p=%q init=%s", s, p, tostring(init))
          compare("find " .. label, pack(pcall(string.find, s, p, init)), pack(pcall(X.find, s, p, init)))
          compare("find plain " .. label, pack(pcall(string.find, s, p, init, true)), pack(pcall(X.find, s, p, init, true)))
          compare("match " .. label, pack(pcall(string.match, s, p, init)), pack(pcall(X.match, s, p, init)))
          compare("gmatch " .. label, pack(pcall(gm, string.gmatch, s, p, init)), pack(pcall(gm, X.gmatch, s, p, init)))
          local r = repl[math.random(#repl)]
          local n = ({nil, 0, 1, 2})[math.random(4)]
          compare("gsub " .. label .. " repl=" .. tostring(r), pack(pcall(string.gsub, s, p, r, n)), pack(pcall(X.gsub, s, p, r, n)))
        end
        return checked .. " " .. mismatches .. " " .. tostring(first)
        """#)
        let parts = result.split(separator: " ", maxSplits: 2)
        #expect(parts.count == 3 && Int(parts[0]) ?? 0 >= 30_000, "\(result)")
        #expect(parts.count == 3 && parts[1] == "0", "\(result)")
    }

    /// A match that backtracks over a long subject stops at its budget with a clear error,
    /// in a sandboxed VM, and the VM stays usable.
    @Test func backtrackingMatchesStopAtTheBudget() throws {
        let vm = try LuaVM(limits: ScriptLimits(instructions: 5_000_000), roots: [])
        for code in [#"return (("a"):rep(20000)):find(".-.-.-b")"#,
                     #"return (("a"):rep(20000)):match("(a*)*b")"#,
                     #"return (("a"):rep(20000)):gsub(".-.-b", "")"#,
                     #"for x in (("a"):rep(20000)):gmatch(".-.-b") do end"#] {
            do {
                _ = try vm.evaluate(code)
                Issue.record("\(code) should have stopped")
            } catch let e as ScriptError {
                #expect(e.message.contains("pattern matching gave up after 5000000 character tests"), "\(e.message)")
            }
        }
        #expect(try vm.evaluate(#"return ("key=value"):match("(%w+)=(%w+)")"#) == "key")
        #expect(try vm.evaluate(#"return (("ab"):rep(1000)):gsub("b", "c"):sub(1, 4)"#) == "acac")
    }
}
