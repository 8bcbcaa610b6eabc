#!/usr/bin/env bash
# Regenerates Tests/Fixtures/golden/sim/ from vectorbt and backtesting.py.
# Idempotent: reuses .build-venv-sim/ when the pinned packages are already installed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$ROOT/.build-venv-sim"
PY="${PYTHON:-python3}"

if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
fi

if ! "$VENV/bin/python" -c '
import importlib.metadata as m, sys
sys.exit(0 if m.version("vectorbt") == "1.2.0" and m.version("backtesting") == "0.6.6" else 1)
' 2>/dev/null; then
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet "vectorbt==1.2.0" "backtesting==0.6.6"
fi

"$VENV/bin/python" "$ROOT/tools/golden/sim_golden.py" --out "$ROOT/Tests/Fixtures/golden/sim"
