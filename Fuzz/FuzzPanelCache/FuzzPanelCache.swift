// libFuzzer target: the column store reader (Sources/LunarData/ColumnStore.swift), which is also
// the CSV cache (PanelCache).
//
// A small valid store (2 symbols × 3 bars, Float64 fields, and one Float32 field) is written
// once; each input replaces its manifest.json, and the store is opened and read with
// `ColumnStore(path:)` and `panel()` and through `PanelCache.load`. The manifest names the
// counts, the field files, their types: damage must give an error (or nil), never a trap, an
// out-of-bounds read or a huge allocation. A store that opens must make a consistent panel, and
// writing that panel again must read back the same.
import Foundation
import FuzzSupport
import LunarData

private let base: String = {
    let dir = Fuzz.scratch + "/base-store"
    let panel = try! Panel(symbols: ["A", "B"], timestamps: [0, 86_400, 172_800],
                           fields: ["open": [1, 2, 3, 4, 5, 6], "high": [1, 2, 3, 4, 5, 6], "low": [1, 2, 3, 4, 5, 6],
                                    "close": [1, 2, 3, 4, 5, 6], "volume": [1, 1, 1, 1, 1, 1]])
    try! ColumnStore.write(panel, to: dir, source: "fuzz", fingerprint: "7")
    // A Float32 copy of one field, so manifests naming .f32 files find one.
    FileManager.default.createFile(atPath: dir + "/fields/5.f32", contents: Data(count: 6 * 4))
    return dir
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPanelCache(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = Fuzz.bytes(data, size)
    let store = Fuzz.emptyFolder("store")
    try? FileManager.default.removeItem(atPath: store)
    try! FileManager.default.copyItem(atPath: base, toPath: store)
    Fuzz.save(bytes, to: store + "/" + ColumnStore.manifestName)
    guard let opened = try? ColumnStore(path: store), let panel = try? opened.panel() else { return 0 }
    let cells = panel.symbolCount * panel.barCount
    precondition(panel.fields.values.allSatisfy { $0.count == cells }, "a store's panel disagrees with its shape")
    precondition(zip(panel.timestamps, panel.timestamps.dropFirst()).allSatisfy { $0 < $1 }, "dates not increasing")

    let again = Fuzz.scratch + "/again"
    try! ColumnStore.write(panel, to: again, source: "again")
    let back = try! ColumnStore(path: again).panel()
    precondition(back.symbols == panel.symbols && back.timestamps == panel.timestamps, "round trip changed symbols or dates")
    for (name, values) in panel.fields {
        precondition(back.fields[name].map { zip(values, $0).allSatisfy { $0.bitPattern == $1.bitPattern } } ?? false,
                     "round trip changed \(name)")
    }
    return 0
}
