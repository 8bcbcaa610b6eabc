import Foundation
import LunarData

/// Shared helpers for the test targets.
public enum Fixtures {
    /// The repository root (found from this file's path).
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    public static var stdlib: String { path("stdlib") }

    /// A fresh empty temporary folder.
    public static func tempDir(_ name: String = "lunar-test") -> String {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8))").path
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Writes `text` to `dir/name` and returns the path.
    @discardableResult
    public static func write(_ text: String, _ name: String, in dir: String) -> String {
        let p = URL(fileURLWithPath: dir).appendingPathComponent(name).path
        try! FileManager.default.createDirectory(atPath: URL(fileURLWithPath: p).deletingLastPathComponent().path,
                                                 withIntermediateDirectories: true)
        try! text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    /// A panel from per-symbol closes (open = high = low = close, volume 1000), daily from 2020-01-01.
    public static func panel(closes: [[Double]], symbols: [String]? = nil) -> Panel {
        let T = closes.first?.count ?? 0
        let flat = closes.flatMap { $0 }
        let days = Calendar.daysFromCivil(2020, 1, 1)
        return try! Panel(symbols: symbols ?? closes.indices.map { "S\($0)" },
                          timestamps: (0 ..< T).map { (days + Int64($0)) * 86_400 },
                          fields: ["open": flat, "high": flat, "low": flat, "close": flat,
                                   "volume": [Double](repeating: 1000, count: flat.count)])
    }
}

/// True when a and b are equal, both NaN, or within `rel` relative (and `abs` absolute) tolerance.
public func near(_ a: Double, _ b: Double, rel: Double = 1e-12, abs absTol: Double = 0) -> Bool {
    if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
    if a == b { return true }
    return Swift.abs(a - b) <= max(rel * max(Swift.abs(a), Swift.abs(b)), absTol)
}
