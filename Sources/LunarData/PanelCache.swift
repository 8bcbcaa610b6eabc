#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The cache of a panel loaded from CSV: a `ColumnStore` written next to the data on first
/// load (`DIR/.lunar/store/` for a folder, `FILE.csv.lunarstore/` for one file), so every load
/// after the first maps the columns instead of parsing text. The store's manifest carries the
/// fingerprint of the sources: every source file's name, size and modification time (and the
/// `--adjust` flag), so editing, adding or removing a CSV invalidates the cache. Damage of any
/// kind (a truncated field file, a foreign manifest) makes the cache ignored, never trusted.
public enum PanelCache {
    /// The loader's rules, mixed into the fingerprint: bump it whenever they change so caches
    /// written by an older Lunar are parsed again (5: the cache became a column store).
    static let rules: UInt64 = 5

    /// Where the cache of `path` (a folder of CSVs or one CSV) lives.
    public static func file(for path: String) -> String {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            return (path as NSString).appendingPathComponent(".lunar/store")
        }
        return path + ".lunarstore"
    }

    public static func remove(for path: String) { try? FileManager.default.removeItem(atPath: file(for: path)) }

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
        var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ (adjust ? 1 : 0) ^ (rules << 8)
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

    /// The cached panel when the cache exists, is whole and matches `fingerprint`; nil otherwise.
    public static func load(_ path: String, fingerprint: UInt64) -> Panel? {
        guard let store = try? ColumnStore(path: file(for: path)), store.fingerprint == hex(fingerprint) else { return nil }
        return try? store.panel()
    }

    /// Writes `panel`'s cache (a whole store renamed into place, so a reader never sees half a
    /// cache). Failure is silent: the cache is only an accelerator.
    public static func store(_ panel: Panel, for path: String, fingerprint: UInt64) {
        try? ColumnStore.write(panel, to: file(for: path), source: path, fingerprint: hex(fingerprint))
    }

    static func hex(_ v: UInt64) -> String { String(v, radix: 16) }
}
