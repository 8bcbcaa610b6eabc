import Foundation
import Lunar

/// A sweep as the live page shows it while it runs: the ranking metric over the first two
/// swept parameters (the best over any others), the best combinations so far, and at the end
/// the statistics. `add` is called from the sweep's thread; the page gets at most one event
/// every `interval` seconds while combinations finish, and always the last.
public final class SweepLive: @unchecked Sendable {
    let state: LiveState
    let strategy: String
    let metric: String
    let space: [ParamSpace]
    let total: Int
    let interval: Double
    private let lock = NSLock()
    private var cells: [String: (x: Int, y: Int, value: Double)] = [:]
    private var best: [(params: [(name: String, value: String)], value: Double)] = []
    private var done = 0
    private var lastSent = Date.distantPast

    public init(state: LiveState, strategy: String, metric: String, space: [ParamSpace], total: Int, interval: Double = 0.2) {
        self.state = state; self.strategy = strategy; self.metric = metric; self.space = space; self.total = total; self.interval = interval
    }

    var direction: MetricDirection { Metrics.info(metric)?.direction ?? .higher }

    public func add(_ rows: [SweepRow]) {
        lock.lock()
        for r in rows {
            let v = r.metrics.value(metric)
            let values = Dictionary(uniqueKeysWithValues: r.params.map { ($0.name, $0.value) })
            let x = space.first.flatMap { p in values[p.name].flatMap { p.values.firstIndex(of: $0) } } ?? 0
            let y = space.count > 1 ? (values[space[1].name].flatMap { space[1].values.firstIndex(of: $0) } ?? 0) : 0
            // A cell keeps the best of the combinations that land on it (a finite value beats NaN).
            let key = "\(x):\(y)"
            let better = cells[key].map { old in v.isFinite && (!old.value.isFinite || direction.ranksBefore(v, old.value)) } ?? true
            if better { cells[key] = (x, y, v) }
            if v.isFinite { best.append((r.params, v)) }
        }
        best.sort { direction.ranksBefore($0.value, $1.value) }
        if best.count > 10 { best.removeLast(best.count - 10) }
        done += rows.count
        let due = Date().timeIntervalSince(lastSent) >= interval || done >= total
        if due { lastSent = Date() }
        lock.unlock()
        if due { state.send("sweep", payload(finished: false, statistics: nil)) }
    }

    /// The last event: every combination, and the statistics block.
    public func finish(statistics: String) { state.send("sweep", payload(finished: true, statistics: statistics)) }

    func payload(finished: Bool, statistics: String?) -> [String: Any] {
        lock.lock(); defer { lock.unlock() }
        var out: [String: Any] = [
            "strategy": strategy, "metric": metric, "higherIsBetter": direction != .lower, "done": done, "total": total,
            "finished": finished, "xName": space.first?.name ?? "", "yName": space.count > 1 ? space[1].name : "",
            "x": space.first?.values ?? [""], "y": space.count > 1 ? space[1].values : [""],
            "cells": cells.values.sorted { ($0.y, $0.x) < ($1.y, $1.x) }.map { [$0.x, $0.y, LivePayload.json($0.value)] as [Any] },
            "best": best.map { b in ["params": b.params.map { "\($0.name)=\($0.value)" }.joined(separator: " "),
                                     "text": MetricFormat.text(metric, b.value)] },
        ]
        if let statistics { out["statistics"] = statistics }
        return out
    }
}

/// The page of `lunar sweep --serve`.
enum SweepPage {
    static func html(title: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(HTMLReport.esc(title)) — lunar sweep</title>
        <style>\(HTMLReport.css)\(WatchPage.css)</style></head><body data-done="0">
        <header><h1 id="name">\(HTMLReport.esc(title))</h1><p class="sub" id="sub">waiting for the first combinations…</p></header>
        <h2 id="heading">Heatmap</h2><div id="heatmap"></div>
        <h2>Best so far</h2><table id="best"><thead><tr><th>Combination</th><th id="metric"></th></tr></thead><tbody></tbody></table>
        <pre id="statistics" hidden></pre>
        \(ChartScripts.inline)<script>\(script)</script></body></html>
        """
    }

    static let script = """
    (function(){
      "use strict";
      var L=window.Lunar,$=function(id){return document.getElementById(id)};
      var token=new URLSearchParams(location.search).get("token");
      var events=new EventSource("/events"+(token?"?token="+encodeURIComponent(token):""));
      events.addEventListener("sweep",function(e){
        var s=JSON.parse(e.data);
        $("name").textContent=s.strategy;
        $("sub").textContent=s.done+" of "+s.total+" combinations"+(s.finished?", finished":" …")+" · ranked by "+s.metric;
        $("heading").textContent=s.metric+" by "+s.xName+(s.yName?" and "+s.yName:"");
        L.heatmap($("heatmap"),s);
        $("metric").textContent=s.metric;
        var body=$("best").tBodies[0];body.innerHTML="";
        s.best.forEach(function(b){var tr=body.insertRow();tr.insertCell().textContent=b.params;tr.insertCell().textContent=b.text});
        if(s.statistics){$("statistics").hidden=false;$("statistics").textContent=s.statistics}
        document.body.dataset.done=s.done;document.body.dataset.cells=s.cells.length;if(s.finished)document.body.dataset.finished="1";
      });
    })();
    """
}
