import Foundation
import LunarData
import LunarSim

/// Sweep results as files: `sweep.csv` and a self-contained `sweep.html`.
public struct SweepTable: Sendable {
    public var strategy: String
    public var metric: String
    public var paramNames: [String]
    /// One row per combination, best first: parameter values (in `paramNames` order) and metrics.
    public var rows: [(params: [String], metrics: Metrics)]
    public init(strategy: String, metric: String, paramNames: [String], rows: [(params: [String], metrics: Metrics)]) {
        self.strategy = strategy; self.metric = metric; self.paramNames = paramNames; self.rows = rows
    }

    public func write(to dir: String) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try AtomicFile.write(csv(), to: URL(fileURLWithPath: dir).appendingPathComponent("sweep.csv").path)
        try AtomicFile.write(html(), to: URL(fileURLWithPath: dir).appendingPathComponent("sweep.html").path)
    }

    public func csv() -> String {
        let metricNames = rows.first?.metrics.fields.map(\.0) ?? []
        var out = "rank," + (paramNames + metricNames).joined(separator: ",") + "\n"
        for (k, r) in rows.enumerated() {
            out += "\(k + 1)," + r.params.map(ResultWriter.csvField).joined(separator: ",") + ","
            out += r.metrics.fields.map { CSVWriter.formatNumber($0.1) }.joined(separator: ",") + "\n"
        }
        return out
    }

    /// A heatmap when exactly two parameters vary, a sortable table otherwise (and always below).
    public func html() -> String {
        let direction = Metrics.info(metric)?.direction ?? .neutral
        var best = "none"
        if let r = rows.first {
            let settings: [String] = zip(paramNames, r.params).map { "\(escape($0))=\(escape($1))" }
            best = settings.joined(separator: ", ") + " (\(metric) \(escape(MetricFormat.text(metric, r.metrics.value(metric)))))"
        }
        var body = "<h1>\(escape(strategy)): sweep by \(escape(metric))</h1>\n"
        body += "<p>\(rows.count) combinations, ranked by \(escape(metric)) (\(direction.phrase)). \(direction == .neutral ? "First" : "Best"): \(best)</p>\n"
        if paramNames.count == 2 { body += heatmap() }
        body += table()
        return """
            <!doctype html><html><head><meta charset="utf-8"><title>\(escape(strategy)) sweep</title>
            <style>
            body{font:14px system-ui,sans-serif;margin:24px;color:#222}
            table{border-collapse:collapse}td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}
            th{cursor:pointer;background:#f4f4f4;position:sticky;top:0}
            .heat td{width:46px;height:26px;border:1px solid #fff;font-size:11px;text-align:center}
            .heat th{cursor:default;background:none}
            </style></head><body>
            \(body)
            <script>
            document.querySelectorAll('table.sortable th').forEach((th,i)=>th.addEventListener('click',()=>{
              const t=th.closest('table'),rows=[...t.tBodies[0].rows],asc=th.dataset.asc!=='1';
              rows.sort((a,b)=>{const x=parseFloat(a.cells[i].dataset.v??a.cells[i].textContent),
                y=parseFloat(b.cells[i].dataset.v??b.cells[i].textContent);
                return (isNaN(x)?1:isNaN(y)?-1:(asc?x-y:y-x))});
              th.dataset.asc=asc?'1':'0';rows.forEach(r=>t.tBodies[0].appendChild(r));}));
            </script></body></html>

            """
    }

    func heatmap() -> String {
        let xs = unique(0), ys = unique(1)
        var cell: [String: Double] = [:]
        for r in rows { cell[r.params[0] + "\u{1}" + r.params[1]] = r.metrics.value(metric) }
        let finite = cell.values.filter(\.isFinite)
        let lo = finite.min() ?? 0, hi = finite.max() ?? 1
        let direction = Metrics.info(metric)?.direction ?? .neutral
        var out = "<h2>\(escape(metric)) by \(escape(paramNames[1])) (rows) and \(escape(paramNames[0])) (columns)</h2>\n<table class=\"heat\"><tr><th></th>"
        for x in xs { out += "<th>\(escape(x))</th>" }
        out += "</tr>\n"
        for y in ys {
            out += "<tr><th>\(escape(y))</th>"
            for x in xs {
                if let v = cell[x + "\u{1}" + y], v.isFinite {
                    let f = hi > lo ? (v - lo) / (hi - lo) : 0.5
                    let text = escape(MetricFormat.text(metric, v))
                    out += "<td style=\"background:\(color(f, direction))\" title=\"\(escape(paramNames[0]))=\(escape(x)) \(escape(paramNames[1]))=\(escape(y)): \(text)\">\(text)</td>"
                } else {
                    out += "<td></td>"
                }
            }
            out += "</tr>\n"
        }
        return out + "</table>\n"
    }

    func table() -> String {
        let metricNames = rows.first?.metrics.fields.map(\.0) ?? []
        var out = "<h2>All combinations</h2>\n<table class=\"sortable\"><thead><tr><th>rank</th>"
        for n in paramNames + metricNames { out += "<th>\(escape(n))</th>" }
        out += "</tr></thead><tbody>\n"
        for (k, r) in rows.enumerated() {
            out += "<tr><td>\(k + 1)</td>" + r.params.map { "<td>\(escape($0))</td>" }.joined()
            out += r.metrics.fields.map { "<td data-v=\"\($0.1.isFinite ? "\($0.1)" : "NaN")\">\(escape(MetricFormat.text($0.0, $0.1)))</td>" }.joined() + "</tr>\n"
        }
        return out + "</tbody></table>\n"
    }

    func unique(_ k: Int) -> [String] {
        var seen: [String] = []
        for r in rows where !seen.contains(r.params[k]) { seen.append(r.params[k]) }
        return seen.sorted { (Double($0) ?? .infinity, $0) < (Double($1) ?? .infinity, $1) }
    }

    /// Red (worst) through white to green (best), `f` being the value's place from the smallest
    /// (0) to the largest (1); a neutral metric (neither way better) goes from white to blue.
    func color(_ f: Double, _ direction: MetricDirection) -> String {
        let g = max(0, min(1, direction == .lower ? 1 - f : f))
        if direction == .neutral { return "rgb(\(Int(255 - 196 * g)),\(Int(255 - 125 * g)),\(Int(255 - 9 * g)))" }
        let (r, gr, b) = g < 0.5 ? (255.0, 255 * g * 2, 255 * g * 2) : (255 * (1 - g) * 2, 255 - 110 * (g - 0.5), 255 * (1 - g) * 2)
        return "rgb(\(Int(r)),\(Int(gr)),\(Int(b)))"
    }

    func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
