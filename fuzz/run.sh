#!/usr/bin/env bash
# Builds the fuzz targets with clang's libFuzzer (ASan + UBSan) and fuzzes each for a
# bounded time, failing on the first crash, leak, timeout or broken invariant.
#   fuzz/run.sh [seconds] [target ...]   default: 60 s each, every target; 0: build only
# Needs clang-14 and libclang-rt-14-dev (Debian 12; ./dev.sh fuzz installs them).
# Inputs it discovers go to build-fuzz/corpus/<target> (not the repo); a crash is saved
# as build-fuzz/artifacts/<target>-crash-<sha1>: fix it, then copy the input into
# fuzz/corpus/<target>/ so the normal test run replays it from then on.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH=${1:-60}
shift || true
ALL_TARGETS=(frame registry link piece commands credentials config)
TARGETS=("${@:-${ALL_TARGETS[@]}}")
OUT=${FUZZ_BUILD_DIR:-build-fuzz}
CXX=${FUZZ_CXX:-clang++-14}
command -v ccache >/dev/null && CXX="ccache $CXX"

# Everything the targets call, compiled once with coverage and sanitizers into one
# archive; each target links only what it uses. No sockets, no Asio.
SOURCES=(shared/wire/frame.cpp shared/wire/codec.cpp shared/wire/validate.cpp shared/wire/piece_frame.cpp
         shared/files/chunking.cpp shared/files/file_names.cpp shared/util/hex.cpp
         peer/commands.cpp peer/command_help.cpp peer/config_file.cpp peer/options.cpp
         server/auth/credentials_file.cpp server/auth/password.cpp)
FLAGS=(-std=c++20 -O1 -g -fno-omit-frame-pointer -I. -DSPDLOG_FMT_EXTERNAL
       -fsanitize=address,undefined -fno-sanitize-recover=all)
LIBS=(-lfmt -lcrypto)

build() {
  mkdir -p "$OUT/obj" "$OUT/artifacts"
  local objects=() pids=() src obj
  for src in "${SOURCES[@]}"; do
    obj="$OUT/obj/${src//\//_}.o"
    objects+=("$obj")
    $CXX "${FLAGS[@]}" -fsanitize=fuzzer-no-link -c "$src" -o "$obj" &
    pids+=($!)
    # Two compilers at a time: the machine's cores are shared.
    if [ ${#pids[@]} -ge 2 ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
  rm -f "$OUT/libparley_fuzz.a"
  ar rcs "$OUT/libparley_fuzz.a" "${objects[@]}"
  for t in "${TARGETS[@]}"; do
    $CXX "${FLAGS[@]}" -fsanitize=fuzzer "fuzz/fuzz_$t.cpp" "$OUT/libparley_fuzz.a" "${LIBS[@]}" -o "$OUT/fuzz_$t"
  done
}

fuzz() {
  local t=$1 status=0 extra=()
  # Several frames of many KiB in one input: longer inputs than the default 4 KiB.
  [ "$t" = frame ] && extra=(-max_len=131072)
  mkdir -p "$OUT/corpus/$t"
  echo "fuzz/run.sh: $t for ${SECONDS_EACH}s"
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "$OUT/fuzz_$t" "$OUT/corpus/$t" "fuzz/corpus/$t" -max_total_time="$SECONDS_EACH" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$t-" "${extra[@]}" \
    >"$OUT/$t.log" 2>&1 || status=$?
  grep -E '^#[0-9]+ *(DONE|INITED)|stat::number_of_executed_units' "$OUT/$t.log" | tail -2 || true
  if [ "$status" -ne 0 ]; then
    tail -40 "$OUT/$t.log"
    echo "fuzz/run.sh: $t FAILED (exit $status); the input is in $OUT/artifacts/"
  fi
  return "$status"
}

build
[ "$SECONDS_EACH" -eq 0 ] && exit 0  # libFuzzer would read 0 as "no time limit"
failed=()
for t in "${TARGETS[@]}"; do fuzz "$t" || failed+=("$t"); done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz/run.sh: crashes in ${failed[*]}"
  exit 1
fi
echo "fuzz/run.sh: ${#TARGETS[@]} target(s), ${SECONDS_EACH}s each, no crash"
