#!/usr/bin/env bash
# Create (or reuse) the git-ignored virtualenv .build-venv-parquet/ in the repo root with pinned
# pyarrow, polars and duckdb: the writers of Tests/Fixtures/parquet/ and the readers that
# tools/parquet/read_back.py checks Lunar's Parquet output against. Prints nothing when the pins
# are already installed; exits non-zero when the install fails.
set -euo pipefail
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
VENV="$REPO_ROOT/.build-venv-parquet"
PYARROW=18.1.0 POLARS=1.44.2 DUCKDB=1.4.4
[ -x "$VENV/bin/python" ] || "${PYTHON:-python3}" -m venv "$VENV"
PY="$VENV/bin/python"
if ! "$PY" -c 'import importlib.metadata as m, sys; sys.exit(0 if (m.version("pyarrow"), m.version("polars"), m.version("duckdb")) == tuple(sys.argv[1:]) else 1)' \
        "$PYARROW" "$POLARS" "$DUCKDB" 2>/dev/null; then
    "$PY" -m pip install --quiet --disable-pip-version-check "pyarrow==$PYARROW" "polars==$POLARS" "duckdb==$DUCKDB"
fi
