import Foundation
import LunarData
import LunarParquet
import LunarSim
import LunarTestSupport
import Testing
@testable import LunarReport

/// `--format parquet`: the result folder's tables as Parquet hold the same values as their CSV
/// twins (read with our reader, bit for bit against the CSV's numbers), and pyarrow, polars and
/// DuckDB read them (tools/parquet/read_back.py, when its venv is installed).
@Suite struct ResultTablesTests {
    /// A real run: 6 symbols × 300 bars of the synthetic universe, a moving-average cross.
    static func report() throws -> RunReport {
        let panel = Synthetic.panel(symbols: 6, bars: 300, seed: 5)
        let close = panel.fields["close"]!
        var entries = [Double](repeating: 0, count: close.count), exits = entries
        for s in 0 ..< 6 { for t in 20 ..< 300 where t % 37 == s { entries[s * 300 + t] = 1 }; for t in 0 ..< 300 where t % 53 == s { exits[s * 300 + t] = 1 } }
        let runs = try Simulator.run(close: close, entries: entries, exits: exits, symbols: 6, bars: 300,
                                     options: .init(capital: 1000, fees: 0.001, threads: 1))
        var equity = [Double](repeating: 0, count: 300)
        for r in runs { for t in 0 ..< 300 { equity[t] += r.equity[t] } }
        var trades: [Trade] = []
        for (s, r) in runs.enumerated() { for var tr in r.trades { tr.symbol = s; trades.append(tr) } }
        let metrics = runs.map { Metrics.compute(equity: $0.equity, initial: 1000, trades: $0.trades, barsPerYear: 252) }
        let portfolio = Metrics.compute(equity: equity, initial: 6000, trades: trades, barsPerYear: 252)
        return RunReport(strategyName: "cross", strategyPath: "s.lua", params: [], panel: panel, equity: equity,
                         portfolio: portfolio, symbolMetrics: metrics, trades: trades, symbolEquity: runs.map(\.equity))
    }

    @Test func parquetTablesHoldTheCSVsValues() throws {
        let r = try Self.report()
        let dir = Fixtures.tempDir("result-tables")
        try ResultWriter.write(r, to: dir + "/csv")
        try ResultWriter.write(r, to: dir + "/pq", format: .parquet)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/pq").sorted() ==
                ["equity.parquet", "report.html", "summary.json", "symbols.parquet", "trades.parquet"])
        #expect(r.trades.count > 10)
        for name in ["symbols", "trades", "equity"] {
            let csv = try String(contentsOfFile: "\(dir)/csv/\(name).csv", encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            let file = try ParquetFile(path: "\(dir)/pq/\(name).parquet")
            #expect(file.columns.map(\.name) == csv[0], "\(name): the same columns")
            #expect(file.rowCount == csv.count - 1, "\(name): the same rows")
            let values = try file.read(columns: Array(file.columns.indices))
            for (k, v) in values.enumerated() {
                let cells = csv.dropFirst().map { $0[k] }
                switch v.storage {
                case .floats(let x):
                    #expect(zip(x, cells).allSatisfy { a, c in Double(c).map { $0.bitPattern == a.bitPattern || ($0.isNaN && a.isNaN) } ?? (c.isEmpty && a.isNaN) },
                            "\(name).\(file.columns[k].name)")
                case .integers(let x):
                    if case .timestamp = file.columns[k].kind {
                        #expect(zip(x, cells).allSatisfy { Calendar.format(Calendar.floorDiv($0, 1000), daily: true) == $1 }, "\(name).\(file.columns[k].name)")
                    } else {
                        #expect(zip(x, cells).allSatisfy { String($0) == $1 }, "\(name).\(file.columns[k].name)")
                    }
                case .text(let dictionary, let codes):
                    #expect(zip(codes, cells).allSatisfy { dictionary[Int($0)] == $1 }, "\(name).\(file.columns[k].name)")
                }
            }
        }
        try? FileManager.default.removeItem(atPath: dir)
    }

    @Test(.enabled(if: ParquetReadBack.available, "the Parquet venv is not installed (tools/parquet/install.sh)"))
    func pyarrowPolarsAndDuckDBReadTheResultTables() throws {
        let r = try Self.report()
        let dir = Fixtures.tempDir("result-tables-readback")
        try ResultWriter.write(r, to: dir, format: .parquet)
        let tables = [("symbols", ResultTables.symbols(r)), ("trades", ResultTables.trades(r)), ("equity", ResultTables.equity(r))]
        let run = try ParquetReadBack.run(tables.map { "\(dir)/\($0.0).parquet" })
        try #require(run.status == 0, "read_back.py failed: \(run.stderr)")
        let records = ParquetReadBack.csv(run.stdout)
        var at = 0
        for (name, table) in tables {
            #expect(records[at] == ["# file \(dir)/\(name).parquet rows \(table.rowCount)"])
            #expect(records[at + 1] == table.columns.map(\.name))
            let rows = records[(at + 2) ..< (at + 2 + table.rowCount)]
            for (k, (column, values)) in table.columns.enumerated() {
                let bad = ParquetReadBack.firstMismatch(rows.map { $0[k] }, values)
                #expect(bad == nil, "\(name).\(column): row \(bad ?? 0)")
            }
            at += 2 + table.rowCount
        }
        try? FileManager.default.removeItem(atPath: dir)
    }

    @Test func sweepTablesKeepNumericParametersAsNumbers() throws {
        var m = Metrics()
        m.sharpe = 1.5
        let t = SweepTable(strategy: "s", metric: "sharpe", paramNames: ["fast", "mode"], rows: [(["5", "a"], m), (["10", "b"], m)])
        let table = ResultTables.sweep(t)
        #expect(table.columns.map(\.name).prefix(3) == ["rank", "fast", "mode"])
        #expect(table.columns[1].values == .doubles([5, 10]))
        #expect(table.columns[2].values == .strings(["a", "b"]))
    }
}
