#!/usr/bin/env bash
# Regenerate the TA-Lib golden reference files in Tests/Fixtures/golden/talib/.
#
# Creates (or reuses) a virtualenv at .build-venv-talib/ in the repo root,
# installs numpy + the TA-Lib Python wrapper (PyPI `ta-lib`, 0.8.x ships binary
# wheels with the C library bundled) and runs tools/golden/talib_golden.py.
# Safe to run repeatedly; output is deterministic.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
VENV="$REPO_ROOT/.build-venv-talib"
PYTHON_BIN="${PYTHON:-python3}"

cd "$REPO_ROOT"

if [ ! -x "$VENV/bin/python" ]; then
    echo "==> creating virtualenv $VENV"
    "$PYTHON_BIN" -m venv "$VENV"
fi
PY="$VENV/bin/python"

if ! "$PY" -c 'import numpy, talib' >/dev/null 2>&1; then
    echo "==> installing numpy + ta-lib"
    "$PY" -m pip install --quiet --upgrade pip || true
    if ! "$PY" -m pip install --quiet numpy 'ta-lib==0.8.*'; then
        echo "==> ta-lib==0.8.* failed, falling back to any ta-lib" >&2
        "$PY" -m pip install --quiet numpy ta-lib
    fi
fi

"$PY" -c 'import talib; print("talib", talib.__version__, getattr(talib, "__ta_version__", ""))'
"$PY" "$SCRIPT_DIR/talib_golden.py"
