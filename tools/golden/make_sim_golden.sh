#!/usr/bin/env bash
# Regenerate the simulator golden reference files in Tests/Fixtures/golden/sim/
# from vectorbt and backtesting.py.
#
# Creates (or reuses) a virtualenv at .build-venv-sim/ in the repo root (git-ignored),
# installs vectorbt==1.2.0 and backtesting==0.6.6 from PyPI (their dependencies,
# numba/pandas/numpy, come with them) and runs tools/golden/sim_golden.py.
# Safe to run repeatedly; the output is deterministic (byte-identical for the same versions).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
VENV="$REPO_ROOT/.build-venv-sim"
PYTHON_BIN="${PYTHON:-python3}"

cd "$REPO_ROOT"

if [ ! -x "$VENV/bin/python" ]; then
    echo "==> creating virtualenv $VENV"
    "$PYTHON_BIN" -m venv "$VENV"
fi
PY="$VENV/bin/python"

have_pins() {
    "$PY" - <<'PYEOF' >/dev/null 2>&1
import importlib.metadata as m, sys
sys.exit(0 if m.version("vectorbt") == "1.2.0" and m.version("backtesting") == "0.6.6" else 1)
PYEOF
}

if ! have_pins; then
    echo "==> installing vectorbt==1.2.0 backtesting==0.6.6"
    "$PY" -m pip install --quiet --upgrade pip || true
    if ! "$PY" -m pip install --quiet "vectorbt==1.2.0" "backtesting==0.6.6"; then
        echo "==> pinned versions failed to resolve, relaxing to vectorbt==1.2.* backtesting==0.6.*" >&2
        "$PY" -m pip install --quiet "vectorbt==1.2.*" "backtesting==0.6.*"
    fi
fi

"$PY" -c 'import importlib.metadata as m; print("versions:", ", ".join(p + " " + m.version(p) for p in ("vectorbt", "backtesting", "numba", "pandas", "numpy")))'
"$PY" "$SCRIPT_DIR/sim_golden.py" --out "$REPO_ROOT/Tests/Fixtures/golden/sim" > /dev/null
# Cases D–F (shorts, stop-and-reverse, fixed fees + slippage, stops on shorts) from the files above.
"$PY" "$SCRIPT_DIR/sim_golden_extra.py" --out "$REPO_ROOT/Tests/Fixtures/golden/sim" > /dev/null
echo "==> wrote $REPO_ROOT/Tests/Fixtures/golden/sim"
