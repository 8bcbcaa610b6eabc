// libFuzzer target: the TOML manifests (Sources/LunarManifest): `lunar-lib.toml`
// (LibraryManifest) and `lunar.toml` (ProjectFile), parsed by TOMLKit (toml++) and converted
// into ConfigValue; and the version syntax they hold (SemanticVersion, VersionRange), also
// fed the raw text so the fuzzer reaches it without writing valid TOML first.
import Foundation
import FuzzSupport
import LunarManifest

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzManifest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    // ConfigFile(contentsOf:) refuses text that is not UTF-8 before TOML sees it; do the same.
    guard let text = String(data: Data(Fuzz.bytes(data, size)), encoding: .utf8) else { return 0 }
    if let file = try? ConfigFile(text: text, path: "/fuzz/project/lunar-lib.toml") {
        if let library = try? LibraryManifest(file) {
            _ = library.lunar?.contains(LunarVersion.current)
            for r in library.requires { _ = r.range.contains(library.version); _ = r.range.description }
        }
        if let project = try? ProjectFile(file) {
            for r in project.requires { _ = r.range.contains(LunarVersion.current) }
        }
    }
    for line in text.split(separator: "\n", omittingEmptySubsequences: false).prefix(8) {
        let s = String(line)
        let v = SemanticVersion(s)
        if let r = VersionRange(s) {
            _ = r.contains(LunarVersion.current)
            if let v { _ = r.contains(v) }
        }
        if let v, let w = SemanticVersion(s + ".1") { _ = v < w; _ = v.description }
    }
    return 0
}
