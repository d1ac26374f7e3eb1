#!/usr/bin/env bash
# Installs everything the real-editor test of the VS Code extension needs
# (tests/editors/test_vscode.py) and builds the extension's .vsix:
#
#   - Debian packages: chromium (the browser that drives code-server),
#     build-essential, pkg-config and libkrb5-dev (code-server's native modules),
#     ripgrep (stands in for @vscode/ripgrep's binary, which is downloaded from
#     GitHub at install time and cannot be fetched here);
#   - code-server 4.100.3, the newest release whose engines.node accepts Node 20,
#     into a cache folder outside the repository, reused by later runs;
#   - playwright-core for the driver (tests/editors/vscode), the extension's npm
#     dependencies, and the .vsix for this machine's platform
#     (vscode-client/kwdocs-<target>-<version>.vsix) with kwdocs and its Python
#     dependencies bundled (vscode-client/build/package.mjs): the bundling needs pip and
#     packaging in the Python that runs it and reaches the package index.
#
# Idempotent, non-interactive (CI=true, no stdin). Environment:
#   KWDOCS_TOOLS  cache folder (default ~/.cache/kwdocs-tools); code-server lands in
#                 $KWDOCS_TOOLS/code-server-4.100.3, its launcher is printed at the end.
#   KWDOCS_BUNDLE_PYTHON  the Python that bundles kwdocs (default: the repository's .venv
#                 when there is one, else python3).
set -euo pipefail

CODE_SERVER_VERSION=4.100.3
# Bump when the recipe below changes, so that cached installs are redone.
RECIPE=1
APT_PACKAGES=(chromium build-essential pkg-config libkrb5-dev ripgrep)

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${KWDOCS_TOOLS:-$HOME/.cache/kwdocs-tools}"
CS_DIR="$TOOLS/code-server-$CODE_SERVER_VERSION"
CS_BIN="$CS_DIR/node_modules/.bin/code-server"

log() { printf '[setup-vscode-test %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
start=$SECONDS

export DEBIAN_FRONTEND=noninteractive
# Never wait for an answer: npx (node-pty's build runs `npx node-gyp`) would ask.
# Errors only: npm's warnings about this machine's own npmrc would bury the log.
export npm_config_yes=true npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
export npm_config_loglevel=error
# node-gyp would download Node's headers; Debian's nodejs ships them in /usr/include/node.
if [[ -z "${npm_config_nodedir:-}" && -f /usr/include/node/node.h ]]; then
  export npm_config_nodedir=/usr
fi

command -v node >/dev/null || die "node is not installed (Node 20 is needed for code-server $CODE_SERVER_VERSION)"
command -v npm >/dev/null || die "npm is not installed"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[[ "$node_major" == 20 ]] || die "code-server $CODE_SERVER_VERSION needs Node 20, found $(node --version)"

# --- Debian packages ---------------------------------------------------------
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]})); then
  sudo=()
  if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null || die "need root (or sudo) to install: ${missing[*]}"
    sudo=(sudo -n)
  fi
  log "apt-get install ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
else
  log "Debian packages present: ${APT_PACKAGES[*]}"
fi
RG="$(command -v rg)" || die "ripgrep's rg is not on PATH after installing it"

# --- code-server -------------------------------------------------------------
mkdir -p "$TOOLS"
# One installer at a time per cache folder (two CI runs on one machine).
exec 9>"$TOOLS/.lock"
flock -w 900 9 || die "another setup holds $TOOLS/.lock"

# The native modules are built for this Node ABI: a different Node means a rebuild.
stamp_text="code-server $CODE_SERVER_VERSION recipe $RECIPE node-abi $(node -p process.versions.modules) rg $RG"
stamp="$CS_DIR/.kwdocs-stamp"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$stamp_text" && -x "$CS_BIN" ]]; then
  log "code-server $CODE_SERVER_VERSION already installed in $CS_DIR"
else
  log "installing code-server $CODE_SERVER_VERSION into $CS_DIR (takes 1–2 minutes)"
  build="$CS_DIR.partial"
  rm -rf "$build"
  mkdir -p "$build"
  echo '{"name": "kwdocs-code-server", "private": true}' >"$build/package.json"
  cd "$build"
  # Its postinstall would download ripgrep and build kerberos against missing
  # headers; do its steps by hand below instead.
  npm install --ignore-scripts --no-package-lock "code-server@$CODE_SERVER_VERSION" >/dev/null
  # argon2 (password hashing, loaded at start-up) would first try to download a
  # prebuilt binary; build it here.
  npm_config_build_from_source=true npm rebuild argon2 >/dev/null

  vscode="$build/node_modules/code-server/lib/vscode"
  cd "$vscode"
  npm install --omit=dev --ignore-scripts >/dev/null
  npm rebuild @parcel/watcher @vscode/spdlog @vscode/deviceid node-pty native-watchdog kerberos >/dev/null
  mkdir -p node_modules/@vscode/ripgrep/bin
  ln -sfn "$RG" node_modules/@vscode/ripgrep/bin/rg
  # The rest of code-server's postinstall.sh.
  rm -rf node_modules.asar
  ln -s node_modules node_modules.asar
  ln -sfn code-linux.sh bin/remote-cli/code-server
  ln -sfn browser-linux.sh bin/helpers/browser.sh
  (cd extensions && npm install --omit=dev >/dev/null)

  # Nothing refers to the folder by its absolute path, so it can be moved in place.
  cd "$TOOLS"
  rm -rf "$CS_DIR"
  mv "$build" "$CS_DIR"
  # --config: otherwise code-server writes a default ~/.config/code-server/config.yaml.
  version="$("$CS_BIN" --config "$CS_DIR/config.yaml" --version 2>/dev/null | tail -n 1)"
  [[ "$version" == "$CODE_SERVER_VERSION "* ]] || die "code-server does not run: '$version'"
  echo "$stamp_text" >"$stamp"
  log "code-server installed: $version ($(du -sh "$CS_DIR" | cut -f1))"
fi
flock -u 9

# --- driver and extension ------------------------------------------------------
# npm ci wipes node_modules; skip it when the lockfile is unchanged since the last run.
npm_ci() {
  local dir="$1" marker="$1/node_modules/.kwdocs-lock-sha"
  local sha
  sha="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  if [[ -f "$marker" && "$(cat "$marker")" == "$sha" ]]; then
    log "npm dependencies of ${dir#"$REPO"/} up to date"
  else
    log "npm ci in ${dir#"$REPO"/}"
    # --prefer-offline: the lockfile pins every version, so what is in npm's cache will do.
    (cd "$dir" && npm ci --no-progress --prefer-offline >/dev/null)
    echo "$sha" >"$marker"
  fi
}
npm_ci "$REPO/tests/editors/vscode"
npm_ci "$REPO/vscode-client"

log "building the .vsix"
bundle_python="${KWDOCS_BUNDLE_PYTHON:-}"
if [[ -z "$bundle_python" ]]; then
  if [[ -x "$REPO/.venv/bin/python" ]]; then bundle_python="$REPO/.venv/bin/python"; else bundle_python=python3; fi
fi
vsix="$(cd "$REPO/vscode-client" && KWDOCS_BUNDLE_PYTHON="$bundle_python" npm run --silent package | tail -n 1)"
[[ -f "$vsix" ]] || die "npm run package did not produce a .vsix ($vsix)"

log "done in $((SECONDS - start)) s"
echo "code-server: $CS_BIN"
echo "vsix: $vsix"
