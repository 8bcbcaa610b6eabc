import Foundation

/// Writes a panel as one `SYMBOL.csv` per symbol (`date,open,high,low,close,volume`, then the
/// extra fields), so other tools can run on exactly the data Lunar sees.
public enum CSVWriter {
    public static func writeFolder(_ panel: Panel, to dir: String) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let names = Panel.standardFields + panel.extraFields
        let columns = names.map { panel.fields[$0]! }
        let T = panel.barCount
        let dates = panel.timestamps.map { Calendar.format($0, daily: panel.isDaily) }
        for (s, symbol) in panel.symbols.enumerated() {
            var text = "date," + names.joined(separator: ",") + "\n"
            text.reserveCapacity(T * 100)
            for t in 0 ..< T where !panel.fields["close"]![s * T + t].isNaN {
                text += dates[t]
                for c in columns { text += ","; text += formatNumber(c[s * T + t]) }
                text += "\n"
            }
            try AtomicFile.write(text, to: URL(fileURLWithPath: dir).appendingPathComponent(symbol + ".csv").path)
        }
        if !panel.universe.delistings.isEmpty {
            var text = "symbol,date,price\n"
            for (symbol, d) in panel.universe.delistings.sorted(by: { $0.key < $1.key }) {
                text += "\(symbol),\(Calendar.format(d.date, daily: true)),\(d.price.map(formatNumber) ?? "")\n"
            }
            try AtomicFile.write(text, to: URL(fileURLWithPath: dir).appendingPathComponent(Universe.delistingsFileName).path)
        }
    }

    /// Shortest text that reads back to the same Double; empty for NaN.
    public static func formatNumber(_ v: Double) -> String {
        if v.isNaN { return "" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }
}

/// Writes files atomically: to a temporary file beside the target, then rename. A failed or
/// interrupted write never leaves a half-written file in place of a good one.
public enum AtomicFile {
    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }

    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let tmp = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)")
        do {
            try data.write(to: tmp)
            if rename(tmp.path, url.path) != 0 {
                throw DataError.invalid("cannot write \(path): rename failed (errno \(errno))")
            }
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw error
        }
    }
}
