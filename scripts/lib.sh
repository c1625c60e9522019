# Helpers for scripts/test.sh (sourced, not run).

step() { printf '\n==> %s\n' "$*" >&2; }

die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# need CMD HINT: fail early with what to install instead of a confusing error later.
need() {
  command -v "$1" >/dev/null 2>&1 || die "$1 not found; $2"
}

# The target directory cargo really uses (honours CARGO_TARGET_DIR and .cargo/config).
cargo_target_dir() {
  cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])'
}

# with_timeout SECONDS CMD...: a hung run must fail CI, not stall it. Plain run without coreutils.
with_timeout() {
  local secs=$1
  shift
  if command -v timeout >/dev/null 2>&1; then
    timeout --kill-after=30 "$secs" "$@"
  else
    "$@"
  fi
}

sha256_of() {
  python3 -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$1"
}

# setup_venv DIR REQUIREMENTS: create or reuse a venv; reinstall only when the requirements change.
setup_venv() {
  local venv=$1 req=$2
  local stamp="$venv/.coze-requirements.sha256"
  local want
  want="$(sha256_of "$req")"
  if [[ -x "$venv/bin/python" ]] && "$venv/bin/python" -c 'import cozepy, openai, pytest' >/dev/null 2>&1 &&
    [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    echo "reusing $venv ($("$venv/bin/python" -c 'import cozepy; print("cozepy", cozepy.VERSION)'))" >&2
    return 0
  fi
  if ! [[ -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
    rm -rf "$venv"
    python3 -m venv "$venv" ||
      die "python3 -m venv failed; on Debian/Ubuntu install the python3-venv package"
  fi
  local attempt
  for attempt in 1 2 3; do
    if "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
      --retries 5 --timeout 60 -r "$req"; then
      echo "$want" >"$stamp"
      return 0
    fi
    echo "pip install failed (attempt $attempt of 3), retrying in $((attempt * 10))s" >&2
    sleep $((attempt * 10))
  done
  die "could not install $req into $venv; check access to PyPI (pip's error is above)"
}

# rust_summary LOG: one line adding up every "test result:" line cargo test printed.
rust_summary() {
  python3 - "$1" <<'PY'
import re, sys
totals = dict(passed=0, failed=0, ignored=0)
suites = 0
for line in open(sys.argv[1], errors="replace"):
    m = re.search(r"test result: (\w+)\. (\d+) passed; (\d+) failed; (\d+) ignored", line)
    if m:
        suites += 1
        totals["passed"] += int(m[2]); totals["failed"] += int(m[3]); totals["ignored"] += int(m[4])
print(f"rust: {totals['passed']} passed, {totals['failed']} failed, {totals['ignored']} ignored"
      f" ({suites} test binaries and doc-test runs)")
PY
}
