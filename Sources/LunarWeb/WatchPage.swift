import Foundation
import Lunar

/// The live page: the report's styles, the shared chart scripts and `page.js`, all inline (one
/// request, no network). It starts empty and fills from the event stream.
enum WatchPage {
    static func html(title: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(HTMLReport.esc(title)) — lunar watch</title>
        <style>\(HTMLReport.css)\(css)</style></head><body data-run="0">
        <header><h1 id="name">\(HTMLReport.esc(title))</h1><p class="sub" id="sub">waiting for the first run…</p>
        <p class="sub" id="status"></p></header>
        <div id="error" class="error" hidden></div>
        <section id="params" class="params"></section>
        <section id="cards" class="cards"></section>
        <h2>Equity</h2><div id="equity"></div>
        <h2>Drawdown</h2><div id="drawdown"></div>
        <h2>Monthly returns</h2><div id="months"></div>
        <h2>Symbols</h2><div id="symbols"></div>
        <h2>Prices and trades</h2>
        <p class="sub"><b id="price-symbol"></b> <button id="price-mode" type="button">line</button>
        click a symbol above; the wheel zooms, dragging pans, a marker shows its trade</p>
        <div id="price" class="price"></div>
        \(ChartScripts.inline)<script>\(script)</script>
        </body></html>
        """
    }

    static let script: String = {
        guard let url = Bundle.module.url(forResource: "page", withExtension: "js"),
              let text = try? String(contentsOf: url, encoding: .utf8) else {
            fatalError("page.js is missing from LunarWeb's resources")
        }
        return text
    }()

    static let css = """
    .error{background:#fef2f2;border:1px solid #fca5a5;color:#991b1b;border-radius:6px;padding:8px 12px;margin:12px 0;white-space:pre-wrap;font-family:ui-monospace,monospace;font-size:13px}
    .card .d{font-size:12px;color:#6b7280}.card .d.better{color:#15803d}.card .d.worse{color:#b91c1c}
    .params{display:flex;flex-wrap:wrap;gap:14px;align-items:center;margin:12px 0}.params label{font-size:13px}
    .params input[type=range]{vertical-align:middle;width:160px}.params output{display:inline-block;min-width:3em;font-weight:600}
    input.filter{margin:4px 0 6px;padding:3px 6px;width:220px}table.symbols th{cursor:pointer;background:#f9fafb;position:sticky;top:0}
    table.symbols th.asc::after{content:" ▲"}table.symbols th.desc::after{content:" ▼"}table.symbols tbody tr{cursor:pointer}
    table.symbols tbody tr:hover{background:#eef2ff}#symbols{max-height:360px;overflow:auto}td.n{text-align:right}
    """
}
