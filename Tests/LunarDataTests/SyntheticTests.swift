import Foundation
import LunarTestSupport
import Testing
@testable import LunarData

@Suite struct SyntheticTests {
    @Test func isDeterministicAndValid() {
        let a = Synthetic.panel(symbols: 8, bars: 300, seed: 7)
        let b = Synthetic.panel(symbols: 8, bars: 300, seed: 7)
        #expect(a.fields == b.fields)
        #expect(Synthetic.panel(symbols: 8, bars: 300, seed: 8).fields["close"] != a.fields["close"])
        let o = a.fields["open"]!, h = a.fields["high"]!, l = a.fields["low"]!, c = a.fields["close"]!
        for i in c.indices {
            #expect(l[i] > 0 && l[i] <= min(o[i], c[i]) && h[i] >= max(o[i], c[i]))
        }
        #expect(a.symbols.first == "S0000" && a.barCount == 300)
    }

    @Test func specsParse() throws {
        #expect(try Synthetic.parseSpec("synthetic")! == (500, 2520, 42))
        #expect(try Synthetic.parseSpec("synthetic:10:20:3")! == (10, 20, 3))
        #expect(try Synthetic.parseSpec("/data/prices") == nil)
        #expect(throws: DataError.self) { try Synthetic.parseSpec("synthetic:ten") }
        // More than any machine's memory: refused before anything is allocated.
        do { _ = try Synthetic.parseSpec("synthetic:99999999999:99999999999"); Issue.record("must be refused") } catch {
            #expect("\(error)".contains("a synthetic universe of 99999999999 × 99999999999 needs"))
        }
    }

    /// `lunar data gen` output reads back to the very same bits.
    @Test func writtenFolderRoundTrips() throws {
        let panel = Synthetic.panel(symbols: 5, bars: 120, seed: 3)
        let dir = Fixtures.tempDir()
        try CSVWriter.writeFolder(panel, to: dir)
        let back = try CSVLoader.load(path: dir)
        #expect(back.symbols == panel.symbols)
        #expect(back.timestamps == panel.timestamps)
        for f in Panel.standardFields { #expect(back.fields[f]! == panel.fields[f]!) }
    }

    @Test func atomicWriteReplacesWholeFiles() throws {
        let dir = Fixtures.tempDir()
        let path = dir + "/r.txt"
        try AtomicFile.write("first", to: path)
        try AtomicFile.write("second", to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "second")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["r.txt"])   // no temp files left
    }
}
