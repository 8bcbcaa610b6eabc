import Dispatch
import Foundation
import LunarData
import LunarScript
import LunarSim

/// The per-bar path: runs `on_bar` for every symbol through a `BarAccount`, symbols in parallel,
/// one Lua state per worker thread. Results do not depend on the thread count: each symbol's
/// account sees only its own bars.
enum PerBarRunner {
    struct Failure: Sendable { let symbol: String; let message: String }

    /// - Parameters:
    ///   - indicators: each indicator's full symbol-major values, in `strategy.indicators` order.
    ///   - entries, exits: a hybrid strategy's vectorized signals (executed before `on_bar`), or nil.
    static func run(strategy: StrategyDefinition, panel: Panel, indicators: [[Double]],
                    entries: [Double]?, exits: [Double]?, options: BacktestOptions) throws -> (runs: [SymbolRun], failures: [Failure]) {
        let panel = try panel.runView(prices: options.simulation.prices, hours: options.simulation.hours)
        let N = panel.symbolCount, T = panel.barCount
        let events = try UniverseEvents.of(panel, options.simulation)
        let stdlib = try options.stdlib ?? Stdlib.locate()
        let capital = options.simulation.subAccountCapital(symbols: N)
        let fields = panel.fields.keys.sorted()
        let indicatorKinds = strategy.indicators.map { (name: $0.name, isBool: strategy.graph[$0.node].type == .bool) }
        let base = ["open", "high", "low", "close", "volume"].map { panel.fields[$0]! }
        let all = base + indicators
        var results = [SymbolRun?](repeating: nil, count: N)
        var errors = [String?](repeating: nil, count: N)
        let threads = max(1, min(options.simulation.threads, N))
        let next = ChunkCounter()
        let stop = StopFlag()
        let setupError = ErrorBox()
        results.withUnsafeMutableBufferPointer { resultBuffer in
            errors.withUnsafeMutableBufferPointer { errorBuffer in
                let out = SharedBuffer(resultBuffer.baseAddress!, count: N)
                let errs = SharedBuffer(errorBuffer.baseAddress!, count: N)
                // The arrays outlive this scope unmutated, so their storage stays where it is.
                let series = all.map { arr in SharedBuffer(UnsafeMutablePointer(mutating: arr.withUnsafeBufferPointer { $0.baseAddress! }), count: arr.count) }
                let signalBuffers = [entries, exits].map { $0.map { arr in SharedBuffer(UnsafeMutablePointer(mutating: arr.withUnsafeBufferPointer { $0.baseAddress! }), count: arr.count) } }
                let daily = panel.isDaily
                let stamps = SharedBuffer(UnsafeMutablePointer(mutating: panel.timestamps.withUnsafeBufferPointer { $0.baseAddress! }), count: T)
                DispatchQueue.concurrentPerform(iterations: threads) { _ in
                    let runtime: BarRuntime
                    do {
                        runtime = try BarRuntime(strategyPath: strategy.path, stdlib: stdlib, fields: fields,
                                                 params: strategy.params, indicators: indicatorKinds,
                                                 libraries: options.libraries, limits: options.limits,
                                                 sources: strategy.sources)
                    } catch { setupError.set(error); stop.set(); return }
                    while !stop.isSet {
                        let s = next.next()
                        if s >= N { break }
                        let o = s * T
                        let ptr = { (b: SharedBuffer<Double>) in UnsafeBufferPointer(start: b.base + o, count: T) }
                        let broker = AccountBroker(account: BarAccount(
                            symbol: s, capital: capital, options: options.simulation,
                            open: ptr(series[0]), high: ptr(series[1]), low: ptr(series[2]), close: ptr(series[3]),
                            events: events.symbols[s]))
                        broker.entries = signalBuffers[0].map { UnsafePointer($0.base + o) }
                        broker.exits = signalBuffers[1].map { UnsafePointer($0.base + o) }
                        let inputs = BarInputs(symbol: panel.symbols[s], date: { Calendar.format(stamps[$0], daily: daily) },
                                               series: series.map { UnsafePointer($0.base + o) }, count: T)
                        do {
                            try runtime.run(inputs, broker: broker)
                            broker.account.finish()
                            out[s] = SymbolRun(account: broker.account, capital: capital)
                        } catch {
                            errs[s] = "\(error)"
                            if !options.keepGoing { stop.set() }
                        }
                    }
                }
            }
        }
        if let e = setupError.error { throw e }
        let failures = errors.enumerated().compactMap { s, e in e.map { Failure(symbol: panel.symbols[s], message: $0) } }
        if !options.keepGoing, let first = errors.compactMap({ $0 }).first {
            throw ScriptError(first)   // the first failing symbol in universe order
        }
        // Symbols that failed (with --keep-going) or were never reached stay in cash.
        let runs = results.map { $0 ?? SymbolRun.idle(capital: capital, bars: T) }
        return (runs, failures)
    }
}

/// The bridge from Lua's orders to the account.
final class AccountBroker: BarBroker {
    var account: BarAccount
    var entries: UnsafePointer<Double>?
    var exits: UnsafePointer<Double>?
    init(account: BarAccount) { self.account = account }

    func beginBar(_ t: Int) {
        account.beginBar(t)
        // A hybrid strategy's vectorized signals act first, as in the vectorized path.
        if let entries, let exits {
            let enter = entries[t] == 1, exit = exits[t] == 1
            if enter != exit {
                if enter && account.units == 0 { account.submit(.init(side: .buy)) }
                else if exit && account.units > 0 { account.submit(.init(side: .sell)) }
            }
        }
    }
    func endBar(_ t: Int) { account.endBar(t) }
    /// A hybrid strategy's signals act on every bar.
    var isQuiet: Bool { entries == nil && account.isQuiet }
    func sync(_ t: Int) { account.catchUp(to: t) }
    var position: Double { account.units }
    var entryPrice: Double { account.entryPrice }
    var equity: Double { account.value }
    var cash: Double { account.cash }
    var snapshot: AccountSnapshot {
        // One access to the account in place, not four (and no copy of it).
        let a = account.values
        return AccountSnapshot(position: a.units, entryPrice: a.entryPrice, equity: a.value, cash: a.cash)
    }
    func submit(side: OrderSide, size: Double?, limit: Double?, stop: Double?, bars: Int?) -> Int {
        account.submit(.init(side: side, size: size, limit: limit, stop: stop, bars: bars))
    }
    func cancel(_ id: Int) { account.cancel(id) }
    func setStopLoss(_ price: Double) { account.stopLoss = price }
    func setTakeProfit(_ price: Double) { account.takeProfit = price }
    func setTrailingStop(_ fraction: Double) { account.trailFraction = fraction }
}

final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    func set() { lock.lock(); flag = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return flag }
}

final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var error: Error?
    func set(_ e: Error) { lock.lock(); if error == nil { error = e }; lock.unlock() }
}
