#!/usr/bin/env bash
# Peer comparison for W1: Lunar vs vectorbt (numba) on the very same CSVs.
#
#   bench/peers/run.sh [SYMBOLS] [BARS]       (defaults: 1000 2520)
#
# Creates its own virtualenv in .build-venv-peers/ (git-ignored) with vectorbt and numba,
# unless PEERS_PYTHON names a Python that already has them. Builds Lunar in release mode,
# writes the synthetic universe as CSVs with `lunar data gen`, runs W1 in both, and prints
# both times and their ratio. Not part of CI: it needs the network once (pip) and minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."
SYMBOLS=${1:-1000}
BARS=${2:-2520}
RUNS=${RUNS:-5}
DATA=${DATA:-.build-peers-data/${SYMBOLS}x${BARS}}

if [[ -n "${PEERS_PYTHON:-}" ]]; then
  PY=$PEERS_PYTHON
else
  # A venv left half-made (an interrupted pip) is completed rather than trusted.
  if ! .build-venv-peers/bin/python -c "import vectorbt, numba" 2>/dev/null; then
    python3 -m venv .build-venv-peers
    .build-venv-peers/bin/pip install --quiet --upgrade pip
    .build-venv-peers/bin/pip install --quiet "vectorbt>=0.26" numba
  fi
  PY=.build-venv-peers/bin/python
fi

# LUNAR names a release binary to use instead of building .build/release/lunar.
if [[ -z "${LUNAR:-}" ]]; then swift build -c release >/dev/null; LUNAR=.build/release/lunar; fi
if [[ ! -d "$DATA" ]]; then "$LUNAR" data gen "$DATA" --symbols "$SYMBOLS" --bars "$BARS" >/dev/null; fi

# Lunar: W1 from the same CSVs (the first load writes the binary cache; W1 runs in memory).
LUNAR_JSON=$("$LUNAR" bench --workloads W1-load --csv-dir "$DATA" --symbols "$SYMBOLS" --bars "$BARS" --runs "$RUNS" --json)
VBT_JSON=$("$PY" bench/peers/w1_vectorbt.py "$DATA" "$RUNS")

"$PY" - "$LUNAR_JSON" "$VBT_JSON" <<'PYEOF'
import json, sys
lunar = json.loads(sys.argv[1])["workloads"][0]
vbt = json.loads(sys.argv[2])
# Lunar's W1 total = compile + evaluate + simulate + metrics; bench adds the cached load to
# compile for W1-load, so take it back out to compare in-memory work with in-memory work.
lunar_ms = lunar["total_ms"] - lunar["cached_load_ms"]
print(f"W1, {vbt['symbols']} symbols x {vbt['bars']} bars, fees 0.001, median of the runs after warm-up")
print(f"  lunar     {lunar_ms:9.2f} ms  (compile {lunar['compile_ms'] - lunar['cached_load_ms']:.2f}, evaluate {lunar['evaluate_ms']:.2f}, "
      f"simulate {lunar['simulate_ms']:.2f}, metrics {lunar['metrics_ms']:.2f}); peak {lunar['peak_bytes'] / 2**20:.0f} MiB")
print(f"  vectorbt  {vbt['total_ms']:9.2f} ms  (indicators {vbt['indicators_ms']:.1f}, portfolio {vbt['portfolio_ms']:.1f}, "
      f"three stats {vbt['stats_ms']:.1f}); peak {vbt['peak_mib']:.0f} MiB; vectorbt {vbt['vectorbt']}")
print(f"  ratio     {vbt['total_ms'] / lunar_ms:9.1f}x  (vectorbt time / lunar time)")
print(f"  loading the CSVs: lunar {lunar['ingest_ms']:.0f} ms parse, {lunar['cached_load_ms']:.1f} ms cached; pandas {vbt['load_ms']:.0f} ms")
PYEOF
