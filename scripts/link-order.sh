#!/usr/bin/env bash
# Regenerates crates/coze-cli/link-order.txt: the functions that `coze --version`, `coze --help`
# and a one-shot `coze chat -m` (against a local emulator) run, in the order they first run.
# crates/coze-cli/build.rs hands the list to the linker for release builds, which puts those
# functions side by side at the front of the binary: the kernel maps code in 64 KiB blocks around
# each first use, so scattered start-up code keeps several MiB of the binary resident.
#
#   1. `cargo build --release -p coze-cli` with COZE_LINK_MAP (the linker's map: each
#      function's address and symbol name; the shipped binary has no symbols);
#   2. the commands above under `valgrind --tool=callgrind`, which records every function
#      entered, by address, in order of first call (`--dump-instr=no`, one record per function);
#   3. addresses to names through the map.
#
# Usage: bash scripts/link-order.sh     then rebuild (`cargo build --release -p coze-cli`) and
# measure (scripts/bench-cli.sh). Needs valgrind and python3. Run it again after large changes
# to the start-up path: names that no longer exist are skipped by the linker, new start-up
# functions are just not placed at the front.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

need valgrind "apt-get install valgrind"

WORK="$(mktemp -d)"
trap 'kill "${EMU:-}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
export CARGO_INCREMENTAL=0
# The map describes this very binary (laid out with the current list, if any), which is the one
# profiled below.
COZE_LINK_MAP="$WORK/coze.map" cargo build --release -p coze-cli >&2
COZE="$(cargo_target_dir)/release/coze"

"$COZE" emulator --json --pace instant >"$WORK/info.json" 2>/dev/null &
EMU=$!
for _ in $(seq 100); do
  [[ -s "$WORK/info.json" ]] && break
  sleep 0.05
done
read -r BASE PAT BOT < <(python3 -c 'import json,sys; d=json.loads(open(sys.argv[1]).readline()); print(d["base_url"], d["pat"], d["bots"]["echo"])' "$WORK/info.json")
export COZE_CONFIG_DIR="$WORK/config"

n=0
for args in "--version" "--help" "--base-url $BASE --token $PAT chat --bot $BOT -m hi"; do
  n=$((n + 1))
  # shellcheck disable=SC2086 # a word list on purpose
  valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.$n" --compress-strings=no \
    --compress-pos=no "$COZE" $args >/dev/null 2>"$WORK/vg.$n" || true
done

# Map lines name each function's section: `ADDR ADDR SIZE ALIGN  obj.o:(.text.<mangled name>)`.
# Callgrind names the functions of a program without symbols by address (`fn=0x…` for the
# function running, `cfn=0x…` for the one called, `ob=`/`cob=` for their files).
python3 - "$WORK/coze.map" "$ROOT/crates/coze-cli/link-order.txt" "$(basename "$COZE")" "$WORK"/cg.* <<'EOF'
import re, sys
map_file, out, binary_name, profiles = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
starts, sizes = {}, {}
for line in open(map_file, errors='replace'):
    m = re.match(r'\s*([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+\d+\s+\S.*:\((\.text[^)]*)\)\s*$', line)
    if m:
        sec = m.group(3)
        name = re.sub(r'^\.text(\.(unlikely|hot|startup|exit|split))?\.', '', sec)
        if name != sec:
            starts[int(m.group(1), 16)] = name
            sizes[name] = int(m.group(2), 16)
order, seen = [], set()
for profile in profiles:
    ob = cob = None
    for line in open(profile, errors='replace'):
        line = line.rstrip('\n')
        if line.startswith('ob='):
            ob = line[3:]
            continue
        if line.startswith('cob='):
            cob = line[4:]
            continue
        m = re.match(r'^(c?)fn=(?:\(\d+\) )?0x([0-9a-f]+)$', line)
        if not m:
            continue
        obj = (cob or ob) if m.group(1) else ob
        if m.group(1):
            cob = None
        if not obj or not obj.endswith('/' + binary_name):
            continue
        name = starts.get(int(m.group(2), 16))
        if name and name not in seen:
            seen.add(name)
            order.append(name)
open(out, 'w').write('\n'.join(order) + '\n')
print(f'{len(order)} functions, {sum(sizes[n] for n in order)} bytes of code, written to {out}', file=sys.stderr)
EOF
