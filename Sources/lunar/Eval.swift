import ArgumentParser
import Foundation
import Lunar

/// `lunar eval EXPR`: prints a series expression's values for one symbol, or writes them all.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a series expression, e.g. 'ta.rsi(close, 14)' or 'ta.macd(close)'.",
        discussion: """
            Fields of the data (close, open, high, low, volume, …) are globals, and `ta` holds every \
            indicator (see `lunar list indicators`). Several values may be separated by commas; as \
            in Lua, only the last call of such a list returns all of its outputs. Prints date and \
            value columns for one symbol; --out writes every symbol.
            """)

    @Argument(help: "The expression, in the strategy DSL.") var expression: String
    @OptionGroup var dataOptions: DataOptions
    @Option(help: "The symbol to print (default: the first).") var symbol: String?
    @Flag(help: "Print CSV instead of an aligned table.") var csv = false
    @Option(help: "Write every symbol to this CSV file (symbol,date,values…) instead of printing.") var out: String?
    @Option(help: ArgumentHelp(Setting.builtIn("timezone").doc, valueName: "TIMEZONE")) var timezone = "UTC"
    @Option(help: ArgumentHelp(Setting.builtIn("session").doc, valueName: "HH:MM-HH:MM")) var session: String?

    /// The clock the expression reads, checked by the same settings as a run's.
    func hours() throws -> TradingHours {
        var o = SimulationOptions()
        try o.set("timezone", .text(timezone))
        if let session { try o.set("session", .text(session)) }
        return o.hours
    }

    func run() throws {
        do {
            let panel = try dataOptions.load()
            let result = try ExpressionEval.run(expression, panel: panel, hours: try hours())
            if let out {
                try AtomicFile.write(Eval.csvAll(result), to: out)
                print("wrote \(panel.symbolCount) symbols × \(panel.barCount) bars to \(out)")
                return
            }
            let s = try symbolIndex(panel)
            print(csv ? Eval.csvOne(result, symbol: s) : Eval.table(result, symbol: s), terminator: "")
        } catch {
            throw fail(error)
        }
    }

    private func symbolIndex(_ panel: Panel) throws -> Int {
        guard let symbol else { return 0 }
        if let s = panel.symbolIndex(symbol) { return s }
        let near = closestMatches(to: symbol, in: panel.symbols)
        throw ValidationError("no symbol '\(symbol)' in the data" +
            (near.isEmpty ? "" : "; did you mean \(near.map { "'\($0)'" }.joined(separator: ", "))?"))
    }

    static func dates(_ panel: Panel) -> [String] { panel.timestamps.map { Calendar.format($0, daily: panel.isDaily) } }

    static func csvOne(_ r: ExpressionResult, symbol s: Int) -> String {
        var text = "date," + r.columns.map { quote($0.name) }.joined(separator: ",") + "\n"
        let cols = r.columns.indices.map { Array(r.series($0, symbol: s)) }
        for (t, d) in dates(r.panel).enumerated() {
            text += d
            for c in cols { text += "," + CSVWriter.formatNumber(c[t]) }
            text += "\n"
        }
        return text
    }

    static func csvAll(_ r: ExpressionResult) -> String {
        var text = "symbol,date," + r.columns.map { quote($0.name) }.joined(separator: ",") + "\n"
        let dates = dates(r.panel)
        for (s, name) in r.panel.symbols.enumerated() {
            let cols = r.columns.indices.map { Array(r.series($0, symbol: s)) }
            for (t, d) in dates.enumerated() {
                text += name + "," + d
                for c in cols { text += "," + CSVWriter.formatNumber(c[t]) }
                text += "\n"
            }
        }
        return text
    }

    /// Right-aligned columns, NaN shown as NaN, numbers with up to 6 decimals.
    static func table(_ r: ExpressionResult, symbol s: Int) -> String {
        let header = ["date"] + r.columns.map(\.name)
        let cols = r.columns.indices.map { Array(r.series($0, symbol: s)) }
        var rows = [header]
        for (t, d) in dates(r.panel).enumerated() {
            rows.append([d] + cols.map { show($0[t]) })
        }
        let widths = header.indices.map { k in rows.map { $0[k].count }.max()! }
        var text = "\(r.panel.symbols[s]): \(r.expression.expression)\n"
        for row in rows {
            text += row.enumerated().map { k, v in
                k == 0 ? v.padding(toLength: widths[k], withPad: " ", startingAt: 0)
                       : String(repeating: " ", count: widths[k] - v.count) + v
            }.joined(separator: "  ") + "\n"
        }
        return text
    }

    static func show(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        var s = String(format: "%.6f", v)
        while s.hasSuffix("0") { s.removeLast() }
        return s
    }

    static func quote(_ s: String) -> String { s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s }
}
