#!/usr/bin/env bash
# Chat stream throughput: `coze chat -m` vs the official cozepy vs curl, one stream of
# 100,000 one-character deltas served from 127.0.0.1 (see scripts/bench_chat.py).
# A benchmark, not a test: run it by hand; figures go in docs/benchmarks.md.
#
#   bash scripts/bench-chat.sh [--events N] [--runs N]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib.sh
source "$ROOT/scripts/lib.sh"

need cargo "install Rust from https://rustup.rs"
need python3 "install Python 3"
need curl "install curl (apt-get install curl)"

step "build coze (release)"
(cd "$ROOT" && cargo build --release -p coze-cli --quiet)
COZE="$(cd "$ROOT" && cargo_target_dir)/release/coze"

step "Python venv (.venv) with cozepy"
setup_venv "$ROOT/.venv" "$ROOT/conformance/python/requirements.txt"

step "bench"
exec "$ROOT/.venv/bin/python" "$ROOT/scripts/bench_chat.py" --coze "$COZE" \
  --python "$ROOT/.venv/bin/python" "$@"
