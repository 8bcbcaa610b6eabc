"""The live page of `lunar watch --serve` in a real browser (headless Chromium over DevTools).

    python3 tools/browser/watch_page_test.py --lunar .build/debug/lunar [--screenshot page.png]

Starts `lunar watch --serve` on a free port with a strategy and data whose names hold HTML,
opens the page and checks: the charts are drawn (canvas pixels, SVG paths), names stay text,
a click sorts the symbol table, a saved edit changes the page's numbers within a bound, a
broken save shows its error with file:line and keeps the last result, the next good save clears
it, and a parameter slider re-runs the strategy. Every step is bounded; everything started is
stopped. Prints one line per check and exits 0 when all pass.
"""

import argparse
import datetime
import http.client
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdp import Browser  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
failures = []

STRATEGY = """local ta = require "ta"

return strategy {
  name = "<script>window.pwned = 'name'</script>",
  params = { fast = 10, slow = 40 },
  ranges = { fast = {2, 30}, slow = {20, 120, 5} },
  indicators = function(bars, p)
    return { fast = ta.sma(bars.close, p.fast), slow = ta.sma(bars.close, p.slow) }
  end,
  signals = function(bars, p)
    local fast, slow = ta.sma(bars.close, p.fast), ta.sma(bars.close, p.slow)
    return { entries = ta.crossover(fast, slow), exits = ta.crossunder(fast, slow) }
  end,
}
"""

SYMBOLS = ["AAA", "<img src=x onerror=\"window.pwned='symbol'\">", "<script>window.pwned='script'</script>", "BBB", "CCC"]


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def write_data(path, bars=600):
    random.seed(3)
    lines = ["date,symbol,open,high,low,close,volume"]
    start = datetime.date(2020, 1, 1)
    for sym in SYMBOLS:
        p = 100.0
        for t in range(bars):
            o = p
            p *= math.exp(random.gauss(0.0002, 0.015))
            lines.append(f"{start + datetime.timedelta(days=t)},\"{sym.replace(chr(34), chr(34) * 2)}\",{o:.4f},"
                         f"{max(o, p) * 1.004:.4f},{min(o, p) * 0.996:.4f},{p:.4f},1000")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def save(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def status(port, path, host=None, timeout=5):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.putrequest("GET", path, skip_host=True)
    c.putheader("Host", host or f"127.0.0.1:{port}")
    c.endheaders()
    code = c.getresponse().status
    c.close()
    return code


class Served:
    """`lunar ARGS… --serve --port 0` in its own process group: its URL once it serves, and its
    output lines; stopped, with everything it started, when the `with` block ends."""

    def __init__(self, lunar, args, cwd, env):
        self.process = subprocess.Popen([os.path.abspath(lunar), *args, "--serve", "--port", "0"], cwd=cwd, env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        self.out, self.err = [], []
        threading.Thread(target=lambda: [self.out.append(l) for l in self.process.stdout], daemon=True).start()
        threading.Thread(target=lambda: [self.err.append(l) for l in self.process.stderr], daemon=True).start()
        deadline = time.monotonic() + 60
        while not any(l.startswith("serving ") for l in self.out):
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.__exit__()
                raise RuntimeError(f"lunar {args[0]} --serve did not start: " + "".join(self.out + self.err)[-2000:])
            time.sleep(0.02)
        self.url = next(l.split()[1] for l in self.out if l.startswith("serving "))

    def __enter__(self):
        return self

    def __exit__(self, *_):
        try:
            os.killpg(self.process.pid, 9)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)


def token_mode(lunar, env):
    """Bound to every address (reached here through 127.0.0.1 only), the server warns and
    answers only URLs with its token."""
    work = tempfile.mkdtemp(prefix="lunar-watch-token-")
    save(os.path.join(work, "s.lua"), STRATEGY)
    try:
        with Served(lunar, ["watch", "s.lua", "--data", "synthetic:3:200", "--host", "0.0.0.0"], work, env) as served:
            url = served.url
            check("?token=" in url and any("warning" in l and "token" in l for l in served.err), f"off loopback: a warning and a token ({url})")
            port, token = int(url.split(":")[2].split("/")[0]), url.split("token=")[1]
            check(status(port, "/") == 403 and status(port, "/events") == 403 and status(port, "/?token=wrong") == 403,
                  "without the token every request is refused")
            check(status(port, "/?token=" + token) == 200, "with the token the page is served")
    except Exception as e:
        check(False, f"token mode: {type(e).__name__}: {e}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def sweep_page(lunar, env):
    """`lunar sweep --serve`: the heatmap fills in while the combinations run."""
    work = tempfile.mkdtemp(prefix="lunar-sweep-page-")
    shutil.copy(os.path.join(ROOT, "strategies", "sma_cross.lua"), work)
    browser = served = None
    try:
        served = Served(lunar, ["sweep", "sma_cross.lua", "--data", "synthetic:40:1200:5", "--param", "fast=2:30",
                                "--param", "slow=20:120:5", "--where", "fast < slow", "--no-record"], work, env)
        url = served.url
        browser = Browser()
        browser.call("Page.navigate", url=url)
        seen = set()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            state = browser.evaluate("document.body ? [document.body.dataset.done, document.body.dataset.finished || ''] : null")
            if state:
                seen.add(int(state[0] or 0))
                if state[1]:
                    break
            time.sleep(0.02)
        total = max(seen)
        check(browser.evaluate("document.body.dataset.finished") == "1" and any(0 < n < total for n in seen),
              f"the sweep's heatmap filled in as combinations finished ({sorted(seen)[:6]}… of {total})")
        drawn = browser.evaluate("""(function(){var c=document.querySelector('#heatmap canvas'),d=c.getContext('2d').getImageData(0,0,c.width,c.height).data,n=0;
            for(var i=0;i<d.length;i+=4) if(d[i+3]>0 && !(d[i]==243&&d[i+1]==244&&d[i+2]==246)) n++; return n})()""")
        check(drawn > 5000, f"the heatmap is drawn ({drawn} coloured pixels)")
        check(browser.evaluate("document.querySelectorAll('#best tbody tr').length") == 10 and
              "PSR" in browser.evaluate("document.getElementById('statistics').textContent"), "the best combinations and the statistics shown")
    except Exception as e:
        check(False, f"sweep page: {type(e).__name__}: {e}")
    finally:
        if browser is not None:
            browser.close()
        if served is not None:
            served.__exit__()
        shutil.rmtree(work, ignore_errors=True)


def report_page(lunar, env, strategy, data):
    """report.html from `lunar run --out`, opened from file:// with no server: every symbol's
    price chart is embedded and drawn when its row is clicked."""
    out = tempfile.mkdtemp(prefix="lunar-report-")
    browser = None
    try:
        subprocess.run([os.path.abspath(lunar), "run", strategy, "--data", data, "--out", out + "/r", "--no-record"],
                       env=env, check=True, stdout=subprocess.DEVNULL, timeout=120)
        browser = Browser()
        browser.call("Page.navigate", url="file://" + out + "/r/report.html")
        browser.wait_for("document.readyState === 'complete' && document.getElementById('price-symbol').textContent")
        first = browser.evaluate("document.getElementById('price-symbol').textContent")
        drawn = browser.evaluate("""(function(){var c=document.querySelector('#price canvas'),d=c.getContext('2d').getImageData(0,0,c.width,c.height).data,n=0;
            for(var i=3;i<d.length;i+=4) if(d[i]>0) n++; return n})()""")
        browser.evaluate("document.querySelectorAll('tr[data-s]')[2].click()")
        picked = browser.evaluate("document.getElementById('price-symbol').textContent")
        check(drawn > 5000 and first != picked and picked in SYMBOLS and browser.evaluate("window.pwned === undefined"),
              f"report.html draws the clicked symbol's price chart offline ({first!r} → {picked!r}, {drawn} pixels)")
    except Exception as e:
        check(False, f"report.html: {type(e).__name__}: {e}")
    finally:
        if browser is not None:
            browser.close()
        shutil.rmtree(out, ignore_errors=True)


def screenshot_of(lunar, strategy, out):
    """The page of `strategy` on 40 synthetic symbols, for docs/."""
    env = dict(os.environ, LUNAR_STDLIB=os.path.join(ROOT, "stdlib"))
    with Served(lunar, ["watch", os.path.abspath(strategy), "--data", "synthetic:40:1500:3", "--fees", "0.001"], None, env) as served:
        url = served.url
        browser = Browser(width=1200, height=2100)
        try:
            browser.call("Page.navigate", url=url)
            browser.wait_for("document.body && document.body.dataset.symbol")
            browser.evaluate("document.querySelector('table.symbols th[data-key=sharpe]').click()")
            browser.evaluate("document.querySelector('table.symbols tbody tr').click()")
            time.sleep(0.5)
            browser.screenshot(out)
            print(f"screenshot: {out}")
            return 0
        finally:
            browser.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--lunar", required=True)
    p.add_argument("--screenshot", help="also write a PNG of the page here")
    p.add_argument("--screenshot-of", help="only write --screenshot of this strategy's page (on the synthetic universe)")
    a = p.parse_args()
    if a.screenshot_of:
        return screenshot_of(a.lunar, a.screenshot_of, a.screenshot)
    work = tempfile.mkdtemp(prefix="lunar-watch-page-")
    strategy, data = os.path.join(work, "live.lua"), os.path.join(work, "prices.csv")
    save(strategy, STRATEGY)
    write_data(data)
    env = dict(os.environ, LUNAR_STDLIB=os.path.join(ROOT, "stdlib"))
    browser = served = None
    try:
        served = Served(a.lunar, ["watch", strategy, "--data", data], work, env)
        url = served.url
        check(url.startswith("http://127.0.0.1:") and "token" not in url, f"served on loopback without a token ({url})")

        browser = Browser()
        browser.call("Page.navigate", url=url)
        browser.wait_for("document.body && document.body.dataset.run === '1' && document.body.dataset.symbol")
        check(browser.evaluate("document.getElementById('name').textContent") == "<script>window.pwned = 'name'</script>",
              "the strategy's name is shown as text")
        # The price chart is drawn: enough non-blank pixels on its canvas.
        drawn = browser.evaluate("""(function(){var c=document.querySelector('#price canvas'),d=c.getContext('2d').getImageData(0,0,c.width,c.height).data,n=0;
            for(var i=3;i<d.length;i+=4) if(d[i]>0) n++; return n})()""")
        check(drawn > 5000, f"the price chart's canvas is drawn ({drawn} pixels)")
        paths = browser.evaluate("Array.prototype.map.call(document.querySelectorAll('#equity path, #drawdown path'), function(p){return p.getAttribute('d').length})")
        check(len(paths) >= 2 and min(paths) > 100, f"equity and drawdown charts drawn ({paths})")
        check(browser.evaluate("document.querySelectorAll('#cards .card').length") >= 10, "summary cards shown")
        check(browser.evaluate("document.querySelectorAll('#months td').length") > 12, "monthly returns shown")
        # Names holding HTML stay text: no script of theirs ran, the table shows them as typed.
        names = browser.evaluate("Array.prototype.map.call(document.querySelectorAll('table.symbols tbody tr td:first-child'), function(td){return td.textContent})")
        check(sorted(names) == sorted(SYMBOLS), "symbols holding HTML are shown as text in the table")
        check(browser.evaluate("window.pwned === undefined"), "no name's markup ran as script")

        # Sorting: a click on "Return" sorts descending.
        browser.evaluate("document.querySelector('table.symbols th[data-key=total_return]').click()")
        values = browser.evaluate("Array.prototype.map.call(document.querySelectorAll('table.symbols tbody tr td:nth-child(2)'), function(td){return +td.dataset.v})")
        check(len(values) == len(SYMBOLS) and all(values[i] >= values[i + 1] for i in range(len(values) - 1)),
              f"a click sorts the symbol table by return, descending ({values})")
        # Picking a symbol draws its chart.
        browser.evaluate("document.querySelector('table.symbols tbody tr:nth-child(2)').click()")
        picked, _ = browser.wait_for("document.body.dataset.symbol !== 'AAA' && document.body.dataset.symbol")
        check(picked in SYMBOLS, f"clicking a row shows that symbol's chart ({picked!r})")
        browser.evaluate("document.getElementById('price-mode').click()")
        check(browser.evaluate("document.getElementById('price-mode').textContent") == "candles", "the chart switches to a line")

        # An edit: the page's numbers change, within a bound, without a reload.
        before = browser.evaluate("document.querySelector('#cards .card[data-key=total_return] .v').textContent")
        started = time.monotonic()
        save(strategy, STRATEGY.replace("fast = 10", "fast = 5"))
        browser.wait_for("document.body.dataset.run === '2'", timeout=10, interval=0.002)
        latency = time.monotonic() - started
        after = browser.evaluate("document.querySelector('#cards .card[data-key=total_return] .v').textContent")
        was = browser.evaluate("document.querySelector('#cards .card[data-key=total_return] .d').textContent")
        check(after != before and was == "was " + before, f"a save changes the page's numbers ({before} → {after}, '{was}')")
        check(latency < 2.0, f"the page updated {latency * 1000:.0f} ms after the save (bound 2 s in a debug build)")

        # A broken save: the error with file:line, the last good result kept.
        save(strategy, STRATEGY.replace("fast = 5", "fast = 5").replace("return strategy {", "return strategy {{"))
        message, _ = browser.wait_for("!document.getElementById('error').hidden && document.getElementById('error').textContent", timeout=10)
        check("live.lua:" in message and any(ch.isdigit() for ch in message.split("live.lua:")[1][:4]),
              f"a broken save shows its error with file:line ({message.splitlines()[0][:120]!r})")
        check(browser.evaluate("document.body.dataset.run") == "2" and
              browser.evaluate("document.querySelector('#cards .card[data-key=total_return] .v').textContent") == after,
              "the last good result stays on the page")
        save(strategy, STRATEGY.replace("fast = 10", "fast = 12"))
        browser.wait_for("document.body.dataset.run === '3'", timeout=10)
        check(browser.evaluate("document.getElementById('error').hidden"), "the next good save clears the error")

        # A parameter edited in the page re-runs the strategy, within its declared range.
        slider = browser.evaluate("(function(){var i=document.querySelector('#params input[name=fast]');return [i.type,i.min,i.max,i.value]})()")
        check(slider == ["range", "2", "30", "12"], f"the fast slider spans its declared range ({slider})")
        browser.evaluate("(function(){var i=document.querySelector('#params input[name=fast]');i.value='20';i.dispatchEvent(new Event('change'))})()")
        browser.wait_for("document.body.dataset.run === '4'", timeout=10)
        check(browser.evaluate("document.querySelector('#params input[name=fast]').value") == "20", "the slider re-ran the strategy with fast = 20")
        # 10,000 bars: zooming and panning redraw in well under a frame's budget.
        ms = browser.evaluate("""(function(){var n=10000,c=[],o=[],h=[],l=[],d=[],p=100;
            for(var i=0;i<n;i++){o.push(p);p*=Math.exp((Math.sin(i*7.3)%1)*0.01);c.push(p);h.push(Math.max(o[i],p)*1.01);l.push(Math.min(o[i],p)*0.99);d.push(String(i))}
            var el=document.createElement('div');el.style.width='1100px';document.body.appendChild(el);
            var ch=Lunar.priceChart(el,{dates:d,open:o,high:h,low:l,close:c,indicators:[{name:'x',values:c}],trades:[],position:[]});
            var t0=performance.now();for(var k=0;k<20;k++){ch.zoom(k*100,n-k*100)}var t=(performance.now()-t0)/20;el.remove();return t})()""")
        check(ms < 50, f"a 10,000-bar price chart redraws in {ms:.1f} ms (bound 50 ms)")
        # Only its own page and results: no file by path, no foreign Host (DNS rebinding).
        port = int(url.rsplit(":", 1)[1].strip("/"))
        check(status(port, "/../../etc/passwd") == 404 and status(port, "/live.lua") == 404 and status(port, "/prices.csv") == 404,
              "no file is served by its path")
        check(status(port, "/", host="attacker.example") == 403, "a request naming another host is refused")
        check(status(port, "/api/symbol/99") == 404, "an unknown symbol is a 404")
        if a.screenshot:
            browser.evaluate("window.scrollTo(0,0)")
            browser.screenshot(a.screenshot)
            print(f"screenshot: {a.screenshot}", flush=True)
    except Exception as e:
        check(False, f"{type(e).__name__}: {e}")
    finally:
        if browser is not None:
            browser.close()
        if served is not None:
            served.__exit__()
    # The strategy as the last good save left it, on the same data.
    report_page(a.lunar, env, strategy, data)
    shutil.rmtree(work, ignore_errors=True)
    token_mode(a.lunar, env)
    sweep_page(a.lunar, env)
    print(f"{len(failures)} failed" if failures else "all page checks passed", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
