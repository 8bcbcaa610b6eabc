// libFuzzer target: the strategy loader (Sources/LunarScript/StrategySession.swift and the
// prelude it runs), under small ScriptLimits so every input is bounded.
//
// Two kinds of input:
//  - anything not starting with byte 0x01 is Lua source: the part before the first form feed
//    (0x0C) is the strategy file, the part after it a module `m.lua` beside it (`require "m"`);
//  - 0x01 followed by choices: a strategy table is generated from them (StrategyBuilder) —
//    known and unknown fields, every setting with values of every type, params, signals and
//    indicators built from the registry's primitives — so the table checks are reached
//    without the fuzzer having to write Lua.
// Each loaded strategy is built with its defaults, then with overrides taken from the input.
import Foundation
import FuzzSupport
import LunarKernels
import LunarScript
import LunarSim

/// Small enough that an input cannot run for long or hold much memory, large enough for the
/// prelude and `require "ta"` (about 10,000 instructions and 200 KiB).
let limits = ScriptLimits(instructions: 300_000, memoryBytes: 16 << 20)
let fields = ["open", "high", "low", "close", "volume", "adj_close"]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzStrategy(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = Fuzz.bytes(data, size)
    let folder = Fuzz.emptyFolder("strategy")
    let path = folder + "/fuzzed.lua"
    var overrideCursor = ByteCursor([])
    if bytes.first == 1 {
        var builder = StrategyBuilder(cursor: ByteCursor(Array(bytes.dropFirst())))
        let source = builder.strategy()
        Fuzz.save(Array(source.utf8), to: path)
        overrideCursor = builder.cursor
    } else {
        let parts = bytes.split(separator: 0x0C, maxSplits: 1, omittingEmptySubsequences: false).map(Array.init)
        Fuzz.save(parts[0], to: path)
        if parts.count > 1 { Fuzz.save(parts[1], to: folder + "/m.lua") }
        overrideCursor = ByteCursor(Array(bytes.suffix(8)))
    }
    do {
        let session = try StrategySession(path: path, fields: fields, stdlib: Fuzz.stdlib, limits: limits)
        _ = try? session.build(params: session.resolve([:]))
        if !session.declared.isEmpty {
            let name = overrideCursor.pick(session.declared.map(\.name) + ["no_such_param"])
            let text = overrideCursor.pick(["0", "1", "-1", "2.5", "1e308", "nan", "inf", "true", "false", "", "x", "10"])
            if let params = try? session.resolve([name: text]) { _ = try? session.build(params: params) }
        }
    } catch {}
    return 0
}

/// Turns bytes into the source of a strategy file. Every choice reads one byte; the input
/// running out reads as zeros, which always picks the first (simplest) alternative.
struct StrategyBuilder {
    var cursor: ByteCursor
    let settings = Setting.all.map(\.name)
    let primitives = Registry.names + ["abs", "log", "exp", "sqrt", "min", "max", "where", "rank", "zscore", "no_such"]
    let paramNames = ["n", "fast", "slow", "threshold", "mode", "on", "_x", "p9"]

    mutating func strategy() -> String {
        var entries: [String] = []
        let count = cursor.below(10)
        for _ in 0 ... count {
            switch cursor.below(12) {
            case 0: entries.append("signals = " + signalsFunction())
            case 1: entries.append("name = " + value(depth: 1))
            case 2: entries.append("description = " + value(depth: 1))
            case 3: entries.append("params = " + params())
            case 4: entries.append("indicators = " + indicatorsFunction())
            case 5: entries.append("on_bar = function(ctx, p) " + (cursor.below(2) == 0 ? "" : "ctx.buy()") + " end")
            case 6: entries.append("init = " + value(depth: 1))
            case 7: entries.append("[" + value(depth: 1) + "] = " + value(depth: 1))
            case 8: entries.append("signals = " + value(depth: 1))
            default: entries.append(cursor.pick(settings) + " = " + value(depth: 1))
            }
        }
        let body = "{\n  " + entries.joined(separator: ",\n  ") + "\n}"
        let head = "local ta = require \"ta\"\n"
        switch cursor.below(8) {
        case 0: return head + "return " + body + "\n"                  // a plain table: no prelude checks
        case 1: return head + "return strategy(" + value(depth: 2) + ")\n"
        case 2: return head + "local s = strategy " + body + "\nreturn s, " + value(depth: 1) + "\n"
        default: return head + "return strategy " + body + "\n"
        }
    }

    mutating func number() -> String {
        switch cursor.below(4) {
        case 0: return String(Int(cursor.byte()))
        case 1: return String(Double(Int(cursor.byte()) - 128) / 64)
        default:
            return cursor.pick(["1", "0", "-1", "0.5", "2", "10", "50", "0.001", "0.999999", "1e9", "1e308", "-0.0",
                                "(0/0)", "(1/0)", "(-1/0)", "math.huge", "math.maxinteger", "math.mininteger",
                                "100000", "100001", "2^53", "1e-300", "3.5", "0x7fffffffffffffff"])
        }
    }

    mutating func string() -> String {
        if cursor.below(4) == 0 { return Fuzz.luaLiteral(cursor.chunk(max: 24)) }
        return "\"" + cursor.pick(["", "close", "next_open", "all", "fraction:0.5", "cash:100", "units:3", "units:-1",
                                   "fraction:2", "fraction:", "every", "weekly", "monthly", "change", "none", "auto",
                                   "independent", "shared", "equal-weight", "AAA", "true", "nan", "1e999", "sma_cross",
                                   "cash:inf", "units:nan", "%s%d"]) + "\""
    }

    mutating func value(depth: Int) -> String {
        switch cursor.below(depth > 0 ? 9 : 5) {
        case 0: return number()
        case 1: return string()
        case 2: return cursor.pick(["true", "false"])
        case 3: return "nil"
        case 4: return "{}"
        case 5: return "function(a, b) return " + value(depth: depth - 1) + " end"
        case 6: return "{ " + value(depth: depth - 1) + ", " + value(depth: depth - 1) + " }"
        case 7: return "{ x = " + value(depth: depth - 1) + " }"
        default: return series(depth: depth)
        }
    }

    mutating func params() -> String {
        guard cursor.below(6) != 0 else { return value(depth: 1) }
        var items: [String] = []
        for _ in 0 ..< cursor.below(5) {
            let key = cursor.below(6) == 0 ? "[" + value(depth: 0) + "]" : cursor.pick(paramNames)
            items.append(key + " = " + (cursor.below(3) == 0 ? value(depth: 1) : number()))
        }
        return "{ " + items.joined(separator: ", ") + " }"
    }

    mutating func series(depth: Int) -> String {
        let field = "bars." + cursor.pick(["close", "open", "high", "low", "volume", "adj_close", "nope"])
        guard depth > 0 else { return cursor.below(4) == 0 ? "p." + cursor.pick(paramNames) : field }
        switch cursor.below(9) {
        case 0, 1: return field
        case 2: return "p." + cursor.pick(paramNames)
        case 3:
            var args: [String] = []
            for k in 0 ..< cursor.below(5) { args.append(k == 0 ? series(depth: depth - 1) : operand(depth: depth - 1)) }
            return "ta." + cursor.pick(primitives) + "(" + args.joined(separator: ", ") + ")"
        case 4:
            return "(" + series(depth: depth - 1) + ")" + ":" + cursor.pick(["gt", "ge", "lt", "le", "eq", "ne", "shift", "diff", "abs", "log"])
                + "(" + operand(depth: depth - 1) + ")"
        case 5:
            return "(" + series(depth: depth - 1) + " " + cursor.pick(["+", "-", "*", "/", "&", "|", "<", "==", "..", "%"]) + " "
                + operand(depth: depth - 1) + ")"
        case 6: return "ta.crossover(" + series(depth: depth - 1) + ", " + operand(depth: depth - 1) + ")"
        case 7: return "ta.where(" + series(depth: depth - 1) + ", " + operand(depth: depth - 1) + ", " + operand(depth: depth - 1) + ")"
        default: return "ta.sma(" + field + ", " + operand(depth: 0) + ")"
        }
    }

    mutating func operand(depth: Int) -> String {
        cursor.below(3) == 0 ? number() : series(depth: depth)
    }

    mutating func signalsFunction() -> String {
        var items: [String] = []
        for _ in 0 ... cursor.below(4) {
            let key = cursor.below(8) == 0 ? cursor.pick(["entry", "exit", "[1]", "[true]"]) : cursor.pick(Signal.names)
            let v: String
            switch cursor.below(4) {
            case 0: v = value(depth: 1)
            case 1: v = series(depth: 2)
            default: v = "(" + series(depth: 2) + "):" + cursor.pick(["gt", "lt"]) + "(" + operand(depth: 1) + ")"
            }
            items.append(key + " = " + v)
        }
        let table = "{ " + items.joined(separator: ", ") + " }"
        return "function(bars, p) return " + (cursor.below(8) == 0 ? value(depth: 1) : table) + " end"
    }

    mutating func indicatorsFunction() -> String {
        var items: [String] = []
        for _ in 0 ..< cursor.below(4) {
            let key = cursor.pick(["hi", "lo", "close", "ctx", "[\"bad name\"]", "[1]", "fast"])
            items.append(key + " = " + (cursor.below(4) == 0 ? value(depth: 1) : series(depth: 2)))
        }
        return "function(bars, p) return { " + items.joined(separator: ", ") + " } end"
    }
}
