#!/usr/bin/env bash
# End-to-end tests of the gateway's chat page in real headless Chromium: Debian's `chromium`
# (installed with apt-get when missing; CI runs as root) driven by playwright-core (pinned in
# e2e/web/package.json + package-lock.json; it never downloads a browser), against
# `coze serve --emulator`. Needs Node 20+ and npm with access to the npm registry (first run).
#
# Environment: COZE_BIN (the coze binary; built with cargo when unset), CARGO_TARGET_DIR
# (honoured when building), CHROMIUM (the browser, default: chromium on PATH),
# E2E_SCREENSHOT (a PNG path: also saves the README screenshot, docs/web-chat.png),
# NODE_TEST_ARGS (extra `node --test` arguments). Exits non-zero if anything fails.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
E2E_DIR="$ROOT/e2e/web"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

need node "install Node.js 20 or newer"
need npm "install npm (it ships with Node.js)"

# apt-get install, waiting while another process holds the dpkg lock.
apt_install() {
  local attempt
  for attempt in $(seq 1 30); do
    if apt-get install -y --no-install-recommends "$@"; then
      return 0
    fi
    if ((attempt == 1)); then
      apt-get update || true
    fi
    echo "apt-get install $* failed (attempt $attempt; dpkg may be locked by another process), retrying in 10s" >&2
    sleep 10
  done
  return 1
}

step "web-e2e: chromium"
CHROMIUM="${CHROMIUM:-$(command -v chromium || true)}"
if [[ -z "$CHROMIUM" ]]; then
  command -v apt-get >/dev/null 2>&1 ||
    die "chromium not found and no apt-get: install Chromium and set CHROMIUM=/path/to/chromium"
  if [[ "$(id -u)" != 0 ]]; then
    die "chromium not found: install it (sudo apt-get install chromium) or set CHROMIUM"
  fi
  apt_install chromium || die "could not install chromium with apt-get (its error is above)"
  CHROMIUM="$(command -v chromium)"
fi
export CHROMIUM
echo "$("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")" >&2

step "web-e2e: npm ci (e2e/web)"
stamp="$E2E_DIR/node_modules/.coze-lock.sha256"
want="$(sha256_of "$E2E_DIR/package-lock.json")"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -f "$E2E_DIR/node_modules/playwright-core/package.json" ]]; then
  echo "reusing e2e/web/node_modules" >&2
else
  installed=0
  for attempt in 1 2 3; do
    # playwright-core has no install script that downloads browsers; say so anyway.
    if (cd "$E2E_DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund); then
      installed=1
      break
    fi
    echo "npm ci failed (attempt $attempt of 3), retrying in $((attempt * 10))s" >&2
    sleep $((attempt * 10))
  done
  ((installed)) || die "could not install e2e/web dependencies; check access to the npm registry"
  echo "$want" >"$stamp"
fi

if [[ -z "${COZE_BIN:-}" ]]; then
  need cargo "install Rust from https://rustup.rs, or set COZE_BIN to a built coze binary"
  step "web-e2e: build the coze binary"
  (cd "$ROOT" && cargo build -p coze-cli --bin coze)
  COZE_BIN="$(cd "$ROOT" && cargo_target_dir)/debug/coze"
fi
[[ -x "$COZE_BIN" ]] || die "COZE_BIN=$COZE_BIN is not an executable; build it with \`cargo build -p coze-cli\`"
COZE_BIN="$(cd "$(dirname "$COZE_BIN")" && pwd)/$(basename "$COZE_BIN")"
export COZE_BIN

step "web-e2e: node --test e2e/web"
# shellcheck disable=SC2086 # NODE_TEST_ARGS is a word list on purpose
(cd "$E2E_DIR" && with_timeout 300 node --test --test-concurrency=1 ${NODE_TEST_ARGS:-})
