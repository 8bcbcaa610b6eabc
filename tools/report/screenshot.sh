#!/usr/bin/env bash
# Render a Lunar report.html in headless Chromium and save a full-page PNG screenshot.
#
#   tools/report/screenshot.sh RESULTS_DIR/report.html [OUT.png] [WIDTH] [HEIGHT]
#
# Needs Debian's `chromium` package (apt-get install -y chromium). The page is opened from
# file:// with networking disabled (--proxy-server to a dead port and no DNS), so a report that
# needed the network would show up broken in the screenshot. Also prints the page's text
# length from --dump-dom as a quick check that the script ran (the sortable tables are built
# by inline JS, which this exercises).
#   tools/report/screenshot.sh --watch STRATEGY [OUT.png]
#
# The second form starts `lunar watch STRATEGY --serve` on the synthetic universe and writes a
# screenshot of the live page (docs/images/watch-page.png by default), through the browser test's
# DevTools driver (tools/browser).
set -euo pipefail
if [ "${1:-}" = "--watch" ]; then
  cd "$(dirname "$0")/../.."
  LUNAR=${LUNAR:-.build/debug/lunar}
  [ -x "$LUNAR" ] || swift build --product lunar >/dev/null
  exec python3 tools/browser/watch_page_test.py --lunar "$LUNAR" --screenshot-of "${2:?usage: screenshot.sh --watch STRATEGY [OUT.png]}" \
    --screenshot "${3:-docs/images/watch-page.png}"
fi
html="${1:?usage: screenshot.sh report.html [out.png] [width] [height]}"
out="${2:-${html%.html}.png}"
width="${3:-1200}"
height="${4:-3000}"
CHROME="${CHROMIUM:-$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)}"
[ -n "$CHROME" ] || { echo "chromium not found: apt-get install -y chromium" >&2; exit 2; }
abs="$(cd "$(dirname "$html")" && pwd)/$(basename "$html")"
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run
       --proxy-server=127.0.0.1:9 --host-resolver-rules="MAP * ~NOTFOUND"
       --user-data-dir="$(mktemp -d)")
"$CHROME" "${flags[@]}" --window-size="$width,$height" --screenshot="$out" "file://$abs" 2>/dev/null
dom="$("$CHROME" "${flags[@]}" --dump-dom "file://$abs" 2>/dev/null)"
echo "screenshot: $out ($(stat -c %s "$out") bytes); DOM $(printf %s "$dom" | wc -c) chars, $(printf %s "$dom" | grep -o '<svg' | wc -l) charts"

# Sorting check: a copy of the page clicks the symbol table's "Return" header twice (descending)
# and marks the body with the first row's symbol and whether the column is in order.
probe="$(mktemp --suffix=.html)"
sed 's#</body></html>#<script>(function(){var t=document.querySelector("table.sortable"),h=t.tHead.rows[0].cells[2];h.click();h.click();var v=Array.prototype.map.call(t.tBodies[0].rows,function(r){return +r.cells[2].dataset.v});var ok=v.every(function(x,i){return i==0||v[i-1]>=x});document.body.setAttribute("data-sort-check",(ok?"ok ":"BAD ")+t.tBodies[0].rows[0].cells[0].textContent)})()</script></body></html>#' "$abs" > "$probe"
check="$("$CHROME" "${flags[@]}" --dump-dom "file://$probe" 2>/dev/null | grep -o 'data-sort-check="[^"]*"' || true)"
rm -f "$probe"
echo "sort by return, descending: ${check:-no result}"
case "$check" in *'"ok '*) ;; *) echo "sorting check failed" >&2; exit 1 ;; esac
