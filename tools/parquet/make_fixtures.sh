#!/usr/bin/env bash
# Regenerate Tests/Fixtures/parquet/ (the Parquet reader's fixtures, their CSV twins and
# fixtures.json) with the pinned pyarrow and polars of .build-venv-parquet/. Deterministic: the
# same versions give the same bytes.
set -euo pipefail
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
cd "$REPO_ROOT"
"$SCRIPT_DIR/install.sh"
"$REPO_ROOT/.build-venv-parquet/bin/python" "$SCRIPT_DIR/make_fixtures.py" --out Tests/Fixtures/parquet
