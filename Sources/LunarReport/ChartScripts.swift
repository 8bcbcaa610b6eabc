import Foundation

/// The charts' JavaScript (Resources/charts: one plain script per chart kind, no build step),
/// inlined by report.html and by the live page of `lunar watch --serve`, so both draw with the
/// same code and neither needs the network.
public enum ChartScripts {
    /// The scripts in load order: `common.js` first (the others use its helpers).
    public static let names = ["common", "price", "table", "heatmap"]

    /// Every chart script, each in its own `<script>` element (read once per process).
    public static let inline: String = names.map { "<script>\n" + source($0) + "</script>\n" }.joined()

    /// One script's text. The files are part of the package's resources; a build without them is
    /// broken, so their absence is a crash with the file named rather than a report without charts.
    public static func source(_ name: String) -> String {
        guard let url = Bundle.module.url(forResource: name, withExtension: "js", subdirectory: "charts"),
              let text = try? String(contentsOf: url, encoding: .utf8) else {
            fatalError("the chart script charts/\(name).js is missing from LunarReport's resources")
        }
        return text
    }
}

/// What the price chart draws for one symbol (charts/price.js): dates, prices, the trades and
/// the position, and the named indicators when the caller has them.
public enum PriceChartData {
    /// As JSON values for the live page (NaN as null).
    public static func object(_ r: RunReport, symbol s: Int, indicators: [(name: String, values: [Double])] = []) -> [String: Any] {
        var out = base(r, symbol: s)
        for name in ["open", "high", "low", "close"] {
            if let f = r.panel.fields[name] { out[name] = slice(f, s, r.panel.barCount).map(json) }
        }
        out["indicators"] = indicators.map { ["name": $0.name, "values": $0.values.map(json)] as [String: Any] }
        return out
    }

    /// Compact, for report.html's every symbol: prices as base64 Float32 (charts draw at screen
    /// precision; 4 bytes a value instead of ~18 characters of text).
    public static func packed(_ r: RunReport, symbol s: Int) -> [String: Any] {
        var out = base(r, symbol: s)
        for name in ["open", "high", "low", "close"] {
            if let f = r.panel.fields[name] { out[name] = pack(slice(f, s, r.panel.barCount)) }
        }
        return out
    }

    static func base(_ r: RunReport, symbol s: Int) -> [String: Any] {
        let trades = r.trades.filter { $0.symbol == s }
        var position = [Double](repeating: 0, count: r.panel.barCount)
        for t in trades {
            // Held after the entry bar through the bar before the exit (the exit bar too while open).
            let end = min(r.panel.barCount, t.isOpen ? t.exitBar + 1 : t.exitBar)
            if end > t.entryBar { for b in t.entryBar ..< end { position[b] += t.isShort ? -t.size : t.size } }
        }
        return ["symbol": r.panel.symbols[s],
                "trades": trades.map { t -> [String: Any] in
                    ["entry": t.entryBar, "exit": t.exitBar, "entryPrice": json(t.entryPrice), "exitPrice": json(t.exitPrice),
                     "return": json(t.returnFraction), "short": t.isShort, "open": t.isOpen, "size": json(t.size)]
                },
                "position": position.map(json)]
    }

    static func slice(_ f: [Double], _ s: Int, _ T: Int) -> [Double] { Array(f[s * T ..< (s + 1) * T]) }
    static func json(_ v: Double) -> Any { v.isFinite ? v : NSNull() }

    static func pack(_ values: [Double]) -> String {
        let floats = values.map { Float($0) }
        return floats.withUnsafeBytes { Data($0) }.base64EncodedString()
    }
}
