#!/usr/bin/env bash
# Conformance with the official JavaScript SDK (@coze/api, pinned exactly in
# conformance/js/package.json + package-lock.json) against `coze emulator`, using node's
# built-in test runner. Needs Node 20+ and npm with access to the npm registry (first run).
#
# Environment: COZE_BIN (the coze binary; built with cargo when unset), CARGO_TARGET_DIR
# (honoured when building), NODE_TEST_ARGS (extra `node --test` arguments, e.g.
# "--test-name-pattern=stream"). Exits non-zero if installing or any test fails.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JS_DIR="$ROOT/conformance/js"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

need node "install Node.js 20 or newer"
need npm "install npm (it ships with Node.js)"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
((node_major >= 20)) || die "node $(node --version) is too old; install Node.js 20 or newer"
echo "node $(node --version), npm $(npm --version)" >&2

step "conformance-js: npm ci (conformance/js)"
# Reinstall only when the lock file changed, like the Python venv; npm ci wipes node_modules.
stamp="$JS_DIR/node_modules/.coze-lock.sha256"
want="$(sha256_of "$JS_DIR/package-lock.json")"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -f "$JS_DIR/node_modules/@coze/api/package.json" ]]; then
  echo "reusing conformance/js/node_modules" >&2
else
  installed=0
  for attempt in 1 2 3; do
    if (cd "$JS_DIR" && npm ci --no-audit --no-fund); then
      installed=1
      break
    fi
    echo "npm ci failed (attempt $attempt of 3), retrying in $((attempt * 10))s" >&2
    sleep $((attempt * 10))
  done
  ((installed)) || die "could not install conformance/js dependencies; check access to the npm registry (npm's error is above)"
  echo "$want" >"$stamp"
fi

if [[ -z "${COZE_BIN:-}" ]]; then
  need cargo "install Rust from https://rustup.rs, or set COZE_BIN to a built coze binary"
  step "conformance-js: build the coze binary"
  (cd "$ROOT" && cargo build -p coze-cli --bin coze)
  COZE_BIN="$(cd "$ROOT" && cargo_target_dir)/debug/coze"
fi
[[ -x "$COZE_BIN" ]] || die "COZE_BIN=$COZE_BIN is not an executable; build it with \`cargo build -p coze-cli\`"
export COZE_BIN

step "conformance-js: node --test conformance/js"
# One file at a time: each file starts its own emulator and the machine may have 2 cores.
# shellcheck disable=SC2086 # NODE_TEST_ARGS is a word list on purpose
(cd "$JS_DIR" && with_timeout 300 node --test --test-concurrency=1 ${NODE_TEST_ARGS:-})
