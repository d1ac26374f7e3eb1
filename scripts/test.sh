#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what the tests need, then runs them.
#
#   bash scripts/test.sh [pytest args...]
#
# Python dependencies go into .venv (created here); Neovim comes from Debian and code-server,
# Chromium and the VS Code extension's build tools from the project's own setup scripts, which
# skip work already done. Lint and format checks run first: a lint failure fails the suite.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[test %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

python=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  log "creating .venv with $($python --version)"
  "$python" -m venv .venv
fi
log "installing kwdocs, its test dependencies and the peer language servers the benchmark harness tests run"
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test,peers]" </dev/null
log "compiling kwdocs's hot modules (mypyc), as the wheel ships them"
bash scripts/setup-compiler.sh .venv/bin/python
.venv/bin/kwdocs compile

log "installing Neovim"
bash scripts/setup-neovim.sh
log "installing code-server, Chromium and building the VS Code extension"
bash scripts/setup-vscode-test.sh
log "installing the Mermaid renderer the page tests check diagrams with"
bash scripts/setup-mermaid.sh

export PATH="$PWD/.venv/bin:$PATH"
log "ruff"
ruff check .
ruff format --check .

log "pytest"
workers=$(.venv/bin/python -c 'import os; print(min(os.cpu_count() or 1, 4))')
exec pytest -n "$workers" --dist loadfile "$@"
