#!/usr/bin/env bash
# Parley's developer entry point. On a fresh Debian 12 machine:
#   ./dev.sh start   install what is missing, build (release), start the registry server
#   ./dev.sh test    install what is missing, build, run every test
# Also: ./dev.sh peer [args]   start a peer shell against the local server
#       ./dev.sh test-sanitize build with ASan+UBSan and run every test (CI runs it too)
#       ./dev.sh deps            only install the packages
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(g++ meson ninja-build pkg-config libasio-dev libcereal-dev libssl-dev doctest-dev libsqlite3-dev
          libcli11-dev libfmt-dev libspdlog-dev libreadline-dev nlohmann-json3-dev iptables iproute2)

deps() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "dev.sh: installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# build DIR [meson options...]
build() {
  local dir=$1
  shift
  if [ -f "$dir/build.ninja" ]; then
    meson configure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@" >/dev/null
  fi
  ninja -C "$dir"
}

# Runs the suites in DIR and ends with one summary line counting every test case.
run_tests() {
  local dir=$1 status=0
  meson test -C "$dir" --print-errorlogs --num-processes 1 || status=$?
  local passed failed
  passed=$(grep -ho 'test cases: *[0-9]* | *[0-9]* passed' "$dir/meson-logs/testlog.txt" | awk '{s+=$(NF-1)} END {print s+0}')
  failed=$(grep -ho '| *[0-9]* failed |' "$dir/meson-logs/testlog.txt" | awk '{s+=$2} END {print s+0}')
  [ "$status" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1  # a crash counts even without doctest's summary
  echo "tests: $passed passed, $failed failed"
  return "$status"
}

cmd=${1:-}
shift || true
case "$cmd" in
  deps) deps ;;
  start)
    deps
    build build --buildtype=release
    exec build/server/parley-server --credentials credentials.txt --data-dir parley-data "$@"
    ;;
  peer)
    deps
    build build --buildtype=release
    exec build/peer/parley-peer "$@"
    ;;
  test)
    deps
    build build --buildtype=release
    run_tests build
    ;;
  test-sanitize)
    deps
    build build-sanitize --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 run_tests build-sanitize
    ;;
  *)
    sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
