#!/usr/bin/env bash
# Peer comparison for W2 (the SMA-crossover sweep): Lunar vs vectorbt (numba) on the same CSVs.
#
#   bench/peers/run_w2.sh [RUNS]        (default 3; median after one warm-up in both)
#
# W2: fast 5..50 step 5 x slow 20..200 step 10 with fast < slow = 174 combinations, over
# 100 symbols x 2520 bars (lunar's W2 always uses 100 symbols), fees 0.001, cash 100000 / 100
# per symbol. vectorbt runs every combination x symbol in one vectorized call (17,400 columns).
#
# Uses the virtualenv .build-venv-peers/ (git-ignored), installing vectorbt and numba into it
# if they are missing, unless PEERS_PYTHON names a Python that already has them. Uses the
# lunar binary named by LUNAR if set, else builds .build/release/lunar. Not part of CI: it
# needs the network once (pip), ~13 GB of memory for vectorbt, and a minute or two.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-3}
SYMBOLS=100
BARS=2520
DATA=${DATA:-.build-peers-data/${SYMBOLS}x${BARS}}

if [[ -n "${PEERS_PYTHON:-}" ]]; then
  PY=$PEERS_PYTHON
else
  [[ -x .build-venv-peers/bin/python ]] || { python3 -m venv .build-venv-peers; .build-venv-peers/bin/pip install --quiet --upgrade pip; }
  PY=.build-venv-peers/bin/python
  "$PY" -c "import vectorbt, numba" 2>/dev/null || "$PY" -m pip install --quiet "vectorbt>=0.26" numba
fi

if [[ -z "${LUNAR:-}" ]]; then swift build -c release >/dev/null; LUNAR=.build/release/lunar; fi
if [[ ! -d "$DATA" ]]; then "$LUNAR" data gen "$DATA" --symbols "$SYMBOLS" --bars "$BARS" >/dev/null; fi

# Lunar: W2 on the same synthetic universe (default seed) in memory, all cores; and one thread,
# since vectorbt's simulation is single-threaded.
LUNAR_JSON=$("$LUNAR" bench --workloads W2 --symbols "$SYMBOLS" --bars "$BARS" --runs "$RUNS" --json)
LUNAR1_JSON=$("$LUNAR" bench --workloads W2 --symbols "$SYMBOLS" --bars "$BARS" --runs "$RUNS" --threads 1 --json)
VBT_JSON=$("$PY" bench/peers/w2_vectorbt_sweep.py "$DATA" "$RUNS")

"$PY" - "$LUNAR_JSON" "$LUNAR1_JSON" "$VBT_JSON" <<'PYEOF'
import json, sys
def w2(text):
    doc = json.loads(text)
    return doc["threads"], next(w for w in doc["workloads"] if w["name"].startswith("W2"))
(threads, lunar), (_, lunar1), vbt = w2(sys.argv[1]), w2(sys.argv[2]), json.loads(sys.argv[3])
print(f"W2 sweep, {vbt['combinations']} combinations x {vbt['symbols']} symbols x {vbt['bars']} bars = "
      f"{vbt['columns']} backtests, fees 0.001, median of the runs after warm-up")
print(f"  lunar     {lunar['total_ms']:9.1f} ms  ({threads} threads); peak {lunar['peak_bytes'] / 2**20:.0f} MiB")
print(f"  lunar     {lunar1['total_ms']:9.1f} ms  (1 thread);  peak {lunar1['peak_bytes'] / 2**20:.0f} MiB")
print(f"  vectorbt  {vbt['total_ms']:9.1f} ms  (indicators + signals {vbt['indicators_ms']:.0f}, from_signals {vbt['portfolio_ms']:.0f}, "
      f"total_return + sharpe {vbt['stats_ms']:.0f}; runs {', '.join(f'{t:.0f}' for t in vbt['runs_ms'])}); "
      f"peak {vbt['peak_mib']:.0f} MiB (ru_maxrss); vectorbt {vbt['vectorbt']}, {vbt['trades']} trades")
print(f"  ratio     {vbt['total_ms'] / lunar['total_ms']:9.1f}x  (vectorbt time / lunar time, {threads} threads)")
print(f"  ratio     {vbt['total_ms'] / lunar1['total_ms']:9.1f}x  (vectorbt time / lunar time, 1 thread)")
print(f"  memory    {vbt['peak_mib'] * 2**20 / lunar['peak_bytes']:9.1f}x  (vectorbt peak / lunar peak, both whole-process)")
PYEOF
