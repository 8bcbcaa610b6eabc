// libFuzzer target: Lunar's Lua pattern matcher (Sources/CLua/pattern.h), reached the way a
// strategy reaches it — string.find/match/gmatch/gsub in a sandboxed LuaVM — and compared
// with Lua's own functions in a plain state (the differential test of PatternTests, driven
// by the fuzzer): wherever ours finishes within its budget, Lua's must give the same results
// or the same error. A difference is a finding (the harness traps).
//
// Input: byte 0 picks the function (bits 0–2) and `init` (bits 3–7); byte 1 is the pattern's
// length, byte 2 the replacement's, byte 3 how many times the subject repeats (1–64); then
// the pattern, the replacement and the subject.
import CLua
import Foundation
import FuzzPatternC
import FuzzSupport
import LunarScript

let steps = 200_000
let sandboxLimits = ScriptLimits(instructions: steps, memoryBytes: 32 << 20)

/// A plain state — stock libraries, and ours, compiled with ASan and coverage in
/// FuzzPatternC, as the global table `X` — made afresh for each input, so that an input's
/// allocations are all freed by its end and LeakSanitizer's per-input check stays meaningful.
final class PlainState {
    let host: UnsafeMutablePointer<swl_Host>
    let L: OpaquePointer
    init() {
        host = .allocate(capacity: 1)
        host.initialize(to: swl_Host(used: 0, limit: Int.max, inhost: 0, patternsteps: Int64(steps), remaining: 0, deadline: 0, timelimit: 0, stopped: 0))
        L = swl_newstate(host)!
        luaL_openlibs(L)
        swl_newtable(L)
        fuzz_install_patterns(L)
        lua_setglobal(L, "X")
    }
    deinit { lua_close(L); host.deallocate() }
}

/// The comparison: (op, subject, pattern, repl, start) → "same", "skip" or the difference.
let compareChunk = #"""
local op, s, p, r, init = ...
local function pack(...) return {n = select("#", ...), ...} end
local function text(t)
  local out = {}
  for i = 1, t.n do out[#out + 1] = type(t[i]) .. ":" .. tostring(t[i]) end
  return table.concat(out, ",")
end
local function gm(f, s, p, start)
  local out, k = {}, 0
  for a, b, c in f(s, p, start) do
    k = k + 1; out[#out + 1] = tostring(a) .. "|" .. tostring(b) .. "|" .. tostring(c)
    if k > 200 then break end
  end
  return table.concat(out, ";")
end
local function run(lib)
  if op == 0 then return pack(pcall(lib.find, s, p, init))
  elseif op == 1 then return pack(pcall(lib.find, s, p, init, true))
  elseif op == 2 then return pack(pcall(lib.match, s, p, init))
  elseif op == 3 then return pack(pcall(gm, lib.gmatch, s, p, init))
  elseif op == 4 then return pack(pcall(lib.gsub, s, p, r))
  elseif op == 5 then return pack(pcall(lib.gsub, s, p, r, init))
  elseif op == 6 then return pack(pcall(lib.gsub, s, p, {a = r, [""] = false, ab = 1}))
  else return pack(pcall(lib.gsub, s, p, function(c) return c == r and "!" or nil end)) end
end
local ours = run(X)
if not ours[1] and tostring(ours[2]):find("gave up after", 1, true) then return "skip" end
local theirs = run(string)
local a, b = text(ours), text(theirs)
if a == b then return "same" end
return "ours: " .. a .. "\nlua:  " .. b
"""#

let inits: [lua_Integer?] = [nil, 1, 2, 3, 0, -1, -2, -5, 10, 100, -100, 1 << 40, lua_Integer.min, lua_Integer.max]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPattern(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = Fuzz.bytes(data, size)
    guard bytes.count >= 4 else { return 0 }
    let op = Int(bytes[0] & 7)
    let start = inits[Int(bytes[0] >> 3) % inits.count]
    var rest = Array(bytes.dropFirst(4))
    let pattern = Array(rest.prefix(Int(bytes[1]))); rest.removeFirst(pattern.count)
    let repl = Array(rest.prefix(Int(bytes[2]))); rest.removeFirst(repl.count)
    var subject: [UInt8] = []
    for _ in 0 ... Int(bytes[3]) % 64 { subject += rest }

    // 1. In the sandbox, as a strategy would call it.
    if let vm = try? LuaVM(limits: sandboxLimits, roots: []) {
        let call: String
        let args = "s, p, \(start.map(String.init) ?? "nil")"
        switch op {
        case 0: call = "return select('#', string.find(\(args)))"
        case 1: call = "return select('#', s:find(p, \(start.map(String.init) ?? "1"), true))"
        case 2: call = "return tostring(string.match(\(args)))"
        case 3: call = "local k = 0 for a in string.gmatch(\(args)) do k = k + 1 if k > 1000 then break end end return k"
        case 4, 5: call = "return (string.gsub(s, p, r\(op == 5 ? ", \(start.map(String.init) ?? "nil")" : "")))"
        case 6: call = "return (s:gsub(p, {a = r}))"
        default: call = "return (s:gsub(p, function(c) return r end))"
        }
        let code = "local s, p, r = \(Fuzz.luaLiteral(subject)), \(Fuzz.luaLiteral(pattern)), \(Fuzz.luaLiteral(repl))\n" + call
        _ = try? vm.evaluate(code)
    }

    // 2. Against Lua's own implementation.
    let state = PlainState()
    let L = state.L
    guard luaL_loadstring(L, compareChunk) == LUA_OK else { fatalError("compare chunk: \(String(cString: swl_tostring(L, -1)))") }
    lua_pushinteger(L, lua_Integer(op))
    for b in [subject, pattern, repl] { push(L, b) }
    if let start { lua_pushinteger(L, start) } else { lua_pushnil(L) }
    guard swl_pcall(L, 5, 1, 0) == LUA_OK else {
        fatalError("compare chunk failed: \(String(cString: swl_tostring(L, -1)))")
    }
    let verdict = String(cString: swl_tostring(L, -1))
    if verdict != "same" && verdict != "skip" {
        fatalError("pattern.h disagrees with Lua (op \(op), init \(String(describing: start)), pattern \(Fuzz.luaLiteral(pattern))):\n\(verdict)")
    }
    withExtendedLifetime(state) {}
    return 0
}

func push(_ L: OpaquePointer, _ bytes: [UInt8]) {
    var padded = bytes + [0]   // never empty, so there is always a base address
    padded.withUnsafeMutableBytes { raw in
        _ = lua_pushlstring(L, raw.baseAddress!.assumingMemoryBound(to: CChar.self), bytes.count)
    }
}
