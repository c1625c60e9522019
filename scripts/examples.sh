#!/usr/bin/env bash
# Runs every coze-sdk example against `coze emulator`, the way a user runs them against Coze
# (COZE_API_BASE / COZE_API_TOKEN / COZE_BOT_ID / COZE_WORKFLOW_ID), and checks what they print.
# Needs the workspace built (`cargo build --workspace --all-targets`); exits non-zero on failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"
TARGET="$(cargo_target_dir)/debug"
COZE_BIN="${COZE_BIN:-$TARGET/coze}"
[[ -x "$COZE_BIN" ]] || die "no coze binary at $COZE_BIN: run cargo build --workspace --all-targets first"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/coze-examples.XXXXXX")"
"$COZE_BIN" emulator --json --listen 127.0.0.1:0 >"$WORK/info.json" 2>"$WORK/emulator.log" &
EMULATOR_PID=$!
trap 'kill "$EMULATOR_PID" 2>/dev/null || true; wait "$EMULATOR_PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do [[ -s "$WORK/info.json" ]] && break; sleep 0.1; done
[[ -s "$WORK/info.json" ]] || die "coze emulator printed no JSON line: $(cat "$WORK/emulator.log")"

field() { python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); [v:=v[k] for k in sys.argv[2:]]; print(v)' "$WORK/info.json" "$@"; }
export COZE_API_BASE COZE_API_TOKEN COZE_BOT_ID COZE_WORKFLOW_ID
COZE_API_BASE="$(field base_url)"
COZE_API_TOKEN="$(field pat)"
COZE_BOT_ID="$(field bots echo)"
COZE_WORKFLOW_ID="$(field workflows greeting)"

failed=0
# example name, expected text in its stdout, arguments
check() {
  local name=$1 expect=$2
  shift 2
  local out
  if ! out="$(with_timeout 60 "$TARGET/examples/$name" "$@" 2>"$WORK/$name.err")"; then
    echo "example $name: FAILED: $(tail -n 3 "$WORK/$name.err")"
    failed=$((failed + 1))
  elif [[ "$out" != *"$expect"* ]]; then
    echo "example $name: FAILED: expected \"$expect\" in its output, got: ${out:0:300}"
    failed=$((failed + 1))
  else
    echo "example $name: ok"
  fi
}
check chat_stream 'You said: "hello from the example"' "hello from the example"
check chat_poll 'You said: "polling works"' "polling works"
check conversations 'created conversation'
check workflow_stream 'Hello' name=Ada

total=4
echo "examples: $((total - failed)) passed, $failed failed"
((failed == 0))
