#!/usr/bin/env bash
# Peer comparison for W3 (per-bar trailing-stop breakout, strategies/trailing_breakout.lua):
# Lunar vs nautilus_trader's BacktestEngine (bench/peers/w3_nautilus.py), bars per second per core.
# The third W3 peer, next to backtesting.py and backtrader (bench/peers/run_w3.sh).
#
#   bench/peers/run_w3_nautilus.sh [NAUTILUS_N]     (default: NAUTILUS_N env var, else 10 symbols)
#
# Lunar runs its W3 workload (1000 symbols x 2520 bars, one thread, median of 3). nautilus runs
# over the first NAUTILUS_N symbols of the same synthetic universe (lunar data gen, default seed;
# symbol k is the same series whatever the universe size), one BacktestEngine per symbol,
# single-threaded: its bars/s is its bars/s per core. PEER_RUNS (default 3) timed passes after a
# one-symbol warm-up; the median is reported. Closed-trade counts per symbol, and every symbol's
# entry/exit bars, are checked against `lunar run` on the same CSVs (--fill close --fees 0.001);
# the script exits 1 if any symbol differs, after printing the first differing symbol and bar.
#
# Uses the virtualenv .build-venv-nautilus/ (git-ignored by .build-*), installing
# bench/peers/requirements-nautilus.txt into it if missing, unless NAUTILUS_PYTHON names a
# Python that already has it. Uses the lunar binary named by LUNAR if set, else builds
# .build/release/lunar. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/../.."
NT_N=${1:-${NAUTILUS_N:-10}}
PEER_RUNS=${PEER_RUNS:-3}
DATA=${DATA:-.build-peers-data/100x2520}
SUBSET=.build-peers-data/w3n-first${NT_N}
LUNAR_OUT=.build-peers-data/w3n-lunar-run-${NT_N}

if [[ -n "${NAUTILUS_PYTHON:-}" ]]; then
  PY=$NAUTILUS_PYTHON
else
  [[ -x .build-venv-nautilus/bin/python ]] || { python3 -m venv .build-venv-nautilus; .build-venv-nautilus/bin/pip install --quiet --upgrade pip; }
  PY=.build-venv-nautilus/bin/python
  "$PY" -c "import nautilus_trader" 2>/dev/null || "$PY" -m pip install --quiet -r bench/peers/requirements-nautilus.txt
fi

if [[ -z "${LUNAR:-}" ]]; then swift build -c release >/dev/null; LUNAR=.build/release/lunar; fi
if [[ ! -d "$DATA" ]]; then "$LUNAR" data gen "$DATA" --symbols 100 --bars 2520 >/dev/null; fi

# Lunar: W3's bars/s per core is of the per-bar phase (Lua on_bar + simulation), one thread.
LUNAR_JSON=$("$LUNAR" bench --workloads W3 --runs 3 --threads 1 --json)
NT_JSON=$("$PY" bench/peers/w3_nautilus.py "$DATA" "$NT_N" "$PEER_RUNS")

# Cross-check: lunar run over the same first N symbols, same rules, closed trades per symbol.
rm -rf "$SUBSET" "$LUNAR_OUT"; mkdir -p "$SUBSET"
for f in $(ls "$DATA" | grep '\.csv$' | sort | head -n "$NT_N"); do cp "$DATA/$f" "$SUBSET/"; done
"$LUNAR" run strategies/trailing_breakout.lua --data "$SUBSET" --fees 0.001 --fill close --threads 1 \
  --out "$LUNAR_OUT" --no-record >/dev/null

"$PY" - "$LUNAR_JSON" "$NT_JSON" "$LUNAR_OUT/trades.csv" <<'PYEOF'
import csv, json, sys
doc = json.loads(sys.argv[1])
w3 = next(w for w in doc["workloads"] if w["name"].startswith("W3"))
p = json.loads(sys.argv[2])
lunar = {}
with open(sys.argv[3]) as f:
    for r in csv.DictReader(f):
        if r["status"] == "closed":
            lunar.setdefault(r["symbol"], []).append((int(r["entry_bar"]), int(r["exit_bar"])))
lunar_bps = w3["bars_per_s_per_core"]
lunar_total_bps = 1000 * 2520 / (w3["total_ms"] / 1000)   # W3's default universe
per_sym = p["bars"] // p["symbols"]
print(f"{w3['name']}, fees 0.001, median of 3 after warm-up")
print(f"  lunar            {lunar_bps / 1e6:8.3f} M bars/s per core (per-bar phase, {w3['per_bar_ms']:.0f} ms); "
      f"{lunar_total_bps / 1e6:.3f} M bars/s counting the whole backtest ({w3['total_ms']:.0f} ms)")
print(f"  {p['peer']:<22} {p['bars_per_s'] / 1e3:8.1f} k bars/s per core, BacktestEngine.run() only "
      f"({p['symbols']} symbols x {per_sym} bars in {p['run_s']:.2f} s wall, median of {p['runs']})")
print(f"  {'':<22} {p['bars_per_s_whole'] / 1e3:8.1f} k bars/s per core, whole backtest per symbol "
      f"(engine + venue + instrument + data + strategy + run + results: {p['whole_s']:.2f} s wall; "
      f"{p['bars_per_s_cpu'] / 1e3:.1f} k by CPU time)")
print(f"  ratio lunar/nautilus  {lunar_bps / p['bars_per_s']:.0f}x (per-bar phase vs run()), "
      f"{lunar_total_bps / p['bars_per_s_whole']:.0f}x (whole backtest vs whole backtest)")
nt = {s: [tuple(t) for t in ts] for s, ts in p["trades"].items()}
same = [s for s in nt if len(nt[s]) == len(lunar.get(s, []))]
ident = [s for s in nt if nt[s] == lunar.get(s, [])]
print(f"  trades vs lunar run: {p['peer']}: closed-trade counts equal on {len(same)}/{len(nt)} symbols "
      f"({sum(map(len, nt.values()))} vs {sum(len(lunar.get(s, [])) for s in nt)}); entry/exit bars identical "
      f"on {len(ident)}/{len(nt)} symbols; {p['rejected_orders']} orders rejected or denied")
bad = [s for s in nt if nt[s] != lunar.get(s, [])]
if bad:
    s = bad[0]
    a, b = nt[s], lunar.get(s, [])
    k = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    print(f"  FIRST DIFFERENCE: {s}, closed trade #{k}: nautilus {a[k] if k < len(a) else None} "
          f"vs lunar {b[k] if k < len(b) else None} (entry, exit bar)")
    sys.exit(1)
PYEOF
