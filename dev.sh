#!/usr/bin/env bash
# Parley's developer entry point. On a fresh Debian 12 machine:
#   ./dev.sh start   install what is missing, build (release), start the registry server
#   ./dev.sh test    install what is missing, build, run every test
# Also: ./dev.sh peer [args]   start a peer shell against the local server
#       ./dev.sh test-sanitize build with ASan+UBSan and run every test (CI runs it too)
#       ./dev.sh fuzz [seconds]  libFuzzer (clang-14) on every fuzz target, 60 s each (CI runs it)
#       ./dev.sh deps            only install the packages
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(g++ meson ninja-build pkg-config libasio-dev libcereal-dev libssl-dev doctest-dev libsqlite3-dev
          libcli11-dev libfmt-dev libspdlog-dev libreadline-dev nlohmann-json3-dev libcpp-httplib-dev
          iptables iproute2)
# Only for ./dev.sh fuzz: the normal build and test run replay the corpus with g++.
FUZZ_PACKAGES=(clang-14 libclang-rt-14-dev)

# deps [package...]: installs those missing (default: the build's)
deps() {
  local missing=() wanted=("${@:-${PACKAGES[@]}}")
  for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "dev.sh: installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The browser tests' Chromium (Debian's) and playwright-core (npm, from the committed
# lockfile); never a browser download. Without Node 20 and npm those tests are skipped.
browser_deps() {
  if ! dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q "install ok installed"; then
    echo "dev.sh: installing chromium"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
  fi
  if command -v npm >/dev/null && [ ! -d tests/browser/node_modules/playwright-core ]; then
    (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
  fi
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
    browser_deps
    build build --buildtype=release
    run_tests build
    ;;
  fuzz)
    deps "${PACKAGES[@]}" "${FUZZ_PACKAGES[@]}"
    exec fuzz/run.sh "${1:-60}"
    ;;
  test-sanitize)
    deps
    browser_deps
    build build-sanitize --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 run_tests build-sanitize
    ;;
  *)
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
