import Foundation
import LunarData

/// What the watch loop reports after each run.
public enum WatchEvent: Sendable {
    /// A run succeeded. `previous` is the last good run before it; `changed` the files whose
    /// change caused it (empty for the first run); `seconds` from noticing the change to the result.
    case result(BacktestResult, previous: BacktestResult?, changed: [String], seconds: Double)
    /// A run failed (a broken save): the last good result stays current.
    case failure(String, changed: [String])
}

/// The research loop: keeps the data in memory, watches the strategy and every module it
/// required, and re-runs on each save. Drive it with `run(onEvent:)` (blocking) or `events()`.
public final class Watcher: @unchecked Sendable {
    public let strategyPath: String
    public let panel: Panel
    public let options: BacktestOptions
    public let forcePolling: Bool
    private let lock = NSLock()
    private var stopped = false
    private var lastGood: BacktestResult?
    /// Parameters asked for by `rerun(params:)`, not yet run; and those of the runs since.
    private var pendingParams: [String: String]?
    private var params: [String: String]

    public init(strategyPath: String, panel: Panel, options: BacktestOptions = BacktestOptions(), forcePolling: Bool = false) {
        self.strategyPath = strategyPath; self.panel = panel; self.options = options; self.forcePolling = forcePolling
        params = options.params
    }

    /// Runs again with these parameters (the options' own and the file's defaults for the rest),
    /// without a change to any file: parameters edited in the live page. Later saves keep them.
    public func rerun(params: [String: String]) {
        lock.lock(); pendingParams = params; lock.unlock()
    }

    private func takePendingParams() -> [String: String]? {
        lock.lock(); defer { lock.unlock() }
        let p = pendingParams
        pendingParams = nil
        return p
    }

    public func stop() { lock.lock(); stopped = true; lock.unlock() }
    private var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }

    /// Runs now, then after every change, until `stop()`; calls `onEvent` on this thread.
    public func run(onEvent: (WatchEvent) -> Void) {
        let files = FileWatcher(files: [strategyPath], forcePolling: forcePolling)
        onEvent(runOnce(changed: [], watcher: files))
        while !isStopped {
            let changed = files.waitForChange(timeout: 0.05)
            if isStopped { break }
            if let p = takePendingParams() {
                params = options.params.merging(p) { $1 }
                onEvent(runOnce(changed: changed.sorted(), watcher: files))
                continue
            }
            if changed.isEmpty { continue }
            onEvent(runOnce(changed: changed.sorted(), watcher: files))
        }
    }

    /// The same loop as an async sequence, for editors and web pages. Ending the iteration stops it.
    public func events() -> AsyncStream<WatchEvent> {
        AsyncStream { continuation in
            let thread = Thread { [self] in
                run { continuation.yield($0) }
                continuation.finish()
            }
            continuation.onTermination = { [self] _ in stop() }
            thread.start()
        }
    }

    private func runOnce(changed: [String], watcher: FileWatcher) -> WatchEvent {
        var clock = Stopwatch()
        do {
            var o = options
            o.params = params
            let result = try Backtest.run(strategyPath: strategyPath, panel: panel, options: o)
            let previous = lastGood
            lastGood = result
            watcher.watch(result.strategy.files)
            return .result(result, previous: previous, changed: changed, seconds: clock.lap())
        } catch {
            // Keep watching what the last good version needed, plus the strategy itself.
            watcher.watch([strategyPath] + (lastGood?.strategy.files ?? []))
            return .failure("\(error)", changed: changed)
        }
    }
}

/// W6: from a strategy file's save to the new result, as `lunar watch` sees it.
public enum WatchLatency {
    /// What sees the results of a measured watch loop: started with the watcher, it runs the
    /// loop and returns a wait for the n-th result (true when it came) and a stop.
    public typealias Observer = (Watcher) throws -> (wait: (Int) -> Bool, stop: () -> Void)

    /// Copies `strategyPath` to a temporary folder, watches it, and saves an edit `edits` times
    /// (toggling a parameter default); returns the seconds from each save to its new result as
    /// `observe` sees it (by default, the watch loop itself; W6-web: a page's event stream).
    public static func measure(strategyPath: String, panel: Panel, options: BacktestOptions, edits: Int,
                               from: String, to: String, observe: Observer? = nil) throws -> [Double] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lunar-w6-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent(URL(fileURLWithPath: strategyPath).lastPathComponent).path
        var text = try String(contentsOfFile: strategyPath, encoding: .utf8)
        guard text.contains(from) else { throw DataError.invalid("W6: '\(from)' not found in \(strategyPath)") }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        var opts = options
        if opts.stdlib == nil { opts.stdlib = try Stdlib.locate() }
        let watcher = Watcher(strategyPath: path, panel: panel, options: opts)
        defer { watcher.stop() }
        let observer = try (observe ?? countResults)(watcher)
        defer { observer.stop() }
        guard observer.wait(1) else { throw DataError.invalid("W6: the first run did not finish") }
        var times: [Double] = []
        for k in 0 ..< edits {
            Thread.sleep(forTimeInterval: 0.05)   // let the watcher go back to waiting
            text = k % 2 == 0 ? text.replacingOccurrences(of: from, with: to) : text.replacingOccurrences(of: to, with: from)
            var clock = Stopwatch()
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            guard observer.wait(k + 2) else { throw DataError.invalid("W6: no result after edit \(k + 1)") }
            times.append(clock.lap())
        }
        return times
    }

    /// The watch loop on its own thread, counting its results.
    static func countResults(_ watcher: Watcher) -> (wait: (Int) -> Bool, stop: () -> Void) {
        let box = EventCounter()
        Thread { watcher.run { _ in box.bump() } }.start()
        return (box.wait, {})
    }

    final class EventCounter: @unchecked Sendable {
        private let lock = NSLock()
        private var n = 0
        func bump() { lock.lock(); n += 1; lock.unlock() }
        func wait(for target: Int) -> Bool {
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                lock.lock(); let v = n; lock.unlock()
                if v >= target { return true }
                Thread.sleep(forTimeInterval: 0.0005)
            }
            return false
        }
    }
}
