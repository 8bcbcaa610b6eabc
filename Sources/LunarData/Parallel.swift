import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs `body(chunk)` for `chunks` pieces of work on up to `threads` threads and waits.
/// Each chunk must write only memory of its own: results are then identical for any thread count.
public func parallelFor(chunks: Int, threads: Int, _ body: @Sendable (Int) -> Void) {
    if chunks <= 0 { return }
    if threads <= 1 || chunks == 1 {
        for c in 0 ..< chunks { body(c) }
        return
    }
    let workers = min(threads, chunks)
    let next = AtomicCounter()
    DispatchQueue.concurrentPerform(iterations: workers) { _ in
        while true {
            let c = next.increment()
            if c >= chunks { break }
            body(c)
        }
    }
}

/// The number of cores to use by default.
public var defaultThreadCount: Int {
    #if canImport(Glibc)
    return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    #else
    return max(1, ProcessInfo.processInfo.activeProcessorCount)
    #endif
}

/// A counter shared by worker threads (a lock is plenty: one increment per chunk).
final class AtomicCounter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLockLike()
    func increment() -> Int {
        lock.lock(); defer { lock.unlock() }
        let v = value; value += 1
        return v
    }
}

final class NSLockLike: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }
    func lock() { pthread_mutex_lock(&mutex) }
    func unlock() { pthread_mutex_unlock(&mutex) }
}

/// A pointer that may cross into worker closures; each worker touches a disjoint range.
public struct SharedBuffer<T>: @unchecked Sendable {
    public let base: UnsafeMutablePointer<T>
    public let count: Int
    public init(_ base: UnsafeMutablePointer<T>, count: Int) { self.base = base; self.count = count }
    public subscript(i: Int) -> T {
        get { base[i] }
        nonmutating set { base[i] = newValue }
    }
}
