import Foundation
import LunarData
import LunarParquet
import LunarSim

/// Sweep results as files: `sweep.csv` and a self-contained `sweep.html`.
public struct SweepTable: Sendable {
    public var strategy: String
    public var metric: String
    public var paramNames: [String]
    /// One row per combination, best first: parameter values (in `paramNames` order) and metrics.
    public var rows: [(params: [String], metrics: Metrics)]
    /// The overfitting statistics, when the sweep computed them (docs/sweeps.md).
    public var overfitting: OverfittingSection? = nil
    /// Per combination (in `rows` order), its per-bar portfolio returns, for `returns.csv`.
    public var returns: (dates: [String], series: [[Double]])? = nil
    public init(strategy: String, metric: String, paramNames: [String], rows: [(params: [String], metrics: Metrics)]) {
        self.strategy = strategy; self.metric = metric; self.paramNames = paramNames; self.rows = rows
    }

    /// What the report shows of a sweep's overfitting statistics: its text lines, the CSCV
    /// logits (a histogram) and each split's in- and out-of-sample Sharpe of the chosen trial.
    public struct OverfittingSection: Sendable {
        public var lines: [String]
        public var logits: [Double]
        public var degradation: [(inSample: Double, outOfSample: Double)]
        public init(lines: [String], logits: [Double], degradation: [(inSample: Double, outOfSample: Double)]) {
            self.lines = lines; self.logits = logits; self.degradation = degradation
        }
    }

    public func write(to dir: String, format: ResultFormat = .csv) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let url = URL(fileURLWithPath: dir)
        switch format {
        case .csv:
            try AtomicFile.write(csv(), to: url.appendingPathComponent("sweep.csv").path)
            if let r = returns { try AtomicFile.write(returnsCSV(r), to: url.appendingPathComponent("returns.csv").path) }
        case .parquet:
            // The writer renames a finished file into place, as AtomicFile does.
            try ParquetWriter.write(ResultTables.sweep(self), to: url.appendingPathComponent("sweep.parquet").path)
            if let r = returns { try ParquetWriter.write(ResultTables.returns(self, r), to: url.appendingPathComponent("returns.parquet").path) }
        }
        try AtomicFile.write(html(), to: url.appendingPathComponent("sweep.html").path)
    }

    /// One column per combination (`fast=5 slow=40`), one row per bar after the first: what an
    /// external tool needs to recompute the statistics.
    func returnsCSV(_ r: (dates: [String], series: [[Double]])) -> String {
        let labels = rows.map { row in zip(paramNames, row.params).map { "\($0)=\($1)" }.joined(separator: " ") }
        var out = "date," + labels.map(ResultWriter.csvField).joined(separator: ",") + "\n"
        for t in r.dates.indices {
            out += r.dates[t] + "," + r.series.map { t < $0.count ? CSVWriter.formatNumber($0[t]) : "" }.joined(separator: ",") + "\n"
        }
        return out
    }

    /// The statistics' lines, the logit histogram and the degradation scatter, as inline SVG.
    func overfittingHTML(_ o: OverfittingSection) -> String {
        var out = "<h2>Is the winner real?</h2>\n<pre>" + o.lines.map(escape).joined(separator: "\n") + "</pre>\n"
        guard !o.logits.isEmpty else { return out }
        let finite = o.logits.filter(\.isFinite)
        let lo = min(finite.min() ?? -1, -0.5), hi = max(finite.max() ?? 1, 0.5)
        let bins = 30, width = 480.0, height = 160.0
        var counts = [Int](repeating: 0, count: bins)
        for x in finite { counts[min(bins - 1, Int((x - lo) / (hi - lo) * Double(bins)))] += 1 }
        let top = Double(counts.max() ?? 1)
        out += "<h3>Logits of the in-sample best's out-of-sample rank (PBO = share left of 0)</h3>\n<svg width=\"\(Int(width))\" height=\"\(Int(height + 20))\" role=\"img\">"
        for (k, c) in counts.enumerated() {
            let x = Double(k) / Double(bins) * width, h = Double(c) / top * height
            let left = lo + (Double(k) + 0.5) / Double(bins) * (hi - lo) <= 0
            out += "<rect x=\"\(fmt(x))\" y=\"\(fmt(height - h))\" width=\"\(fmt(width / Double(bins) - 1))\" height=\"\(fmt(h))\" fill=\"\(left ? "#d9534f" : "#5b9bd5")\"><title>\(c)</title></rect>"
        }
        let zero = (0 - lo) / (hi - lo) * width
        out += "<line x1=\"\(fmt(zero))\" x2=\"\(fmt(zero))\" y1=\"0\" y2=\"\(Int(height))\" stroke=\"#333\"/>"
        out += "<text x=\"0\" y=\"\(Int(height + 15))\" font-size=\"11\">\(fmt(lo))</text><text x=\"\(Int(width - 30))\" y=\"\(Int(height + 15))\" font-size=\"11\">\(fmt(hi))</text></svg>\n"
        // Degradation: one point per split (at most 2000 drawn), out-of-sample against in-sample Sharpe.
        let pts = o.degradation.filter { $0.inSample.isFinite && $0.outOfSample.isFinite }
        guard !pts.isEmpty else { return out }
        let xs = pts.map(\.inSample), ys = pts.map(\.outOfSample)
        let x0 = xs.min()!, x1 = max(xs.max()!, x0 + 1e-9), y0 = min(ys.min()!, 0), y1 = max(ys.max()!, y0 + 1e-9)
        let size = 320.0, step = max(1, pts.count / 2000)
        out += "<h3>Degradation: the chosen trial's out-of-sample Sharpe against its in-sample Sharpe, per split</h3>\n<svg width=\"\(Int(size))\" height=\"\(Int(size))\" role=\"img\">"
        for i in stride(from: 0, to: pts.count, by: step) {
            let cx = (xs[i] - x0) / (x1 - x0) * (size - 10) + 5, cy = size - 5 - (ys[i] - y0) / (y1 - y0) * (size - 10)
            out += "<circle cx=\"\(fmt(cx))\" cy=\"\(fmt(cy))\" r=\"1.5\" fill=\"#5b9bd5\" fill-opacity=\"0.5\"/>"
        }
        let zy = size - 5 - (0 - y0) / (y1 - y0) * (size - 10)
        out += "<line x1=\"0\" x2=\"\(Int(size))\" y1=\"\(fmt(zy))\" y2=\"\(fmt(zy))\" stroke=\"#999\"/></svg>\n"
        return out
    }

    func fmt(_ v: Double) -> String { String(format: "%.2f", v) }

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
        if let o = overfitting { body += overfittingHTML(o) }
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
