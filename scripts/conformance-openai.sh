#!/usr/bin/env bash
# Conformance of the gateway's OpenAI-compatible API with the official `openai` SDKs against
# `coze serve --emulator --json`: Python (openai, pinned in conformance/python/requirements.txt,
# suite in conformance/openai) and JavaScript (openai, pinned in conformance/openai/js).
#
# Environment: COZE_BIN (the coze binary; built with cargo when unset), PYTEST_ARGS, NODE_TEST_ARGS.
# Exits non-zero if installing or any test fails.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

setup_venv "$ROOT/.venv" "$ROOT/conformance/python/requirements.txt"

if [[ -z "${COZE_BIN:-}" ]]; then
  step "conformance-openai: build the coze binary"
  (cd "$ROOT" && cargo build -p coze-cli --bin coze)
  COZE_BIN="$(cd "$ROOT" && cargo_target_dir)/debug/coze"
fi
[[ -x "$COZE_BIN" ]] || die "COZE_BIN=$COZE_BIN is not an executable; build it with \`cargo build -p coze-cli\`"
export COZE_BIN

rc=0
py_summary="did not run"
js_summary="did not run"
step "conformance-openai: pytest conformance/openai (openai Python SDK)"
# shellcheck disable=SC2086 # PYTEST_ARGS is a word list on purpose
py_log="$(mktemp)"
(cd "$ROOT/conformance/openai" && with_timeout 900 "$ROOT/.venv/bin/python" -m pytest ${PYTEST_ARGS:-}) 2>&1 | tee "$py_log" ||
  rc=1
py_summary="$(grep -E '^=+ .* in [0-9.]+s.* =+$' "$py_log" | tail -n 1 | tr -d '=' | sed 's/^ *//;s/ *$//')"
rm -f "$py_log"

JS_DIR="$ROOT/conformance/openai/js"
if [[ -f "$JS_DIR/package.json" ]]; then
  step "conformance-openai: node --test conformance/openai/js (openai npm package)"
  need node "install Node.js 20 or newer"
  stamp="$JS_DIR/node_modules/.coze-lock.sha256"
  want="$(sha256_of "$JS_DIR/package-lock.json")"
  if ! [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -f "$JS_DIR/node_modules/openai/package.json" ]]; then
    installed=0
    for attempt in 1 2 3; do
      if (cd "$JS_DIR" && npm ci --no-audit --no-fund); then
        installed=1
        break
      fi
      echo "npm ci failed (attempt $attempt of 3), retrying in $((attempt * 10))s" >&2
      sleep $((attempt * 10))
    done
    ((installed)) || die "could not install conformance/openai/js dependencies; check access to the npm registry"
    echo "$want" >"$stamp"
  fi
  # shellcheck disable=SC2086
  js_log="$(mktemp)"
  (cd "$JS_DIR" && with_timeout 300 node --test --test-concurrency=1 ${NODE_TEST_ARGS:-}) 2>&1 | tee "$js_log" || rc=1
  js_summary="$(grep -E '^# (pass|fail) [0-9]+$' "$js_log" | sed 's/^# //' | paste -sd, - | sed 's/,/, /g')"
  rm -f "$js_log"
fi
echo "conformance-openai: python ${py_summary:-no summary}; js ${js_summary:-no summary}"
exit $rc
