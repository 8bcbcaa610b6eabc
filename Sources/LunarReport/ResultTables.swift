import Foundation
import LunarData
import LunarParquet
import LunarSim

/// The format of a result folder's tables: CSV (the default) or Parquet (`--format parquet`),
/// which pandas, polars and DuckDB read with their types (dates as timestamps, numbers as
/// doubles). The tables have the same columns either way.
public enum ResultFormat: String, Sendable, CaseIterable {
    case csv, parquet
    public var fileExtension: String { rawValue }
}

/// A result's tables (symbols, trades, equity, a sweep's rows and returns) as typed columns,
/// for Parquet. Column names are the CSV headers; the CSV writers stay the text path.
enum ResultTables {
    static func symbols(_ r: RunReport) -> ParquetTable {
        let status = UniverseReport.statuses(r)
        var t = ParquetTable()
        t.append("symbol", .strings(Array(r.panel.symbols.prefix(r.symbolMetrics.count))))
        t.append("status", .strings(Array(status.prefix(r.symbolMetrics.count))))
        for (k, name) in r.portfolio.fields.map(\.0).enumerated() {
            t.append(name, .doubles(r.symbolMetrics.map { $0.fields[k].1 }))
        }
        return t
    }

    static func trades(_ r: RunReport) -> ParquetTable {
        let ts = r.panel.timestamps
        return ParquetTable([
            "symbol": .strings(r.trades.map { r.panel.symbols[$0.symbol] }),
            "status": .strings(r.trades.map { $0.isOpen ? "open" : "closed" }),
            "direction": .strings(r.trades.map { $0.isShort ? "short" : "long" }),
            "entry_date": .timestamps(seconds: r.trades.map { ts[$0.entryBar] }),
            "exit_date": .timestamps(seconds: r.trades.map { ts[$0.exitBar] }),
            "entry_bar": .int64s(r.trades.map { Int64($0.entryBar) }),
            "exit_bar": .int64s(r.trades.map { Int64($0.exitBar) }),
            "entry_price": .doubles(r.trades.map(\.entryPrice)),
            "exit_price": .doubles(r.trades.map(\.exitPrice)),
            "size": .doubles(r.trades.map(\.size)),
            "entry_fees": .doubles(r.trades.map(\.entryFees)),
            "exit_fees": .doubles(r.trades.map(\.exitFees)),
            "pnl": .doubles(r.trades.map(\.pnl)),
            "return": .doubles(r.trades.map(\.returnFraction)),
            "exit_reason": .strings(r.trades.map(\.exitReason.rawValue)),
        ])
    }

    static func equity(_ r: RunReport) -> ParquetTable {
        var t = ParquetTable()
        t.append("date", .timestamps(seconds: Array(r.panel.timestamps.prefix(r.equity.count))))
        t.append("portfolio", .doubles(r.equity))
        for (s, e) in r.symbolEquity.enumerated() { t.append(r.panel.symbols[s], .doubles(e)) }
        return t
    }

    static func sweep(_ s: SweepTable) -> ParquetTable {
        var t = ParquetTable()
        t.append("rank", .int64s(s.rows.indices.map { Int64($0 + 1) }))
        for (k, name) in s.paramNames.enumerated() {
            let texts = s.rows.map { $0.params[k] }
            // Numbers stay numbers, so a sweep table sorts and plots without parsing.
            let numbers = texts.compactMap(Double.init)
            t.append(name, numbers.count == texts.count ? .doubles(numbers) : .strings(texts))
        }
        for (k, name) in (s.rows.first?.metrics.fields.map(\.0) ?? []).enumerated() {
            t.append(name, .doubles(s.rows.map { $0.metrics.fields[k].1 }))
        }
        return t
    }

    /// One column per combination (`fast=5 slow=40`), one row per bar after the first.
    static func returns(_ s: SweepTable, _ r: (dates: [String], series: [[Double]])) -> ParquetTable {
        var t = ParquetTable()
        t.append("date", .timestamps(seconds: r.dates.map { Calendar.parse(Substring($0)) ?? 0 }))
        for (row, series) in zip(s.rows, r.series) {
            // A sweep without parameters has one combination: the strategy's defaults.
            let label = s.paramNames.isEmpty ? "default" : zip(s.paramNames, row.params).map { "\($0)=\($1)" }.joined(separator: " ")
            t.append(label, .doubles(r.dates.indices.map { $0 < series.count ? series[$0] : .nan }))
        }
        return t
    }

    static func bytes(_ table: ParquetTable) throws -> Data { Data(try ParquetWriter.data(table)) }
}
