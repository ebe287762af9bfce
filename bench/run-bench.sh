#!/usr/bin/env bash
# Usage: [BUILD_DIR=build] [RUNS=3] bench/run-bench.sh MODE [parley-bench options...]
#   e.g. RUNS=3 bench/run-bench.sh private --clients 50 --window 8 --seconds 5
# For each run: a fresh parley-server (own data dir, pinned with taskset to SERVER_CPU,
# default 0) and parley-bench against it (pinned to BENCH_CPU, default 1) with
# --server-pid. Prints every RESULT line, then the medians of msgs_per_s, us_per_msg,
# p99_ms and kib_per_conn. SERVER_ARGS adds flags to the server.
set -euo pipefail

if [ $# -lt 1 ] || [ "${1#-}" != "$1" ]; then
  sed -n '2,3p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
mode=$1
shift

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
runs=${RUNS:-3}
server_bin=$build/server/parley-server
bench_bin=$build/bench/parley-bench
for bin in "$server_bin" "$bench_bin"; do
  [ -x "$bin" ] || { echo "run-bench.sh: $bin not found: build first (ninja -C $build) or set BUILD_DIR" >&2; exit 2; }
done

# The accounts must match what parley-bench will log in as.
clients=10
prefix=bench
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    --clients) clients=${args[$((i + 1))]:-$clients} ;;
    --clients=*) clients=${args[$i]#--clients=} ;;
    --prefix) prefix=${args[$((i + 1))]:-$prefix} ;;
    --prefix=*) prefix=${args[$i]#--prefix=} ;;
  esac
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/parley-bench-XXXXXX")
server_pid=""
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}
trap 'stop_server; rm -rf "$tmp"' EXIT

"$bench_bin" credentials --clients "$clients" --prefix "$prefix" >"$tmp/credentials.txt"

results=()
for ((run = 1; run <= runs; run++)); do
  # A long idle timeout: an idle run must not see its sessions logged out.
  : >"$tmp/server-$run.out"
  # shellcheck disable=SC2086
  taskset -c "${SERVER_CPU:-0}" "$server_bin" --port 0 --credentials "$tmp/credentials.txt" \
    --data-dir "$tmp/data-$run" --timeout 86400 --log-level warn --no-rate-limits ${SERVER_ARGS:-} \
    >"$tmp/server-$run.out" 2>"$tmp/server-$run.log" </dev/null &
  server_pid=$!
  # The server prints "parley-server listening on 127.0.0.1:PORT fingerprint ..." once ready.
  port=""
  for ((tries = 0; tries < 400; tries++)); do
    port=$(sed -n 's/.*listening on [0-9.]*:\([0-9]*\) fingerprint.*/\1/p' "$tmp/server-$run.out" || true)
    [ -n "$port" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.05
  done
  if [ -z "$port" ]; then
    echo "run-bench.sh: the server did not start:" >&2
    cat "$tmp/server-$run.log" >&2
    exit 1
  fi

  line=$(taskset -c "${BENCH_CPU:-1}" "$bench_bin" --mode "$mode" --host 127.0.0.1 --port "$port" \
    --server-pid "$server_pid" "$@")
  echo "$line"
  results+=("$line")
  stop_server
done

# Median of one field over the runs (the mean of the middle two for an even count).
median() {
  local field=$1
  printf '%s\n' "${results[@]}" | tr ' ' '\n' | sed -n "s/^$field=//p" | sort -g |
    awk '{v[NR] = $1} END {if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}
echo "MEDIAN mode=$mode runs=$runs msgs_per_s=$(median msgs_per_s) us_per_msg=$(median us_per_msg)" \
  "p99_ms=$(median p99_ms) kib_per_conn=$(median kib_per_conn)"
