#!/usr/bin/env bash
# Download benchmark: one file, four holders (HOLDERS), one timed downloader, all on
# loopback and in tmpfs (/dev/shm), so what is measured is Parley's CPU, not a disk.
#
#   bench/download-bench.sh [BUILD]        BUILD: meson build dir (or env BUILD; default ./build)
#   SIZE=256M CHUNKS=64 HOLDERS=1 WARM=0 bench/download-bench.sh build
#   SERVER_ARGS="--force-path relay" bench/download-bench.sh    every link through the relay
#     (in the server: the server's CPU is the relay's, printed as "server")
#   RELAY=separate SERVER_ARGS="--force-path relay" bench/download-bench.sh    through a
#     parley-relay of its own (RELAY_ARGS for its flags, e.g. "--link-rate 0 --total-rate 0"),
#     whose CPU is printed apart from the server's
#   PERF_OUT=/tmp/dl.perf bench/download-bench.sh    also records the downloader with perf
#     (PERF_ARGS, default -g; "--call-graph dwarf" sees through code without frame pointers;
#     PERF_WHO=alice profiles a holder instead)
#
# alice registers the file; bob, carol and dave download it (so four peers hold every
# chunk); then erin downloads the whole file while the clock runs. Prints the rate, the
# CPU seconds of the downloader and of the holders over that download (utime+stime from
# /proc/PID/stat), the downloader's peak RSS, and fails unless erin's bytes are the
# original's.
set -euo pipefail

BUILD=${1:-${BUILD:-build}}
SIZE=${SIZE:-1G}        # bytes, or with a K/M/G suffix (binary units)
CHUNKS=${CHUNKS:-64}
HOLDERS=${HOLDERS:-4}    # 1 to 4: alice, then bob, carol and dave after downloading it
TIMEOUT=${TIMEOUT:-300}  # seconds any one stage may take
SHM=${SHM:-/dev/shm}

server_bin=$BUILD/server/parley-server
peer_bin=$BUILD/peer/parley-peer
relay_bin=$BUILD/relay/parley-relay
for bin in "$server_bin" "$peer_bin"; do
  [[ -x $bin ]] || { echo "download-bench: no $bin (build first, or pass the build dir)" >&2; exit 2; }
done
bytes=$(numfmt --from=iec "$SIZE")
((HOLDERS >= 1 && HOLDERS <= 4)) || { echo "download-bench: HOLDERS must be 1 to 4" >&2; exit 2; }
holders=(alice bob carol dave)
holders=("${holders[@]:0:HOLDERS}")
hz=$(getconf CLK_TCK)

work=$(mktemp -d "$SHM/parley-bench.XXXXXX")
pids=()
cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if ((status != 0)); then
    echo "download-bench: failed; last lines of the logs:" >&2
    tail -n 5 "$work"/*.log "$work"/*.err 2>/dev/null >&2 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

die() { echo "download-bench: $*" >&2; exit 1; }

# Polls (every 20 ms: cheap, and well under the resolution that matters here) until
# `file` has a line matching the extended regex `pattern`.
await() {
  local file=$1 pattern=$2 what=$3 deadline=$((SECONDS + TIMEOUT))
  until grep -Eq -- "$pattern" "$file" 2>/dev/null; do
    grep -q '"type":"error"' "$file" 2>/dev/null && die "$what: $(grep '"type":"error"' "$file" | tail -n 1)"
    ((SECONDS < deadline)) || die "timed out waiting for $what"
    sleep 0.02
  done
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# The main thread of a peer runs its event loop (network, TLS, frames); the others are
# its disk workers (hashing, file I/O).
loop_ticks() { awk '{ print $14 + $15 }' "/proc/$1/task/$1/stat"; }

echo "download-bench: $bytes bytes in $CHUNKS chunks, in $work; load: $(cut -d' ' -f1-3 /proc/loadavg)"

users=("${holders[@]}" erin)
for u in "${users[@]}"; do echo "$u ${u}-pw"; done >"$work/credentials.txt"
mkdir -p "$work/share-alice"
head -c "$bytes" /dev/urandom >"$work/share-alice/data.bin"

relay_flags=()
if [[ ${RELAY:-} == separate ]]; then
  [[ -x $relay_bin ]] || die "no $relay_bin (build first)"
  echo "bench-relay-secret-$RANDOM$RANDOM$RANDOM" >"$work/relay-secret"
  "$relay_bin" --port 0 --bind 127.0.0.1 --secret-file "$work/relay-secret" --data-dir "$work/relay-data" \
    --log-level warn ${RELAY_ARGS:-} </dev/null >"$work/relay.log" 2>"$work/relay.err" &
  relay_pid=$!
  pids+=($!)
  await "$work/relay.log" 'listening on' "the relay"
  relay_flags=(--relay-at "$(sed -nE 's/.*listening on ([0-9.]+:[0-9]+) .*/\1/p' "$work/relay.log")"
    --relay-fingerprint "$(sed -nE 's/.* fingerprint ([0-9a-f]{64}).*/\1/p' "$work/relay.log")"
    --relay-secret-file "$work/relay-secret")
fi

"$server_bin" --port 0 --bind 127.0.0.1 --timeout 3600 --credentials "$work/credentials.txt" \
  --data-dir "$work/server-data" --log-level warn ${SERVER_ARGS:-} "${relay_flags[@]}" </dev/null >"$work/server.log" 2>"$work/server.err" &
server_pid=$!
pids+=($!)
await "$work/server.log" 'listening on' "the server"
port=$(sed -nE 's/.*listening on [0-9.]+:([0-9]+) .*/\1/p' "$work/server.log")
fingerprint=$(sed -nE 's/.* fingerprint ([0-9a-f]{64}).*/\1/p' "$work/server.log")

# Each peer reads commands from its own FIFO, held open read-write by this shell (so the
# peer never sees end of input until we close it) on fd ${fd[user]}.
declare -A fd pid
start_peer() {
  local u=$1
  mkfifo "$work/$u.in"
  exec {fd[$u]}<>"$work/$u.in"
  mkdir -p "$work/share-$u" "$work/dl-$u"
  PARLEY_PASSWORD="${u}-pw" "$peer_bin" --json --server "127.0.0.1:$port" --server-fingerprint "$fingerprint" \
    --user "$u" --data-dir "$work/peer-$u" --share-dir "$work/share-$u" --download-dir "$work/dl-$u" \
    <"$work/$u.in" >>"$work/$u.log" 2>"$work/$u.err" &
  pid[$u]=$!
  pids+=($!)
}
say() { echo "$2" >&"${fd[$1]}"; }

for u in "${users[@]}"; do start_peer "$u"; done
for u in "${users[@]}"; do await "$work/$u.log" '"type":"login"' "$u's login"; done

say alice "register data.bin $CHUNKS"
await "$work/alice.log" '"type":"registered"' "alice's register"
for u in "${holders[@]:1}"; do say "$u" "download data.bin"; done
for u in "${holders[@]:1}"; do await "$work/$u.log" '"type":"downloaded"' "$u's download"; done

# The holders announce on their own connections: wait until the server lists them all
# for the last chunk (each announces its chunks before printing "downloaded").
deadline=$((SECONDS + TIMEOUT))
while :; do
  : >"$work/erin.log"
  say erin "searchChunk data.bin $CHUNKS"
  await "$work/erin.log" '"type":"chunks"' "erin's searchChunk"
  line=$(grep '"type":"chunks"' "$work/erin.log")
  all=1
  for u in "${holders[@]}"; do [[ $line == *"\"$u\""* ]] || all=0; done
  ((all)) && break
  ((SECONDS < deadline)) || die "the server never listed all ${#holders[@]} holders: $line"
  sleep 0.1
done

# On a VM whose guest memory is backed lazily (this machine: Firecracker), the first
# touch of a free page costs far more than the copy into it (writing 6 GiB of fresh
# tmpfs took 1.3 CPU-s per GiB). Writing the size of the file once, just before, makes
# the timed download reuse warm pages, so it measures Parley rather than the hypervisor.
# WARM=0 measures it cold.
if ((${WARM:-1})); then
  head -c "$bytes" /dev/zero >"$work/warm"
  rm "$work/warm"
fi

declare -A before
for u in erin "${holders[@]}"; do before[$u]=$(cpu_ticks "${pid[$u]}"); done
server_before=$(cpu_ticks "$server_pid")
relay_before=$( [[ -n ${relay_pid:-} ]] && cpu_ticks "$relay_pid" || echo 0)
loop_before=$(loop_ticks "${pid[erin]}")
if [[ -n ${PERF_OUT:-} ]]; then  # profile a peer during the timed download
  perf record ${PERF_ARGS:--g} -o "$PERF_OUT" -p "${pid[${PERF_WHO:-erin}]}" 2>"$work/perf.err" &
  perf_pid=$!
  sleep 0.5
fi
start=$(date +%s.%N)
say erin "download data.bin"
await "$work/erin.log" '"type":"downloaded"' "erin's download"
end=$(date +%s.%N)
if [[ -n ${perf_pid:-} ]]; then kill -INT "$perf_pid"; wait "$perf_pid" || true; fi
declare -A used
for u in erin "${holders[@]}"; do used[$u]=$(($(cpu_ticks "${pid[$u]}") - ${before[$u]})); done
server_used=$(($(cpu_ticks "$server_pid") - server_before))
relay_used=$( [[ -n ${relay_pid:-} ]] && echo $(($(cpu_ticks "$relay_pid") - relay_before)) || echo 0)
loop_used=$(($(loop_ticks "${pid[erin]}") - loop_before))
rss_kib=$(awk '/^VmHWM:/ { print $2 }' "/proc/${pid[erin]}/status")

cmp "$work/share-alice/data.bin" "$work/dl-erin/data.bin" || die "erin's copy differs from the original"
downloaded=$(grep '"type":"downloaded"' "$work/erin.log")

holder_total=0
holder_detail=""
for u in "${holders[@]}"; do
  holder_total=$((holder_total + used[$u]))
  holder_detail+=" $u $(awk -v t="${used[$u]}" -v hz="$hz" 'BEGIN { printf "%.2f", t / hz }')"
done
awk -v bytes="$bytes" -v start="$start" -v end="$end" -v dl="${used[erin]}" -v loop="$loop_used" \
  -v hold="$holder_total" -v hz="$hz" -v rss="$rss_kib" -v detail="$holder_detail" 'BEGIN {
    secs = end - start
    printf "wall %.3f s  rate %.1f MB/s  downloader %.2f CPU-s (loop %.2f, disk %.2f)  holders %.2f CPU-s (%s )  downloader peak RSS %.1f MiB\n",
      secs, bytes / secs / 1e6, dl / hz, loop / hz, (dl - loop) / hz, hold / hz, detail, rss / 1024
  }'
awk -v t="$server_used" -v hz="$hz" -v bytes="$bytes" 'BEGIN {
  printf "server (and its relay) %.2f CPU-s, %.2f CPU-s per GiB\n", t / hz, t / hz / (bytes / 1073741824) }'
if [[ -n ${relay_pid:-} ]]; then
  awk -v t="$relay_used" -v hz="$hz" -v bytes="$bytes" 'BEGIN {
    printf "parley-relay %.2f CPU-s, %.2f CPU-s per GiB\n", t / hz, t / hz / (bytes / 1073741824) }'
fi
echo "sources: $(sed -nE 's/.*"sources":(\[[^]]*\]).*/\1/p' <<<"$downloaded")  bytes verified identical"
