#!/usr/bin/env bash
# Cold start and memory of the `coze` binary (release profile), beside the official Python
# SDK's import:
#
#   - hyperfine: `coze --version`, `coze chat -m hi` against a local `coze emulator` (echo bot,
#     instant pace), and `python -c "import cozepy"` (the repo's .venv, from
#     conformance/python/requirements.txt);
#   - peak memory (max RSS) of each, from GNU time (`/usr/bin/time -v`);
#   - the size of the stripped binary.
#
# Usage: bash scripts/bench-cli.sh            (builds `cargo build --release -p coze-cli`)
# Needs: hyperfine and GNU time (Debian: apt-get install hyperfine time), python3.
# Nothing leaves the machine: the emulator listens on 127.0.0.1 and stops at the end.
#
# Targets: cold start under 10 ms and max RSS under 10 MiB for `coze --version` and for
# `coze chat -m` against the emulator.
#
# Measured 2026-12-01 19:11 UTC on the shared 2-core build machine (four other builds running,
# so wall times are noisy; user CPU time and memory are not), release profile (strip, thin LTO,
# one codegen unit, start-up functions laid out together: crates/coze-cli/build.rs), 30 runs
# each, max RSS min / median / max of 10 runs:
#
#   binary size (stripped)                  23,506,416 bytes
#   coze --version                          5.4 ms ± 6.2 (user 1.4 ms)   max RSS 4,916 / 5,012 / 5,352 KiB
#   coze chat -m hi (emulator, echo bot)    4.3 ms ± 4.7 (user 1.4 ms)   max RSS 8,148 / 8,716 / 9,100 KiB
#   python -c "import cozepy" (0.20.0)      962 ms ± 144                 max RSS 52,676 / 52,840 / 52,996 KiB
#
# Both targets are met with a current link order: run scripts/link-order.sh first after a change
# to Cargo.lock (a stale list gave 11.5 MiB). Before the start-up work the same run gave 7,032 and 11,944 KiB
# (medians); what changed and why: docs/benchmarks.md ("Start-up and memory of `coze`").
# `COZE_BENCH_NO_BUILD=1` skips the build (the binary must exist); `COZE_BENCH_BIN=PATH`
# measures another binary (a build with other release settings, for example).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

need hyperfine "apt-get install hyperfine"
[[ -x /usr/bin/time ]] || die "GNU time is missing: apt-get install time"

if [[ -n "${COZE_BENCH_BIN:-}" ]]; then
  COZE="$COZE_BENCH_BIN"
else
  [[ -n "${COZE_BENCH_NO_BUILD:-}" ]] || cargo build --release -p coze-cli >&2
  COZE="$(cargo_target_dir)/release/coze"
fi
PY="$ROOT/.venv/bin/python"
if [[ ! -x "$PY" ]] || ! "$PY" -c "import cozepy" 2>/dev/null; then
  setup_venv "$ROOT/.venv" "$ROOT/conformance/python/requirements.txt"
fi

INFO="$(mktemp)"
"$COZE" emulator --json --pace instant >"$INFO" 2>/dev/null &
EMU=$!
trap 'kill "$EMU" 2>/dev/null; rm -f "$INFO"' EXIT
for _ in $(seq 100); do
  [[ -s "$INFO" ]] && break
  sleep 0.05
done
BASE="$("$PY" -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["base_url"])' "$INFO")"
PAT="$("$PY" -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["pat"])' "$INFO")"
BOT="$("$PY" -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["bots"]["echo"])' "$INFO")"
export COZE_CONFIG_DIR="$(mktemp -d)"
CHAT="$COZE --base-url $BASE --token $PAT chat --bot $BOT -m hi"

echo "binary: $(stat -c %s "$COZE") bytes ($COZE)"
hyperfine --warmup 3 --runs 30 -N \
  "$COZE --version" \
  "$CHAT" \
  "$PY -c 'import cozepy'"

# Max RSS of 10 runs: min / median / max. Most of it is the binary's own pages, which the
# kernel maps in blocks around each first use, so it moves a little with the page cache.
rss() {
  local runs=()
  for _ in $(seq 10); do
    runs+=("$(/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1)")
  done
  printf '%s\n' "${runs[@]}" | sort -n | awk '{v[NR]=$1} END {printf "min %d, median %d, max %d", v[1], v[int((NR+1)/2)], v[NR]}'
}
echo "max RSS (KiB), coze --version:           $(rss "$COZE" --version)"
# shellcheck disable=SC2086 # CHAT is a word list on purpose
echo "max RSS (KiB), coze chat -m (emulator):  $(rss $CHAT)"
echo "max RSS (KiB), python -c 'import cozepy': $(rss "$PY" -c 'import cozepy')"
