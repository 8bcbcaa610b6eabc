#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests (BrowserTests, tools/report/screenshot.sh),
# where it is missing. Idempotent.
set -euo pipefail
command -v chromium >/dev/null && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing chromium…" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
