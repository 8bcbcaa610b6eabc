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
    let next = ChunkCounter()
    DispatchQueue.concurrentPerform(iterations: workers) { _ in
        while true {
            let c = next.next()
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

/// Hands out 0, 1, 2, … to worker threads (a lock is plenty: one call per chunk of work).
public final class ChunkCounter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    public init() {}
    public func next() -> Int {
        lock.lock(); defer { lock.unlock() }
        let v = value; value += 1
        return v
    }
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
