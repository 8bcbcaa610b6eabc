#!/usr/bin/env bash
# Installs what Lunar needs to build, where it is missing: Lua 5.4's headers and library.
set -euo pipefail
if [ "$(uname)" = "Darwin" ]; then
  command -v brew >/dev/null || { echo "install Homebrew, then: brew install lua" >&2; exit 1; }
  brew list lua >/dev/null 2>&1 || brew install lua
  exit 0
fi
if [ -f /usr/include/lua5.4/lua.h ] && ls /usr/lib/*/liblua5.4.so* >/dev/null 2>&1; then exit 0; fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing liblua5.4-dev…" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq liblua5.4-dev >/dev/null
