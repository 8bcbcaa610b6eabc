import Foundation
import LunarTestSupport
import Testing
@testable import LunarData

/// The column store (`lunar data import`, the CSV cache): what is written reads back bit for
/// bit, tiles are the panel's own rows, and a damaged store is an error, never a crash.
@Suite struct ColumnStoreTests {
    func written(_ panel: Panel, float32: Bool = false) throws -> (dir: String, store: String) {
        let dir = Fixtures.tempDir()
        let path = dir + "/store"
        try ColumnStore.write(panel, to: path, source: "test", float32: float32, threads: 2)
        return (dir, path)
    }

    func same(_ a: Panel, _ b: Panel) -> Bool {
        a.symbols == b.symbols && a.timestamps == b.timestamps && a.fields.keys.sorted() == b.fields.keys.sorted() &&
            a.fields.allSatisfy { name, v in zip(v, b.fields[name]!).allSatisfy { $0.bitPattern == $1.bitPattern } }
    }

    @Test func aStoreReadsBackBitForBit() throws {
        var panel = Synthetic.panel(symbols: 7, bars: 300, seed: 3)
        var close = panel.fields["close"]!
        close[5] = .nan   // a missing bar stays missing
        try panel.setField("close", close)
        let (dir, path) = try written(panel)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(ColumnStore.isStore(path))
        let store = try ColumnStore(path: path)
        #expect(store.symbolCount == 7 && store.barCount == 300)
        #expect(same(try store.panel(), panel))
        // A tile is the same as selecting its symbols from the whole panel.
        #expect(same(try store.panel(symbols: 2 ..< 5), panel.selecting(symbols: [2, 3, 4])))
        #expect(try store.panel(symbols: 3 ..< 3).symbolCount == 0)
    }

    /// Written tile by tile (as `lunar data import synthetic:…` writes a universe larger than
    /// memory): the same files as from the whole panel; a synthetic tile is those rows of the
    /// whole universe.
    @Test func aStoreWrittenTileByTileIsTheSameStore() throws {
        let panel = Synthetic.panel(symbols: 10, bars: 60, seed: 4)
        let (dir, whole) = try written(panel)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tiles = [0 ..< 3, 3 ..< 6, 6 ..< 9, 9 ..< 10]
        try ColumnStore.write(symbols: panel.symbols, timestamps: panel.timestamps, fields: panel.fields.keys.sorted(), to: dir + "/tiled",
                              source: "test", threads: 2, tiles: tiles, tile: { Synthetic.tile($0, of: 10, bars: 60, seed: 4) })
        for f in 0 ..< 5 {
            #expect(FileManager.default.contents(atPath: "\(whole)/fields/\(f).f64") == FileManager.default.contents(atPath: "\(dir)/tiled/fields/\(f).f64"))
        }
        #expect(same(try ColumnStore(path: dir + "/tiled").panel(), panel))
        // A tile that is not the symbols it should be is refused, and nothing is left behind.
        #expect(throws: DataError.self) {
            try ColumnStore.write(symbols: panel.symbols, timestamps: panel.timestamps, fields: ["close"], to: dir + "/bad", source: "test",
                                  tiles: [0 ..< 10], tile: { _ in Synthetic.tile(0 ..< 9, of: 10, bars: 60, seed: 4) })
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/bad"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["store", "tiled"])
    }

    @Test func float32StoresRoundEachValueToFloat() throws {
        let panel = Synthetic.panel(symbols: 3, bars: 50, seed: 1)
        let (dir, path) = try written(panel, float32: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let back = try ColumnStore(path: path).panel()
        for (name, v) in panel.fields {
            #expect(back.fields[name]! == v.map { Double(Float($0)) })
        }
        // Half the bytes of Float64.
        let size = try FileManager.default.attributesOfItem(atPath: path + "/fields/0.f32")[.size] as! Int
        #expect(size == 3 * 50 * 4)
    }

    @Test func writingReplacesAStoreButNothingElse() throws {
        let (dir, path) = try written(Synthetic.panel(symbols: 2, bars: 10))
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try ColumnStore.write(Synthetic.panel(symbols: 4, bars: 10), to: path, source: "again")
        #expect(try ColumnStore(path: path).symbolCount == 4)
        // No temporary or old folders are left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["store"])
        let other = dir + "/notes"
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: false)
        FileManager.default.createFile(atPath: other + "/todo.txt", contents: Data("keep".utf8))
        #expect(throws: DataError.self) { try ColumnStore.write(Synthetic.panel(symbols: 1, bars: 5), to: other, source: "x") }
        #expect(FileManager.default.contents(atPath: other + "/todo.txt") == Data("keep".utf8))
    }

    /// Every kind of damage is an error naming the store, never a crash or a huge allocation.
    @Test func aDamagedStoreIsAnError() throws {
        let (dir, path) = try written(Synthetic.panel(symbols: 2, bars: 20))
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let manifestPath = path + "/manifest.json"
        let manifest = try String(contentsOfFile: manifestPath, encoding: .utf8)
        func damaged(_ edit: (String) -> String, file: String? = nil) -> String? {
            try? manifest.write(toFile: manifestPath, atomically: true, encoding: .utf8)
            try? edit(manifest).write(toFile: manifestPath, atomically: true, encoding: .utf8)
            defer { try? manifest.write(toFile: manifestPath, atomically: true, encoding: .utf8) }
            do { _ = try ColumnStore(path: path); return nil } catch { return "\(error)" }
        }
        #expect(damaged { $0 }.map { _ in "opened" } == nil)
        #expect(damaged { $0.replacingOccurrences(of: "\"bars\" : 20", with: "\"bars\" : 2000000000") }?.contains("bytes, expected") == true)
        #expect(damaged { $0.replacingOccurrences(of: "fields\\/0.f64", with: "..\\/..\\/etc\\/passwd") }?.contains("outside the store") == true)
        #expect(damaged { $0.replacingOccurrences(of: "\"version\" : 1", with: "\"version\" : 99") }?.contains("import the data again") == true)
        #expect(damaged { _ in "{\"format\": 3}" }?.contains("not a Lunar store manifest") == true)
        // A field file cut short.
        let field = path + "/fields/1.f64"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: field))
        try bytes.dropLast(8).write(to: URL(fileURLWithPath: field))
        #expect(damaged { $0 }?.contains("the store is damaged") == true)
    }
}
