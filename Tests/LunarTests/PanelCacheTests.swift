import Foundation
import Lunar
import LunarData
import Testing

@Suite("The column-store cache next to CSV data")
struct PanelCacheTests {
    func tempDir() throws -> String {
        let dir = NSTemporaryDirectory() + "lunar-cache-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func same(_ a: Panel, _ b: Panel) -> Bool {
        a.symbols == b.symbols && a.timestamps == b.timestamps && a.fields.keys.sorted() == b.fields.keys.sorted()
            && a.fields.allSatisfy { name, v in zip(v, b.fields[name]!).allSatisfy { $0.bitPattern == $1.bitPattern } }
    }

    @Test("the first load writes the cache; the second reads it and gives the same panel")
    func roundTrip() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try CSVWriter.writeFolder(Synthetic.panel(symbols: 5, bars: 40), to: dir)
        let parsed = try DataSource.load(dir)
        #expect(FileManager.default.fileExists(atPath: PanelCache.file(for: dir)))
        let fingerprint = PanelCache.fingerprint(of: dir, adjust: false)!
        let cached = try #require(PanelCache.load(dir, fingerprint: fingerprint))
        #expect(same(parsed, cached))
        #expect(same(try DataSource.load(dir), parsed))
        #expect(same(parsed, Synthetic.panel(symbols: 5, bars: 40)))   // CSV text round-trips exactly
    }

    @Test("editing, adding or removing a CSV invalidates the cache")
    func invalidation() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try CSVWriter.writeFolder(Synthetic.panel(symbols: 3, bars: 20), to: dir)
        let first = try DataSource.load(dir)
        // Edit one close (same file size is possible; the modification time still changes).
        let file = dir + "/" + first.symbols[1] + ".csv"
        var text = try String(contentsOfFile: file, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var cells = lines[1].split(separator: ",").map(String.init)
        cells[4] = "123.5"
        text = ([lines[0]] + [Substring(cells.joined(separator: ","))] + lines.dropFirst(2)).joined(separator: "\n")
        Thread.sleep(forTimeInterval: 0.01)
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let edited = try DataSource.load(dir)
        #expect(edited.fields["close"]![1 * 20] == 123.5)
        // A new file joins, a removed one leaves.
        try FileManager.default.copyItem(atPath: file, toPath: dir + "/EXTRA.csv")
        #expect(try DataSource.load(dir).symbolCount == 4)
        try FileManager.default.removeItem(atPath: dir + "/EXTRA.csv")
        #expect(try DataSource.load(dir).symbolCount == 3)
    }

    @Test("a truncated or foreign cache file is ignored, not trusted")
    func corrupt() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try CSVWriter.writeFolder(Synthetic.panel(symbols: 2, bars: 10), to: dir)
        let parsed = try DataSource.load(dir)
        // The cache is a store: cut one of its field files in half.
        let field = PanelCache.file(for: dir) + "/fields/0.f64"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: field))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: field))
        #expect(PanelCache.load(dir, fingerprint: PanelCache.fingerprint(of: dir, adjust: false)!) == nil)
        #expect(same(try DataSource.load(dir), parsed))
    }
}
