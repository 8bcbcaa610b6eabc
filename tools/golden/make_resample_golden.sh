#!/usr/bin/env bash
# Regenerate Tests/Fixtures/golden/resample/ (issue 16: timeframes) with pandas' resample and
# merge_asof, in a git-ignored virtualenv .build-venv-resample/ with pinned pandas and numpy.
# Inputs: the synthetic universe tools/golden/resample_golden.py writes (seeded), and
# backtesting.py's GOOG.csv and EURUSD.csv as committed in Tests/Fixtures/golden/btreal/.
# Deterministic: the same versions give the same bytes.
set -euo pipefail
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
VENV="$REPO_ROOT/.build-venv-resample"
cd "$REPO_ROOT"
[ -x "$VENV/bin/python" ] || "${PYTHON:-python3}" -m venv "$VENV"
PY="$VENV/bin/python"
if ! "$PY" -c 'import importlib.metadata as m, sys; sys.exit(0 if (m.version("pandas"), m.version("numpy")) == ("2.2.3", "2.1.3") else 1)' 2>/dev/null; then
    "$PY" -m pip install --quiet "pandas==2.2.3" "numpy==2.1.3"
fi
"$PY" "$SCRIPT_DIR/resample_golden.py" --bt Tests/Fixtures/golden/btreal --out Tests/Fixtures/golden/resample
echo "==> wrote Tests/Fixtures/golden/resample"
