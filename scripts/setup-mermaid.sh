#!/usr/bin/env bash
# Installs the real Mermaid renderer the page tests check every diagram with
# (tests/test_export_diagrams.py):
#
#   - Debian's chromium (the browser mermaid-cli drives through puppeteer; puppeteer's own
#     browser download is skipped);
#   - @mermaid-js/mermaid-cli 11.12.0, the newest release whose engines.node accepts Node 20,
#     with puppeteer 23, into a cache folder outside the repository, reused by later runs.
#
# Idempotent, non-interactive. Environment:
#   KWDOCS_TOOLS  cache folder (default ~/.cache/kwdocs-tools); the renderer lands in
#                 $KWDOCS_TOOLS/mermaid-cli-11.12.0 (its `mmdc` is printed at the end, and the
#                 tests find it there).
set -euo pipefail

MERMAID_CLI_VERSION=11.12.0
PUPPETEER_VERSION=23
# Bump when the recipe below changes, so that cached installs are redone.
RECIPE=1

TOOLS="${KWDOCS_TOOLS:-$HOME/.cache/kwdocs-tools}"
DIR="$TOOLS/mermaid-cli-$MERMAID_CLI_VERSION"
MMDC="$DIR/node_modules/.bin/mmdc"
STAMP="$DIR/.complete-$RECIPE"

log() { printf '[setup-mermaid %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

export DEBIAN_FRONTEND=noninteractive
export npm_config_yes=true npm_config_fund=false npm_config_audit=false
export npm_config_update_notifier=false npm_config_loglevel=error
# The browser is Debian's: puppeteer must not download its own.
export PUPPETEER_SKIP_DOWNLOAD=1 PUPPETEER_SKIP_CHROMIUM_DOWNLOAD=1

command -v node >/dev/null || die "node is not installed (mermaid-cli $MERMAID_CLI_VERSION needs Node >= 18.19)"
command -v npm >/dev/null || die "npm is not installed"

if ! dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q 'install ok installed'; then
  log "installing Debian's chromium"
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq </dev/null
  $sudo apt-get install -y -qq chromium </dev/null
fi
[[ -x /usr/bin/chromium ]] || die "/usr/bin/chromium is missing after installing chromium"

if [[ ! -f "$STAMP" ]]; then
  log "installing @mermaid-js/mermaid-cli $MERMAID_CLI_VERSION into $DIR"
  rm -rf "$DIR"
  mkdir -p "$DIR"
  printf '{"name": "kwdocs-mermaid", "private": true}\n' >"$DIR/package.json"
  npm install --prefix "$DIR" \
    "@mermaid-js/mermaid-cli@$MERMAID_CLI_VERSION" "puppeteer@$PUPPETEER_VERSION" </dev/null
  # How mmdc starts the browser: Debian's chromium, without a sandbox (containers, root).
  printf '{"executablePath": "/usr/bin/chromium", "args": ["--no-sandbox"]}\n' \
    >"$DIR/puppeteer.json"
  touch "$STAMP"
fi
[[ -x "$MMDC" ]] || die "mmdc is missing: $MMDC"

# One diagram through the real renderer proves the set-up works.
check="$(mktemp -d)"
trap 'rm -rf "$check"' EXIT
printf 'classDiagram\n  class A\n  A <|-- B\n' >"$check/a.mmd"
"$MMDC" -q -p "$DIR/puppeteer.json" -i "$check/a.mmd" -o "$check/a.svg" </dev/null
[[ -s "$check/a.svg" ]] || die "mmdc rendered nothing"
log "ready: $MMDC (puppeteer config $DIR/puppeteer.json)"
