#!/usr/bin/env bash
# Installs Ray and Lunar's Ray integration (integrations/ray, its pinned requirements) into the
# git-ignored virtualenv .build-venv-ray/, for the cluster tests and the W2-100k benchmark.
# Idempotent; prints the virtualenv's python.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=.build-venv-ray
[ -x "$VENV/bin/python" ] || "${PYTHON:-python3}" -m venv "$VENV"
"$VENV/bin/python" -c 'import importlib.metadata as m, sys; sys.exit(0 if m.version("ray") == "2.60.0" else 1)' 2>/dev/null \
  || "$VENV/bin/pip" install --quiet -r integrations/ray/requirements.txt
# The integration itself, from the repository (editable: the tests run the checked-out code).
"$VENV/bin/python" -c 'import lunar_ray' 2>/dev/null || "$VENV/bin/pip" install --quiet --no-deps -e integrations/ray
echo "$VENV/bin/python"
