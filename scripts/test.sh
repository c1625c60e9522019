#!/usr/bin/env bash
# The test command of coze-rs: builds everything, runs every Rust test, then runs the official
# SDKs against `coze emulator`: Python (cozepy, pinned in conformance/python/requirements.txt)
# and JavaScript (@coze/api, pinned in conformance/js/package-lock.json), then the web chat
# page in headless Chromium (scripts/web-e2e.sh).
#
# Needs only Rust, Python 3, Node.js 20+ and access to crates.io, PyPI and npm (first run).
# Re-runs reuse .venv and conformance/js/node_modules. Exits non-zero if any part fails; the
# summary at the end says which.
#
# Starts a throwaway Redis (scripts/redis.sh installs Debian's redis-server when missing) and
# exports REDIS_URL for the gateway's store and multi-instance tests.
#
# Environment: CARGO_TARGET_DIR (honoured), COZE_TEST_SKIP_RUST=1 (conformance only, for a
# quick loop), PYTEST_ARGS (extra pytest arguments, e.g. "-k stream -x"), NODE_TEST_ARGS
# (see scripts/conformance-js.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

need cargo "install Rust from https://rustup.rs"
need python3 "install Python 3.9 or newer"
echo "$(cargo --version), $(python3 --version)" >&2

LOG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/coze-rs-test.XXXXXX")"
# shellcheck source=scripts/redis.sh
source "$ROOT/scripts/redis.sh"
trap 'redis_stop; rm -rf "$LOG_DIR"' EXIT
RUST_LOG_FILE="$LOG_DIR/cargo-test.log"
PYTEST_LOG_FILE="$LOG_DIR/pytest.log"
JS_LOG_FILE="$LOG_DIR/node-test.log"
EXAMPLES_LOG_FILE="$LOG_DIR/examples.log"
COVERAGE_LOG_FILE="$LOG_DIR/coverage.log"
OPENAI_LOG_FILE="$LOG_DIR/conformance-openai.log"
WEB_E2E_LOG_FILE="$LOG_DIR/web-e2e.log"
declare -a FAILED=()

step "Redis for the gateway's store tests (scripts/redis.sh)"
REDIS_STATUS="not available: the Redis tests printed SKIPPED"
if redis_start; then
  [[ -n "${REDIS_URL:-}" ]] && REDIS_STATUS="ran at $REDIS_URL"
else
  FAILED+=("redis (could not start; see above)")
fi

if [[ "${COZE_TEST_SKIP_RUST:-}" != 1 ]]; then
  step "cargo build --workspace --all-targets"
  cargo build --workspace --all-targets
  step "cargo test --workspace"
  if ! cargo test --workspace 2>&1 | tee "$RUST_LOG_FILE"; then
    FAILED+=("cargo test")
  fi
fi

step "API coverage (scripts/coverage.sh)"
coverage_rc=0
bash "$ROOT/scripts/coverage.sh" 2>&1 | tee "$COVERAGE_LOG_FILE" || coverage_rc=${PIPESTATUS[0]}
((coverage_rc == 0)) || FAILED+=("coverage (exit $coverage_rc)")

step "conformance: Python venv (.venv) with cozepy"
setup_venv "$ROOT/.venv" "$ROOT/conformance/python/requirements.txt"

step "conformance: build the coze binary"
# The workspace build above already made it; building the one package alone would unify features
# differently and compile its dependencies a second time.
if [[ "${COZE_TEST_SKIP_RUST:-}" == 1 ]]; then cargo build -p coze-cli --bin coze; fi
COZE_BIN="$(cargo_target_dir)/debug/coze"
[[ -x "$COZE_BIN" ]] || die "cargo built coze-cli but $COZE_BIN is missing"
export COZE_BIN

step "conformance: pytest conformance/python"
pytest_rc=0
# shellcheck disable=SC2086 # PYTEST_ARGS is a word list on purpose
(cd "$ROOT/conformance/python" && with_timeout 1200 "$ROOT/.venv/bin/python" -m pytest ${PYTEST_ARGS:-}) \
  2>&1 | tee "$PYTEST_LOG_FILE" || pytest_rc=${PIPESTATUS[0]}
case "$pytest_rc" in
  0) ;;
  5) FAILED+=("pytest (no tests were collected)") ;;
  *) FAILED+=("pytest (exit $pytest_rc)") ;;
esac

step "conformance: @coze/api (scripts/conformance-js.sh)"
js_rc=0
bash "$ROOT/scripts/conformance-js.sh" 2>&1 | tee "$JS_LOG_FILE" || js_rc=${PIPESTATUS[0]}
((js_rc == 0)) || FAILED+=("conformance-js (exit $js_rc)")

step "gateway OpenAI API: openai SDKs (scripts/conformance-openai.sh)"
openai_rc=0
bash "$ROOT/scripts/conformance-openai.sh" 2>&1 | tee "$OPENAI_LOG_FILE" || openai_rc=${PIPESTATUS[0]}
((openai_rc == 0)) || FAILED+=("conformance-openai (exit $openai_rc)")

step "coze-sdk examples against the emulator (scripts/examples.sh)"
cargo build --workspace --examples  # workspace-wide: same features as the build above, no rebuild
examples_rc=0
bash "$ROOT/scripts/examples.sh" 2>&1 | tee "$EXAMPLES_LOG_FILE" || examples_rc=${PIPESTATUS[0]}
((examples_rc == 0)) || FAILED+=("examples (exit $examples_rc)")

step "web chat in headless Chromium (scripts/web-e2e.sh)"
web_rc=0
bash "$ROOT/scripts/web-e2e.sh" 2>&1 | tee "$WEB_E2E_LOG_FILE" || web_rc=${PIPESTATUS[0]}
((web_rc == 0)) || FAILED+=("web-e2e (exit $web_rc)")

step "summary"
if [[ -f "$RUST_LOG_FILE" ]]; then
  rust_summary "$RUST_LOG_FILE"
fi
echo "redis: $REDIS_STATUS"
# pytest's last line, e.g. "==== 70 passed, 1 xfailed in 31.2s ====".
echo "conformance: $(grep -E '^=+ .* in [0-9.]+s.* =+$' "$PYTEST_LOG_FILE" | tail -n 1 | tr -d '=' | sed 's/^ *//;s/ *$//')"

# The schema check's verdict (conformance/python/schema_check.py), or why it was skipped.
grep -E '^schema check' "$PYTEST_LOG_FILE" | tail -n 1 || echo "schema check: did not run"

# node's TAP totals, e.g. "# pass 26" and "# fail 0".
echo "conformance-js: $(grep -E '^# (pass|fail|cancelled) [0-9]+$' "$JS_LOG_FILE" | sed 's/^# //' | paste -sd, - | sed 's/,/, /g')"

grep -E '^examples: ' "$EXAMPLES_LOG_FILE" || echo "examples: did not run"
echo "API coverage: $(grep -E '^([0-9]+ of [0-9]+ paths covered|SKIPPED)' "$COVERAGE_LOG_FILE" | head -n 1 || echo "did not run")"
grep -E '^conformance-openai: ' "$OPENAI_LOG_FILE" || echo "conformance-openai: did not run"
echo "web-e2e: $(grep -E '^# (pass|fail|cancelled) [0-9]+$' "$WEB_E2E_LOG_FILE" | sed 's/^# //' | paste -sd, - | sed 's/,/, /g')"

if ((${#FAILED[@]})); then
  printf 'FAILED: %s\n' "${FAILED[@]}" >&2
  exit 1
fi
echo "all tests passed"
