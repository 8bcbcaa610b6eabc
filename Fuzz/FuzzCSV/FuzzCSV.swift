// libFuzzer target: the CSV loader (Sources/LunarData/CSVLoader.swift), through its public
// entry point `CSVLoader.load(path:)` on real files.
//
// The input is split at form feeds (0x0C) into up to four files. They are loaded twice:
//  1. as a folder of per-symbol files (AAA.csv, BBB.csv, …), the one-symbol layout;
//  2. the first part alone as one long file with a `symbol` column, with `--adjust`.
// A loaded panel must survive the binary cache (PanelCache) bit for bit.
import Foundation
import FuzzSupport
import LunarData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = Fuzz.bytes(data, size)
    let parts = bytes.split(separator: 0x0C, maxSplits: 3, omittingEmptySubsequences: false).map(Array.init)

    let folder = Fuzz.emptyFolder("csv")
    for (k, part) in parts.enumerated() {
        let name = ["AAA", "BBB", "CCC", "DDD"][k]
        Fuzz.save(part, to: "\(folder)/\(name).csv")
    }
    if let panel = try? CSVLoader.load(path: folder) { checkCacheRoundTrip(panel) }

    let long = Fuzz.scratch + "/long.csv"
    Fuzz.save(parts[0], to: long)
    if let panel = try? CSVLoader.load(path: long, options: .init(adjust: true)) { checkCacheRoundTrip(panel) }
    return 0
}

/// Whatever the loader accepts, the cache must give back unchanged.
func checkCacheRoundTrip(_ panel: Panel) {
    let path = Fuzz.scratch + "/roundtrip.csv"
    PanelCache.store(panel, for: path, fingerprint: 42)
    guard let back = PanelCache.load(path, fingerprint: 42) else {
        fatalError("PanelCache could not read back a panel it wrote (\(panel.symbolCount) × \(panel.barCount))")
    }
    precondition(back.symbols == panel.symbols && back.timestamps == panel.timestamps, "cache changed the symbols or dates")
    precondition(back.fields.keys.sorted() == panel.fields.keys.sorted(), "cache changed the fields")
    for (name, values) in panel.fields {
        precondition(zip(values, back.fields[name]!).allSatisfy { $0.bitPattern == $1.bitPattern }, "cache changed \(name)")
    }
}
