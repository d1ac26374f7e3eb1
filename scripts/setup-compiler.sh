#!/usr/bin/env bash
# Installs what `kwdocs compile` (mypyc) needs beyond the Python packages: a C compiler and the
# interpreter's headers (Python.h). Debian's gcc with apt-get (root or password-less sudo); the
# headers of Debian's own python3 with python3-dev (an interpreter built from source, pyenv's
# say, carries its own). Idempotent and non-interactive: what is in place is left alone.
#
#   bash scripts/setup-compiler.sh [PYTHON]     (default: the project's .venv, else python3)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python=${1:-$REPO/.venv/bin/python}
[[ -x "$python" ]] || python=python3

log() { printf '[setup-compiler %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

export DEBIAN_FRONTEND=noninteractive

missing=()
command -v cc >/dev/null || command -v gcc >/dev/null || missing+=(gcc libc6-dev)
headers=$("$python" -c 'import os, sysconfig; print(os.path.isfile(os.path.join(sysconfig.get_paths()["include"], "Python.h")))')
if [[ "$headers" != True ]]; then
  version=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
  missing+=("python${version}-dev")
fi
if ((${#missing[@]} == 0)); then
  log "C compiler and Python headers in place"
  exit 0
fi
command -v apt-get >/dev/null || die "apt-get not found: install ${missing[*]} with your package manager"
sudo=()
if [[ "$(id -u)" != 0 ]]; then
  command -v sudo >/dev/null || die "need root (or sudo) to install ${missing[*]}"
  sudo=(sudo -n)
fi
if ! apt-cache show "${missing[0]}" >/dev/null 2>&1; then
  log "apt-get update"
  "${sudo[@]}" apt-get update -qq </dev/null
fi
log "apt-get install -y ${missing[*]}"
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
