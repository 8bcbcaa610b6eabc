import Foundation

/// Values computed from a panel's data alone (the equal-weight benchmark curve, say), kept so
/// that repeated runs on one panel — the watch loop, sweeps, the bench — compute them once.
/// Copies of a panel share the memo; changing a field gives the changed copy a fresh one.
final class PanelMemo: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: any Sendable] = [:]
    /// Entries kept at most (keys can carry a run's options, such as the capital).
    private let capacity = 16

    func value<V: Sendable>(_ key: String, _ make: () throws -> V) rethrows -> V {
        lock.lock()
        if let v = values[key] as? V { lock.unlock(); return v }
        lock.unlock()
        // Computed outside the lock: two threads asking at once both compute the same value.
        let v = try make()
        lock.lock(); defer { lock.unlock() }
        if values.count >= capacity { values.removeAll() }
        values[key] = v
        return v
    }
}

extension Panel {
    /// `make()`'s result, computed once per panel for `key`. The key must name everything the
    /// value depends on besides the panel's data.
    public func derived<V: Sendable>(_ key: String, _ make: () throws -> V) rethrows -> V {
        try memo.value(key, make)
    }
}
