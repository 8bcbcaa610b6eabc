#!/usr/bin/env bash
# W2-100k: a sweep of 100,000 combinations × 100 symbols, one process against the same sweep
# sharded over a local two-node Ray cluster (one CPU per node), in a loopback-only network
# namespace. Prints both times, the overhead of the sharded path per core, and checks that the
# merged sweep.csv is the single process's, byte for byte.
#
#   bench/cluster/run.sh [BARS]        (default 2520; root, for unshare -n)
#
# Builds Lunar in release mode (.build-rel) and installs Ray (tools/ray/install.sh). Minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."
BARS=${1:-2520}
swift build -c release --build-path .build-rel --product lunar >/dev/null
PY=$(tools/ray/install.sh)
exec unshare -n bash -c "ip link set lo up && exec $PY bench/cluster/w2_100k.py --lunar .build-rel/release/lunar --bars $BARS"
