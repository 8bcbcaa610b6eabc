import Foundation
import Lunar

/// What the live page shows: the last good result, the error of the last run if it failed, and
/// the pages listening for the next one. The watch loop publishes; each page's event stream
/// subscribes and gets the current state first, then every change.
public final class LiveState: @unchecked Sendable {
    private let lock = NSLock()
    private var result: BacktestResult?
    /// The latest event of each kind (`result`, `failure`, `sweep`), in the order a new page
    /// gets them.
    private var current: [(name: String, message: String)] = []
    private var runs = 0
    private var listeners: [UUID: AsyncStream<String>.Continuation] = [:]

    public init() {}

    /// Turns a watch event into the page's event and sends it to every page.
    public func publish(_ event: WatchEvent) {
        switch event {
        case .result(let r, let previous, let changed, let seconds):
            lock.lock(); runs += 1; let run = runs; lock.unlock()
            let payload = LivePayload.result(r, previous: previous, run: run, changed: changed, seconds: seconds)
            lock.lock(); result = r; lock.unlock()
            send("result", payload, clearing: ["failure"])
        case .failure(let text, let changed):
            send("failure", ["message": text, "changed": changed.map { URL(fileURLWithPath: $0).lastPathComponent }])
        }
    }

    /// Sends event `name` to every page and keeps it as the current one of its kind (a good
    /// result clears the error before it).
    public func send(_ name: String, _ payload: Any, clearing: [String] = []) {
        let message = Self.event(name, payload)
        lock.lock()
        current.removeAll { $0.name == name || clearing.contains($0.name) }
        current.append((name, message))
        let targets = Array(listeners.values)
        lock.unlock()
        for l in targets { l.yield(message) }
    }

    /// The events a page receives: the current result and error, then each new one.
    public func subscribe() -> AsyncStream<String> {
        let id = UUID()
        return AsyncStream { continuation in
            lock.lock()
            for e in current { continuation.yield(e.message) }
            listeners[id] = continuation
            lock.unlock()
            continuation.onTermination = { [weak self] _ in
                guard let self else { return }
                self.lock.lock(); self.listeners[id] = nil; self.lock.unlock()
            }
        }
    }

    /// The latest good result (nil before the first).
    public var latest: BacktestResult? { lock.lock(); defer { lock.unlock() }; return result }

    /// The price chart's data for symbol `index` of the latest result, as JSON.
    public func symbolJSON(_ index: Int) throws -> String? {
        guard let r = latest, index >= 0, index < r.panel.symbolCount else { return nil }
        return LivePayload.json(PriceChartData.object(r.report, symbol: index, indicators: try LivePayload.indicators(r, symbol: index)))
    }

    /// One Server-Sent Events message (the JSON has no newline, so one `data:` line).
    static func event(_ name: String, _ payload: Any) -> String {
        "event: \(name)\ndata: \(LivePayload.json(payload))\n\n"
    }
}
