import Foundation
import Testing
import LunarData
@testable import LunarParquet

/// Every fixture the real writers made (tools/parquet/make_fixtures.py: pyarrow and polars,
/// every codec, dictionary on and off, pages v1 and v2, several row groups, nulls, every
/// timestamp unit, the delta and byte-stream-split encodings) reads the same panel as its CSV
/// twin, bit for bit. The fixture table drives the test.
@Suite struct FixtureReadTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/parquet").standardized.path

    struct Fixture: Decodable, CustomTestStringConvertible, Sendable {
        var file: String
        var twin: String?
        var float32: [String]?
        var error_contains: String?
        var testDescription: String { file }
    }

    static let fixtures: [Fixture] = {
        let data = FileManager.default.contents(atPath: folder + "/fixtures.json") ?? Data("[]".utf8)
        return (try? JSONDecoder().decode([Fixture].self, from: data)) ?? []
    }()

    @Test func theTableListsFixtures() { #expect(Self.fixtures.count >= 20) }

    @Test(arguments: fixtures.filter { $0.twin != nil })
    func readsLikeItsCSVTwin(_ f: Fixture) throws {
        let panel = try ParquetLoader.load(path: Self.folder + "/" + f.file)
        let twin = try CSVLoader.load(path: Self.folder + "/" + f.twin!)
        #expect(panel.symbols == twin.symbols)
        #expect(panel.timestamps == twin.timestamps)
        #expect(Set(panel.fields.keys) == Set(twin.fields.keys))
        for (name, values) in twin.fields {
            let got = panel.fields[name] ?? []
            // FLOAT columns hold the CSV's value rounded to Float.
            let expected = (f.float32 ?? []).contains(name) ? values.map { Double(Float($0)) } : values
            #expect(got.count == expected.count)
            let same = zip(got, expected).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }
            #expect(same, "\(f.file): field \(name)")
        }
    }

    @Test(arguments: fixtures.filter { $0.error_contains != nil })
    func refusesWithAClearError(_ f: Fixture) throws {
        let path = Self.folder + "/" + f.file
        do {
            _ = try ParquetLoader.load(path: path)
            Issue.record("\(f.file) loaded")
        } catch {
            let message = "\(error)"
            #expect(message.contains(f.error_contains!), "\(message)")
            #expect(message.contains(path), "\(message)")
        }
    }
}
