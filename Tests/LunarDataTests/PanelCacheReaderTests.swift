import Foundation
import LunarTestSupport
import Testing
@testable import LunarData

/// The cache reader against damaged files (found by fuzzing, Fuzz/FuzzPanelCache; see
/// docs/fuzzing.md): a header's counts are checked against the bytes the file holds before
/// anything is allocated for them.
@Suite struct PanelCacheReaderTests {
    /// A cache file's bytes: magic, fingerprint, N, T, field count, then `rest`.
    func header(n: UInt64, t: UInt64, f: UInt64, fingerprint: UInt64 = 9, rest: [UInt64] = []) -> Data {
        var words = [PanelCache.magic, fingerprint, n, t, f] + rest
        return Data(bytes: &words, count: words.count * 8)
    }

    func load(_ bytes: Data) -> Panel? {
        let dir = Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let csv = dir + "/data.csv"
        FileManager.default.createFile(atPath: PanelCache.file(for: csv), contents: bytes)
        return PanelCache.load(csv, fingerprint: 9)
    }

    @Test func countsLargerThanTheFileGiveNilNotAHugeAllocation() {
        // T = 2^39 timestamps (4 TiB) in a 40-byte file: this used to abort in the allocator.
        #expect(load(header(n: 0, t: 1 << 39, f: 0)) == nil)
        // One symbol "AAA", three dates, then one field whose column would be N × T = 2^39 doubles.
        let name = UInt64(0x41_4141)
        #expect(load(header(n: 1, t: 3, f: 1, rest: [3, name, 0, 86_400, 172_800, 5, 0x65_736F_6C63])) == nil)
        #expect(load(header(n: 1 << 39, t: 1 << 39, f: 5)) == nil)
        // The input the fuzzer found, byte for byte (T = 0x000000a7_00000003).
        let found = try! Data(contentsOf: URL(fileURLWithPath: Fixtures.path("Fuzz/findings/panelcache-count-beyond-file.bin")))
        var patched = found
        patched.replaceSubrange(8 ..< 16, with: withUnsafeBytes(of: UInt64(9)) { Data($0) })
        #expect(load(patched) == nil)
    }

    @Test func aCacheThatFitsItsFileStillLoads() throws {
        let dir = Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let panel = Fixtures.panel(closes: [[1, 2, 3], [4, 5, 6]])
        let csv = dir + "/data.csv"
        PanelCache.store(panel, for: csv, fingerprint: 9)
        let back = try #require(PanelCache.load(csv, fingerprint: 9))
        #expect(back.symbols == panel.symbols && back.timestamps == panel.timestamps)
        #expect(back.fields["close"] == panel.fields["close"])
        // Truncated by one byte: nil.
        let file = PanelCache.file(for: csv)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        #expect(load(bytes.dropLast()) == nil)
        #expect(load(bytes) != nil)
    }
}
