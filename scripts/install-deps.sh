#!/usr/bin/env bash
# Installs what Lunar needs to build, where it is missing: Lua 5.4 and SQLite's headers and libraries,
# snappy, zstd and zlib (Parquet's codecs), the IANA time-zone database, and git (library dependencies).
set -euo pipefail
if [ "$(uname)" = "Darwin" ]; then
  command -v brew >/dev/null || { echo "install Homebrew, then: brew install lua snappy zstd" >&2; exit 1; }
  for f in lua snappy zstd; do brew list "$f" >/dev/null 2>&1 || brew install "$f"; done
  exit 0
fi
missing=()
[ -f /usr/include/lua5.4/lua.h ] && ls /usr/lib/*/liblua5.4.so* >/dev/null 2>&1 || missing+=(liblua5.4-dev)
[ -f /usr/include/sqlite3.h ] || missing+=(libsqlite3-dev)      # run history (GRDB)
[ -f /usr/include/snappy-c.h ] || missing+=(libsnappy-dev)      # Parquet's codecs (LunarParquet)
[ -f /usr/include/zstd.h ] || missing+=(libzstd-dev)
[ -f /usr/include/zlib.h ] || missing+=(zlib1g-dev)
[ -f /usr/share/zoneinfo/America/New_York ] || missing+=(tzdata)  # --timezone (IANA names)
command -v git >/dev/null || missing+=(git)                       # [dependencies] (docs/libraries.md)
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing ${missing[*]}…" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
