#!/usr/bin/env bash
# Peer comparison for W3 (per-bar trailing-stop breakout, strategies/trailing_breakout.lua):
# Lunar vs backtesting.py and backtrader, in bars per second per core.
#
#   bench/peers/run_w3.sh [BT_SYMBOLS] [BTR_SYMBOLS]     (defaults: 20 for backtesting.py, 10 for backtrader)
#
# Lunar runs its W3 workload (1000 symbols x 2520 bars, one thread, median of 3). The peers are
# slow, so they run over the first BT_SYMBOLS / BTR_SYMBOLS symbols of the same synthetic
# universe (lunar data gen, default seed; symbol k is the same series whatever the universe
# size), one backtest per symbol, single-threaded: their bars/s is their bars/s per core.
# PEER_RUNS (default 3) timed passes after a one-symbol warm-up; the median is reported.
# Trade counts per symbol are checked against `lunar run` on the same CSVs.
#
# Uses the virtualenv .build-venv-peers/ (git-ignored), installing backtesting and backtrader
# into it if missing, unless PEERS_PYTHON names a Python that already has them. Uses the lunar
# binary named by LUNAR if set, else builds .build/release/lunar. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/../.."
BT_N=${1:-20}
BTR_N=${2:-10}
PEER_RUNS=${PEER_RUNS:-3}
DATA=${DATA:-.build-peers-data/100x2520}
N=$(( BT_N > BTR_N ? BT_N : BTR_N ))
SUBSET=.build-peers-data/w3-first${N}
LUNAR_OUT=.build-peers-data/w3-lunar-run-${N}

if [[ -n "${PEERS_PYTHON:-}" ]]; then
  PY=$PEERS_PYTHON
else
  [[ -x .build-venv-peers/bin/python ]] || { python3 -m venv .build-venv-peers; .build-venv-peers/bin/pip install --quiet --upgrade pip; }
  PY=.build-venv-peers/bin/python
  "$PY" -c "import backtesting, backtrader" 2>/dev/null || "$PY" -m pip install --quiet backtesting backtrader
fi

if [[ -z "${LUNAR:-}" ]]; then swift build -c release >/dev/null; LUNAR=.build/release/lunar; fi
if [[ ! -d "$DATA" ]]; then "$LUNAR" data gen "$DATA" --symbols 100 --bars 2520 >/dev/null; fi

# Lunar: W3's bars/s per core is of the per-bar phase (Lua on_bar + simulation), one thread.
LUNAR_JSON=$("$LUNAR" bench --workloads W3 --runs 3 --threads 1 --json)
BT_JSON=$("$PY" bench/peers/w3_perbar.py "$DATA" backtesting "$BT_N" "$PEER_RUNS")
BTR_JSON=$("$PY" bench/peers/w3_perbar.py "$DATA" backtrader "$BTR_N" "$PEER_RUNS")

# Cross-check: lunar run over the same first N symbols, same rules, closed trades per symbol.
rm -rf "$SUBSET" "$LUNAR_OUT"; mkdir -p "$SUBSET"
for f in $(ls "$DATA" | grep '\.csv$' | sort | head -n "$N"); do cp "$DATA/$f" "$SUBSET/"; done
"$LUNAR" run strategies/trailing_breakout.lua --data "$SUBSET" --fees 0.001 --fill close --threads 1 \
  --out "$LUNAR_OUT" --no-record >/dev/null

"$PY" - "$LUNAR_JSON" "$BT_JSON" "$BTR_JSON" "$LUNAR_OUT/trades.csv" <<'PYEOF'
import csv, json, sys
doc = json.loads(sys.argv[1])
w3 = next(w for w in doc["workloads"] if w["name"].startswith("W3"))
peers = [json.loads(sys.argv[2]), json.loads(sys.argv[3])]
closed, first = {}, {}
with open(sys.argv[4]) as f:
    for r in csv.DictReader(f):
        if r["status"] == "closed":
            closed[r["symbol"]] = closed.get(r["symbol"], 0) + 1
            first.setdefault(r["symbol"], []).append([int(r["entry_bar"]), int(r["exit_bar"])])
lunar_bps = w3["bars_per_s_per_core"]
lunar_total_bps = 1000 * 2520 / (w3["total_ms"] / 1000)   # W3's default universe
print(f"{w3['name']}, fees 0.001, median of 3 after warm-up")
print(f"  lunar            {lunar_bps / 1e6:8.3f} M bars/s per core (per-bar phase, {w3['per_bar_ms']:.0f} ms); "
      f"{lunar_total_bps / 1e6:.3f} M bars/s counting the whole backtest ({w3['total_ms']:.0f} ms)")
for p in peers:
    print(f"  {p['peer']:<22} {p['bars_per_s'] / 1e3:8.1f} k bars/s per core ({p['symbols']} symbols x "
          f"{p['bars'] // p['symbols']} bars in {p['wall_s']:.2f} s wall; {p['bars_per_s_cpu'] / 1e3:.1f} k by CPU time); "
          f"ratio lunar/peer {lunar_bps / p['bars_per_s']:.0f}x per-bar phase, {lunar_total_bps / p['bars_per_s']:.0f}x whole backtest")
for p in peers:
    counts = p["trades_per_symbol"]
    same = sum(closed.get(s, 0) == n for s, n in counts.items())
    sym0 = next(iter(counts))
    print(f"  trades vs lunar run: {p['peer']}: closed-trade counts equal on {same}/{len(counts)} symbols "
          f"({sum(counts.values())} vs {sum(closed.get(s, 0) for s in counts)}); {sym0}'s entry/exit bars "
          f"{'identical' if p['first_symbol_trades'] == first.get(sym0, []) else 'DIFFER'} ({len(p['first_symbol_trades'])} trades)")
PYEOF
