import CLua
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Arms the instruction budget's count hook in on_bar calls that run long (see
/// `Sources/CLua/watch.h` for why calls start unhooked). One thread for the process: every
/// `tick` it looks at each symbol being run; a call that was already running at the previous
/// look gets a signal, and the handler on that worker thread sets the hook. A call is therefore
/// counted from at most two ticks after it started: a runaway on_bar ends with "instruction
/// limit exceeded" within its budget plus a few milliseconds, however it loops.
final class CallWatchdog: @unchecked Sendable {
    static let shared = CallWatchdog()
    /// SIGURG: ignored by default, so a stray one can do no harm; nothing else here uses it.
    static let signal = SIGURG
    static let tick: useconds_t = 2_000

    private struct Entry { let watch: UnsafeMutablePointer<swl_Watch>; let thread: pthread_t; var seen: Int64 }
    private let lock = NSCondition()
    private var entries: [Entry] = []
    /// Whether the signal handler could be installed; without it calls keep a hook each.
    let available: Bool

    private init() {
        available = swl_watch_install(CallWatchdog.signal) == 0
        guard available else { return }
        let thread = Thread { [unowned self] in self.loop() }
        thread.name = "lunar-call-watchdog"
        thread.start()
    }

    /// Watches the calling thread's calls through `watch` until `unwatch` (on the same thread).
    func watch(_ watch: UnsafeMutablePointer<swl_Watch>) {
        swl_watch_unblock(watch, CallWatchdog.signal)
        lock.lock()
        entries.append(Entry(watch: watch, thread: pthread_self(), seen: -1))
        lock.signal()
        lock.unlock()
    }

    func unwatch(_ watch: UnsafeMutablePointer<swl_Watch>) {
        lock.lock()
        entries.removeAll { $0.watch == watch }
        lock.unlock()
        // A signal sent just before the removal is taken here (the handler finds no call
        // running and does nothing), not left pending on the thread.
        swl_watch_restore(watch)
    }

    private func loop() {
        while true {
            lock.lock()
            while entries.isEmpty { lock.wait() }
            for i in entries.indices {
                let w = entries[i].watch
                let calls = w.pointee.calls
                if w.pointee.incall != 0 && calls == entries[i].seen && w.pointee.armed == 0 {
                    swl_watch_signal(w, entries[i].thread, CallWatchdog.signal)
                }
                entries[i].seen = calls
            }
            lock.unlock()
            usleep(CallWatchdog.tick)
        }
    }
}
