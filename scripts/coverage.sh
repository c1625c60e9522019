#!/usr/bin/env bash
# API coverage: how many operations of the official Coze OpenAPI document have both an SDK call
# and an emulator route (crates/coze-emulator/tests/coverage.rs). Prints "N of M paths covered",
# the missing ones and the deliberate omissions (crates/coze-emulator/tests/coverage-omissions.txt).
# Fails when an operation is neither covered nor listed as omitted. (`--workspace`, not `-p`: the
# same feature set as the workspace build, so nothing is compiled a second time.)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
cargo test -q --workspace --test coverage -- --nocapture --test-threads=1 2>&1 \
  | grep -E '^(SKIPPED|omitted:|missing:|[0-9]+ of [0-9]+ paths covered|test result)' 
exit "${PIPESTATUS[0]}"
