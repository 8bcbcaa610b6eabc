#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A binary copy of a panel loaded from CSV, written next to the data on first load.
///
/// Layout (little-endian, 8-byte aligned): magic `LUNARPC4`, the fingerprint of the sources,
/// N, T, field count, symbol names, timestamps, field names, then each field's N × T doubles
/// as one contiguous column. A load reads each column straight into the panel's array (one
/// copy, no parsing). The fingerprint hashes every source file's name, size and modification
/// time (and the `--adjust` flag), so editing, adding or removing a CSV invalidates the cache.
public enum PanelCache {
    /// The format and the loader's rules: bump the digit whenever either changes, so caches
    /// written by an older Lunar are parsed again (2: a header-only CSV became an error;
    /// 3: quoted symbol and date cells are unquoted; 4: `split`/`dividend` columns are stored
    /// without NaN, YYYYMMDD days, local-midnight days with an offset, newest-first files).
    static let magic: UInt64 = 0x3443_5052_414E_554C   // "LUNARPC4"

    /// Where the cache of `path` (a folder of CSVs or one CSV) lives.
    public static func file(for path: String) -> String {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            return (path as NSString).appendingPathComponent(".lunar/panel.lunarcache")
        }
        return path + ".lunarcache"
    }

    public static func remove(for path: String) { unlink(file(for: path)) }

    /// Hash of the sources' names, sizes and modification times; nil when they cannot be read.
    public static func fingerprint(of path: String, adjust: Bool) -> UInt64? {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { return nil }
        var files: [String]
        if isDir.boolValue {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return nil }
            files = names.filter { $0.lowercased().hasSuffix(".csv") }.sorted().map { (path as NSString).appendingPathComponent($0) }
        } else {
            files = [path]
        }
        var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ (adjust ? 1 : 0)
        func mix(_ v: UInt64) { h = (h ^ v) &* 0x100_0000_01B3 }
        for f in files {
            var st = stat()
            guard stat(f, &st) == 0 else { return nil }
            for b in f.utf8 { mix(UInt64(b)) }
            mix(UInt64(st.st_size))
            mix(UInt64(st.st_mtim.tv_sec)); mix(UInt64(st.st_mtim.tv_nsec))
        }
        return h
    }

    /// The cached panel when the cache exists and matches `fingerprint`; nil otherwise.
    public static func load(_ path: String, fingerprint: UInt64) -> Panel? {
        let fd = open(file(for: path), O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var reader = Reader(fd: fd)
        guard reader.word() == magic, reader.word() == fingerprint,
              let n = reader.count(), let t = reader.count(), let f = reader.count() else { return nil }
        guard let symbols = reader.strings(n), let timestamps = reader.int64s(t), let names = reader.strings(f) else { return nil }
        let (cells, overflow) = n.multipliedReportingOverflow(by: t)
        guard !overflow else { return nil }
        var fields: [String: [Double]] = [:]
        for name in names {
            guard let column = reader.doubles(cells) else { return nil }
            fields[name] = column
        }
        return try? Panel(symbols: symbols, timestamps: timestamps, fields: fields)
    }

    /// Writes `panel`'s cache (to a temporary file renamed into place, so a reader never sees
    /// half a cache). Failure is silent: the cache is only an accelerator.
    public static func store(_ panel: Panel, for path: String, fingerprint: UInt64) {
        let target = file(for: path)
        let dir = (target as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let temp = target + ".tmp\(getpid())"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { return }
        var ok = true
        func put(_ bytes: UnsafeRawBufferPointer) {
            var done = 0
            while ok && done < bytes.count {
                let w = write(fd, bytes.baseAddress! + done, bytes.count - done)
                if w <= 0 { ok = false } else { done += w }
            }
        }
        func words(_ v: [UInt64]) { v.withUnsafeBytes(put) }
        func strings(_ s: [String]) {
            for x in s {
                var b = Array(x.utf8)
                words([UInt64(b.count)])
                while b.count % 8 != 0 { b.append(0) }
                b.withUnsafeBytes(put)
            }
        }
        let names = panel.fields.keys.sorted()
        words([magic, fingerprint, UInt64(panel.symbolCount), UInt64(panel.barCount), UInt64(names.count)])
        strings(panel.symbols)
        panel.timestamps.withUnsafeBytes(put)
        strings(names)
        for name in names { panel.fields[name]!.withUnsafeBytes(put) }
        close(fd)
        if ok { rename(temp, target) } else { unlink(temp) }
    }

    /// Sequential reads with bounds checks: a truncated or foreign file gives nil, not a crash.
    /// Every count is checked against the bytes the file still holds before anything is
    /// allocated for it, so a damaged header cannot ask for terabytes.
    struct Reader {
        let fd: Int32
        /// Bytes of the file not read yet.
        var remaining: Int
        init(fd: Int32) {
            self.fd = fd
            var st = stat()
            remaining = fstat(fd, &st) == 0 ? Int(st.st_size) : 0
        }
        mutating func fill(_ p: UnsafeMutableRawPointer, _ count: Int) -> Bool {
            guard count <= remaining else { return false }
            remaining -= count
            var done = 0
            while done < count {
                let r = read(fd, p + done, count - done)
                if r <= 0 { return false }
                done += r
            }
            return true
        }
        mutating func word() -> UInt64? {
            var v: UInt64 = 0
            return fill(&v, 8) ? v : nil
        }
        mutating func count() -> Int? { word().flatMap { $0 < 1 << 40 ? Int($0) : nil } }
        mutating func strings(_ n: Int) -> [String]? {
            var out: [String] = []
            for _ in 0 ..< n {
                guard let len = count(), len < 1 << 20, len <= remaining else { return nil }
                var b = [UInt8](repeating: 0, count: (len + 7) / 8 * 8)
                guard b.withUnsafeMutableBytes({ fill($0.baseAddress!, $0.count) }) else { return nil }
                out.append(String(decoding: b[0 ..< len], as: UTF8.self))
            }
            return out
        }
        mutating func int64s(_ n: Int) -> [Int64]? {
            guard n <= remaining / 8 else { return nil }
            var ok = true
            let a = [Int64](unsafeUninitializedCapacity: n) { buf, c in ok = n == 0 || fill(buf.baseAddress!, n * 8); c = n }
            return ok ? a : nil
        }
        mutating func doubles(_ n: Int) -> [Double]? {
            guard n <= remaining / 8 else { return nil }
            var ok = true
            let a = [Double](unsafeUninitializedCapacity: n) { buf, c in ok = n == 0 || fill(buf.baseAddress!, n * 8); c = n }
            return ok ? a : nil
        }
    }
}
