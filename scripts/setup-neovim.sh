#!/usr/bin/env bash
# Installs Debian's Neovim for the headless editor test (tests/editors/test_neovim.py).
#
# Idempotent and non-interactive (CI=true, no stdin): does nothing when `nvim` already runs,
# otherwise runs `apt-get update` (only when the package lists lack neovim) and
# `apt-get install -y neovim`. Needs root or password-less sudo. Prints the Neovim version.
set -euo pipefail

log() { printf '[setup-neovim %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

export DEBIAN_FRONTEND=noninteractive

if command -v nvim >/dev/null && nvim --version >/dev/null 2>&1; then
  log "already installed: $(nvim --version | head -n 1)"
  exit 0
fi

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

command -v nvim >/dev/null || die "nvim is not on PATH after installing neovim"
log "installed: $(nvim --version | head -n 1)"
