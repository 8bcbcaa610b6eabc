import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Waits for changes to a set of files. Uses inotify on Linux (watching the files' folders, so
/// editors that save by writing a new file and renaming it are seen) and kqueue vnode events on
/// macOS (on the files and their folders, re-armed after each change); which files changed is
/// read from their modification stamps. Polls stamps elsewhere, or with `forcePolling`.
public final class FileWatcher {
    public private(set) var files: Set<String>
    private var stamps: [String: Stamp] = [:]
    #if os(Linux)
    private var fd: Int32 = -1
    private var watches: [Int32: String] = [:]   // watch descriptor → folder
    private var eventBuffer = [UInt8](repeating: 0, count: 64 * 1024)   // reused by every read
    #elseif os(macOS)
    private var sources: [DispatchSourceFileSystemObject] = []
    private let wake = DispatchSemaphore(value: 0)
    #endif
    public let usesPolling: Bool

    struct Stamp: Equatable { let mtime: timespec; let size: Int64; let inode: UInt64
        static func == (a: Stamp, b: Stamp) -> Bool {
            a.mtime.tv_sec == b.mtime.tv_sec && a.mtime.tv_nsec == b.mtime.tv_nsec && a.size == b.size && a.inode == b.inode
        }
    }

    public init(files: [String], forcePolling: Bool = false) {
        self.files = Set(files.map { URL(fileURLWithPath: $0).standardizedFileURL.path })
        #if os(Linux)
        if !forcePolling { fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC)) }
        usesPolling = fd < 0
        #elseif os(macOS)
        usesPolling = forcePolling
        #else
        usesPolling = true
        #endif
        watch(files)
    }

    deinit {
        #if os(Linux)
        if fd >= 0 { close(fd) }
        #elseif os(macOS)
        sources.forEach { $0.cancel() }
        #endif
    }

    #if os(macOS)
    /// One kqueue source per file and per folder; any event wakes `nextBatch`.
    private func armSources() {
        sources.forEach { $0.cancel() }
        sources = []
        let folders = Set(files.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path })
        for path in Array(files) + Array(folders) {
            let descriptor = open(path, O_EVTONLY)
            if descriptor < 0 { continue }
            let source = DispatchSource.makeFileSystemObjectSource(
                fileDescriptor: descriptor, eventMask: [.write, .extend, .delete, .rename, .attrib], queue: .global())
            let wake = self.wake
            source.setEventHandler { wake.signal() }
            source.setCancelHandler { close(descriptor) }
            source.resume()
            sources.append(source)
        }
    }
    #endif

    /// Replaces the watched set (a strategy's modules change as it is edited).
    public func watch(_ newFiles: [String]) {
        files = Set(newFiles.map { URL(fileURLWithPath: $0).standardizedFileURL.path })
        stamps = Dictionary(uniqueKeysWithValues: files.map { ($0, FileWatcher.stamp($0)) }).compactMapValues { $0 }
        #if os(macOS)
        if !usesPolling { armSources() }
        #endif
        #if os(Linux)
        guard fd >= 0 else { return }
        let folders = Set(files.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path })
        for folder in folders where !watches.values.contains(folder) {
            let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MODIFY | IN_ATTRIB)
            let wd = inotify_add_watch(fd, folder, mask)
            if wd >= 0 { watches[wd] = folder }
        }
        #endif
    }

    /// Blocks until a watched file changes or `timeout` seconds pass; returns the changed files.
    /// Changes arriving within `settle` seconds of each other are coalesced into one answer.
    public func waitForChange(timeout: Double, settle: Double = 0.03) -> Set<String> {
        let deadline = Date().addingTimeInterval(timeout)
        var changed = Set<String>()
        while Date() < deadline {
            let wait = changed.isEmpty ? min(0.1, deadline.timeIntervalSinceNow) : settle
            let batch = nextBatch(wait: max(0.001, wait))
            if batch.isEmpty {
                if !changed.isEmpty { return changed }   // quiet again: one coalesced change
                continue
            }
            changed.formUnion(batch)
        }
        return changed
    }

    private func nextBatch(wait: Double) -> Set<String> {
        #if os(Linux)
        if fd >= 0 {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, Int32(wait * 1000)) > 0 else { return [] }
            var names = Set<String>()
            while true {
                let n = eventBuffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                var off = 0
                while off < n {
                    let (wd, len, name) = eventBuffer.withUnsafeBytes { raw -> (Int32, Int, String) in
                        let ev = raw.loadUnaligned(fromByteOffset: off, as: inotify_event.self)
                        let nameStart = off + MemoryLayout<inotify_event>.size
                        let bytes = raw[nameStart ..< nameStart + Int(ev.len)].prefix { $0 != 0 }
                        return (ev.wd, Int(ev.len), String(decoding: bytes, as: UTF8.self))
                    }
                    if let folder = watches[wd] {
                        let path = URL(fileURLWithPath: folder).appendingPathComponent(name).standardizedFileURL.path
                        if files.contains(path) { names.insert(path) }
                    }
                    off += MemoryLayout<inotify_event>.size + len
                }
            }
            return names
        }
        #endif
        #if os(macOS)
        if !usesPolling {
            // Sleep until kqueue reports something, then read the stamps to see what changed.
            guard wake.wait(timeout: .now() + wait) == .success else { return [] }
        } else {
            Thread.sleep(forTimeInterval: wait)
        }
        #else
        Thread.sleep(forTimeInterval: wait)
        #endif
        var changed = Set<String>()
        for f in files {
            let s = FileWatcher.stamp(f)
            if s != stamps[f] { changed.insert(f); stamps[f] = s }
        }
        #if os(macOS)
        if !usesPolling && !changed.isEmpty { armSources() }   // a renamed-over file is a new vnode
        #endif
        return changed
    }

    static func stamp(_ path: String) -> Stamp? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        #if os(Linux)
        return Stamp(mtime: st.st_mtim, size: Int64(st.st_size), inode: UInt64(st.st_ino))
        #else
        return Stamp(mtime: st.st_mtimespec, size: Int64(st.st_size), inode: UInt64(st.st_ino))
        #endif
    }
}
