#!/usr/bin/env bash
# Usage: [BUILD_DIR=build] [CLIENTS=5000] [VIA=token|password] bench/reconnect-bench.sh
# The reconnect storm: a parley-server with CLIENTS bench accounts, parley-bench
# --mode reconnect logs them all in, then the server is restarted the ordinary way
# (SIGTERM, then started again on the same port and data directory) and the bench
# measures how long until every client is back (RESULT line: total_s from the first lost
# connection, storm_s from the first client back). VIA=password comes back with
# password logins instead of resumption tokens, for contrast. SERVER_ARGS adds flags to
# the server.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
clients=${CLIENTS:-5000}
via=${VIA:-token}
server_bin=$build/server/parley-server
bench_bin=$build/bench/parley-bench
for bin in "$server_bin" "$bench_bin"; do
  [ -x "$bin" ] || { echo "reconnect-bench.sh: $bin not found: build first or set BUILD_DIR" >&2; exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/parley-reconnect-XXXXXX")
server_pid=""
bench_pid=""
cleanup() {
  [ -n "$bench_pid" ] && kill "$bench_pid" 2>/dev/null || true
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

"$bench_bin" credentials --clients "$clients" > "$tmp/credentials.txt"

# Starts the server on port $1 (0: any) and sets server_pid and port.
start_server() {
  : > "$tmp/server.out"
  # shellcheck disable=SC2086
  "$server_bin" --port "$1" --credentials "$tmp/credentials.txt" --data-dir "$tmp/data" \
    --log-level warn ${SERVER_ARGS:-} > "$tmp/server.out" 2>> "$tmp/server.log" < /dev/null &
  server_pid=$!
  for _ in $(seq 1 200); do
    if grep -q "listening on" "$tmp/server.out"; then
      port=$(sed -n 's/.*listening on [0-9.]*:\([0-9]*\).*/\1/p' "$tmp/server.out")
      return 0
    fi
    sleep 0.05
  done
  echo "reconnect-bench.sh: the server did not start: $(cat "$tmp/server.log")" >&2
  exit 1
}

start_server 0
: > "$tmp/bench.out"
"$bench_bin" --mode reconnect --port "$port" --clients "$clients" --reconnect-with "$via" \
  --logins-in-flight 64 --log-level warn > "$tmp/bench.out" &
bench_pid=$!
until grep -q READY "$tmp/bench.out"; do
  kill -0 "$bench_pid" 2>/dev/null || { echo "reconnect-bench.sh: parley-bench ended early" >&2; exit 1; }
  sleep 0.1
done
kill -TERM "$server_pid"
wait "$server_pid" || true
start_server "$port"
wait "$bench_pid"
bench_pid=""
grep RESULT "$tmp/bench.out"
