#!/usr/bin/env bash
# Regenerate Tests/Fixtures/golden/btreal/expected/ from backtesting.py's SmaCross example run on
# the real prices backtesting.py ships (GOOG.csv, EURUSD.csv, copied byte for byte into
# Tests/Fixtures/golden/btreal/).
#
# Creates (or reuses) a virtualenv at .build-venv-bt/ in the repo root (git-ignored), installs
# backtesting==0.6.6 from PyPI (pandas, numpy and bokeh come with it) and runs
# tools/golden/bt_real_golden.py. Checks first that the committed CSVs are still byte-identical
# to the ones in the installed package. Deterministic: the same versions give the same bytes.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
VENV="$REPO_ROOT/.build-venv-bt"
PYTHON_BIN="${PYTHON:-python3}"
FIXTURES="$REPO_ROOT/Tests/Fixtures/golden/btreal"

cd "$REPO_ROOT"
if [ ! -x "$VENV/bin/python" ]; then
    echo "==> creating virtualenv $VENV"
    "$PYTHON_BIN" -m venv "$VENV"
fi
PY="$VENV/bin/python"
if ! "$PY" -c 'import importlib.metadata as m, sys; sys.exit(0 if m.version("backtesting") == "0.6.6" else 1)' 2>/dev/null; then
    echo "==> installing backtesting==0.6.6"
    "$PY" -m pip install --quiet "backtesting==0.6.6"
fi
"$PY" -c 'import importlib.metadata as m; print("versions:", ", ".join(p + " " + m.version(p) for p in ("backtesting", "pandas", "numpy")))'

SHIPPED="$("$PY" -c 'import os, backtesting.test as t; print(os.path.dirname(t.__file__))')"
for f in GOOG.csv EURUSD.csv; do
    if [ ! -f "$FIXTURES/$f" ]; then
        cp "$SHIPPED/$f" "$FIXTURES/$f"
    elif ! cmp -s "$SHIPPED/$f" "$FIXTURES/$f"; then
        echo "error: $FIXTURES/$f differs from the one backtesting.py ships ($SHIPPED/$f)" >&2
        exit 1
    fi
done
"$PY" "$SCRIPT_DIR/bt_real_golden.py" --data "$FIXTURES" --out "$FIXTURES/expected"
echo "==> wrote $FIXTURES/expected"
