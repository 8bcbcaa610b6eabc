#!/usr/bin/env bash
# Regenerate Tests/Fixtures/golden/overfitting/ (issue 20's statistics) in a git-ignored
# virtualenv .build-venv-stats/ with pinned numpy, scipy, pandas (which arch needs), arch and quantstats (for comparison). Deterministic.
set -euo pipefail
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
VENV="$REPO_ROOT/.build-venv-stats"
cd "$REPO_ROOT"
[ -x "$VENV/bin/python" ] || "${PYTHON:-python3}" -m venv "$VENV"
"$VENV/bin/python" -c 'import importlib.metadata as m, sys; sys.exit(0 if (m.version("numpy"), m.version("scipy"), m.version("pandas"), m.version("arch"), m.version("quantstats"), m.version("ipython")) == ("1.26.4", "1.14.1", "2.2.3", "7.2.0", "0.0.64", "8.30.0") else 1)' 2>/dev/null \
  || "$VENV/bin/pip" install --quiet "numpy==1.26.4" "scipy==1.14.1" "pandas==2.2.3" "arch==7.2.0" "quantstats==0.0.64" "ipython==8.30.0"
"$VENV/bin/python" "$SCRIPT_DIR/overfitting_golden.py" --out Tests/Fixtures/golden/overfitting
echo "==> wrote Tests/Fixtures/golden/overfitting"
