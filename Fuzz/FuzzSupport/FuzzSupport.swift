#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// What every harness shares: a private scratch folder, files written from the fuzz input, the
/// repository root, and a byte cursor for inputs that are read as choices.
///
/// A harness returns normally when the code under test throws: a thrown error is the clear
/// message Lunar promises for bad input. Only a trap, an ASan or LeakSanitizer report, or a
/// libFuzzer timeout is a finding.
public enum Fuzz {
    /// The repository root, from this file's place in it (Fuzz/FuzzSupport/FuzzSupport.swift).
    public static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0 ..< 3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The shipped library folder that `require "ta"` finds.
    public static var stdlib: String { repositoryRoot + "/stdlib" }

    /// A folder of this process's own, on a RAM disk where there is one; removed at exit.
    public static let scratch: String = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let dir = "\(base)/lunar-fuzz-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        scratchPath = strdup(dir)
        atexit { if let p = Fuzz.scratchPath { _ = try? FileManager.default.removeItem(atPath: String(cString: p)) } }
        return dir
    }()
    nonisolated(unsafe) static var scratchPath: UnsafeMutablePointer<CChar>?

    /// A fresh, empty folder under `scratch` (the same one each call: inputs run one at a time).
    public static func emptyFolder(_ name: String) -> String {
        let dir = scratch + "/" + name
        try? FileManager.default.removeItem(atPath: dir)
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Writes `bytes` to `path` (replacing it), with plain POSIX calls.
    public static func save(_ bytes: UnsafeRawBufferPointer, to path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        precondition(fd >= 0, "cannot create \(path)")
        var done = 0
        while done < bytes.count {
            let w = write(fd, bytes.baseAddress! + done, bytes.count - done)
            precondition(w > 0, "cannot write \(path)")
            done += w
        }
        close(fd)
    }

    public static func save(_ bytes: [UInt8], to path: String) {
        bytes.withUnsafeBytes { save($0, to: path) }
    }

    /// The input as an array (libFuzzer may pass a null pointer with size 0).
    public static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
        guard let data, size > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// Lua's long-bracket-free literal for any bytes: every byte as a decimal escape.
    public static func luaLiteral(_ bytes: some Sequence<UInt8>) -> String {
        var s = "\""
        for b in bytes { s += "\\" + String(b) }
        return s + "\""
    }
}

/// Reads an input as a stream of choices; past its end every read gives zero, so any input,
/// however short, is a complete description.
public struct ByteCursor {
    let bytes: [UInt8]
    var at = 0
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public var isAtEnd: Bool { at >= bytes.count }

    public mutating func byte() -> UInt8 {
        guard at < bytes.count else { return 0 }
        defer { at += 1 }
        return bytes[at]
    }

    /// A number in 0 ..< n (n ≥ 1).
    public mutating func below(_ n: Int) -> Int { Int(byte()) % n }

    public mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

    /// Up to `max` raw bytes, the count given by the next byte.
    public mutating func chunk(max: Int) -> [UInt8] {
        let n = min(Int(byte()), max)
        var out: [UInt8] = []
        for _ in 0 ..< n where !isAtEnd { out.append(byte()) }
        return out
    }
}
