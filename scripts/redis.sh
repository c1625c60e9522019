#!/usr/bin/env bash
# A throwaway Redis for the tests: Debian's redis-server (installed with apt-get when missing;
# CI runs as root), on a free loopback port, no persistence, in a temp dir.
#
# Sourced (scripts/test.sh does this):  source scripts/redis.sh; redis_start; ...; redis_stop
#   redis_start exports REDIS_URL; without redis-server and no way to install it, it prints
#   why and leaves REDIS_URL unset (the Redis tests then print SKIPPED), except under CI=true,
#   where it fails.
# Run:  bash scripts/redis.sh CMD ARGS...  runs CMD with REDIS_URL set, then stops Redis,
#   e.g. `bash scripts/redis.sh cargo test -p coze-gateway`.

REDIS_PID=""
REDIS_DIR=""

_redis_say() { printf 'redis: %s\n' "$*" >&2; }

_redis_install() {
  command -v redis-server >/dev/null 2>&1 && return 0
  if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    _redis_say "redis-server is not installed (install Debian's redis-server package)"
    return 1
  fi
  _redis_say "installing Debian's redis-server"
  local attempt
  for attempt in 1 2 3; do
    # Another process may hold the dpkg lock: apt waits up to 5 minutes for it.
    if DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q redis-server >/dev/null ||
      { apt-get -o DPkg::Lock::Timeout=300 update -q >/dev/null &&
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q redis-server >/dev/null; }; then
      # The package's own service is not ours; the tests start their own server.
      return 0
    fi
    _redis_say "apt-get failed (attempt $attempt of 3), retrying in $((attempt * 10))s"
    sleep $((attempt * 10))
  done
  _redis_say "could not install redis-server with apt-get"
  return 1
}

_redis_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

redis_start() {
  if ! _redis_install; then
    if [[ "${CI:-}" == true ]]; then
      _redis_say "CI=true needs Redis for the multi-instance tests"
      return 1
    fi
    _redis_say "continuing without Redis: its tests will print SKIPPED"
    return 0
  fi
  REDIS_DIR="$(mktemp -d "${TMPDIR:-/tmp}/coze-redis.XXXXXX")"
  local port attempt
  for attempt in 1 2 3; do
    port="$(_redis_free_port)"
    redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
      --dir "$REDIS_DIR" --logfile "$REDIS_DIR/redis.log" --daemonize no &
    REDIS_PID=$!
    local i
    for i in $(seq 1 50); do
      if redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then
        export REDIS_URL="redis://127.0.0.1:$port/0"
        _redis_say "started on $REDIS_URL (pid $REDIS_PID)"
        return 0
      fi
      kill -0 "$REDIS_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill "$REDIS_PID" 2>/dev/null || true
    wait "$REDIS_PID" 2>/dev/null || true
    REDIS_PID=""
    _redis_say "redis-server did not start on port $port (attempt $attempt): $(tail -n 3 "$REDIS_DIR/redis.log" 2>/dev/null)"
  done
  return 1
}

redis_stop() {
  if [[ -n "$REDIS_PID" ]]; then
    kill "$REDIS_PID" 2>/dev/null || true
    wait "$REDIS_PID" 2>/dev/null || true
    _redis_say "stopped (pid $REDIS_PID)"
    REDIS_PID=""
  fi
  if [[ -n "$REDIS_DIR" ]]; then
    rm -rf "$REDIS_DIR"
  fi
  REDIS_DIR=""
  unset REDIS_URL
  return 0
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  (($#)) || { echo "usage: bash scripts/redis.sh CMD ARGS..." >&2; exit 2; }
  trap redis_stop EXIT
  redis_start
  "$@"
fi
