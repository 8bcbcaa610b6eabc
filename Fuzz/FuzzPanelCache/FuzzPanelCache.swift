// libFuzzer target: the binary panel cache reader (Sources/LunarData/PanelCache.swift).
//
// The input is written as the cache file of a CSV path and read with `PanelCache.load`. The
// fingerprint the reader is asked for is the one the file carries (bytes 8 ..< 16), so the
// fuzzer does not have to guess it; the magic it must keep (the seeds have it). A cache that
// loads must give a consistent panel, and writing that panel again must read back the same.
import Foundation
import FuzzSupport
import LunarData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPanelCache(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = Fuzz.bytes(data, size)
    let csv = Fuzz.scratch + "/data.csv"          // never written: only its cache is
    Fuzz.save(bytes, to: PanelCache.file(for: csv))
    var fingerprint: UInt64 = 0
    if bytes.count >= 16 {
        for k in (8 ..< 16).reversed() { fingerprint = fingerprint << 8 | UInt64(bytes[k]) }
    }
    guard let panel = PanelCache.load(csv, fingerprint: fingerprint) else { return 0 }
    let cells = panel.symbolCount * panel.barCount
    precondition(panel.fields.values.allSatisfy { $0.count == cells }, "a loaded panel's fields disagree with its shape")
    precondition(zip(panel.timestamps, panel.timestamps.dropFirst()).allSatisfy { $0 < $1 }, "dates not increasing")

    let again = Fuzz.scratch + "/again.csv"
    PanelCache.store(panel, for: again, fingerprint: 7)
    guard let back = PanelCache.load(again, fingerprint: 7) else { fatalError("a stored cache did not load") }
    precondition(back.symbols == panel.symbols && back.timestamps == panel.timestamps, "round trip changed symbols or dates")
    for (name, values) in panel.fields {
        precondition(back.fields[name].map { zip(values, $0).allSatisfy { $0.bitPattern == $1.bitPattern } } ?? false,
                     "round trip changed \(name)")
    }
    return 0
}
