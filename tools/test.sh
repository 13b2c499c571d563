#!/usr/bin/env bash
# Builds everything and runs the whole test suite with ctest, exiting with
# the worst status of its passes. By default (and in CI) three passes run:
#   1. plain: build/, RelWithDebInfo, every ctest executable;
#   2. fuzz: the libFuzzer targets built with clang in build-fuzz, each run
#      for FF_FUZZ_SECONDS (default 20) over its seed corpus
#      (docs/fuzzing.md); FF_FUZZ=0 skips it;
#   3. sanitizers: build-asan/, AddressSanitizer + UndefinedBehaviorSanitizer
#      at -O1 with line tables only (it builds about twice as fast as
#      -O2 -g and reports the same), every ctest executable again.
# FF_SANITIZE chooses the build passes: both (default), 0 (plain only),
# 1 (sanitizers only), or thread (ThreadSanitizer over the actor and HTTP
# tests, in build-tsan; not part of CI).
# shellcheck disable=SC2317 # the functions below run from the EXIT trap
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

mode="${FF_SANITIZE:-both}"
case "$mode" in
  0) passes="build:plain" ;;
  1) passes="build-asan:asan" ;;
  both) passes="build:plain build-asan:asan" ;;
  thread) passes="build-tsan:tsan" ;;
  *) echo "test.sh: FF_SANITIZE must be both, 0, 1 or thread" >&2; exit 2 ;;
esac

# Every temporary folder of the tests (fixtures create theirs under TMPDIR,
# and their redis-server children run inside them) lives here, so the
# cleanup can find what this run started and nothing else.
run_tmp="$(mktemp -d "${TMPDIR:-/tmp}/ff-test-run-XXXXXX")"

# redis-server processes whose working folder is inside this run's folder.
stray_redis_pids() {
  local proc cwd
  for proc in /proc/[0-9]*; do
    [ "$(cat "$proc/comm" 2>/dev/null)" = redis-server ] || continue
    cwd="$(readlink "$proc/cwd" 2>/dev/null)" || continue
    case "$cwd" in
      "$run_tmp" | "$run_tmp"/*) echo "${proc#/proc/}" ;;
    esac
  done
}

cleanup() {
  local pids
  pids="$(stray_redis_pids)"
  if [ -n "$pids" ]; then
    echo "test.sh: stopping stray redis-server: ${pids//$'\n'/ }" >&2
    # shellcheck disable=SC2086 # one pid per word
    kill -TERM $pids 2>/dev/null || true
    sleep 1
    pids="$(stray_redis_pids)"
    # shellcheck disable=SC2086
    [ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
  fi
  rm -rf "$run_tmp"
  echo "test.sh: wall time ${SECONDS}s"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bash tools/install-deps.sh

status=0
build_pass() {
  local build_dir="$1" kind="$2"
  local flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DFF_SANITIZE=OFF -DFF_TSAN=OFF)
  local only=()
  case "$kind" in
    asan) flags+=(-DFF_SANITIZE=ON "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1") ;;
    tsan) flags+=(-DFF_TSAN=ON "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1")
          only=(-R '^ff_(actor|http)_tests$') ;;
  esac
  echo "test.sh: building $build_dir ($kind)"
  cmake -S . -B "$build_dir" "${flags[@]}"
  cmake --build "$build_dir" -j2
  TMPDIR="$run_tmp" ctest --test-dir "$build_dir" --output-on-failure -j2 "${only[@]}" || status=$?
}

# shellcheck disable=SC2086 # one pass per word
set -- $passes
# The plain pass first, then the fuzz pass (it needs no sanitizer build),
# then the sanitizer pass: a broken build fails fast.
build_pass "${1%%:*}" "${1##*:}"
shift
if [ "${FF_FUZZ:-1}" != 0 ] && [ "$mode" != thread ]; then
  echo "test.sh: building build-fuzz (clang, libFuzzer)"
  cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
    -DFF_FUZZ=ON -DFF_FUZZ_SECONDS="${FF_FUZZ_SECONDS:-20}"
  cmake --build build-fuzz -j2
  TMPDIR="$run_tmp" ctest --test-dir build-fuzz --output-on-failure -j2 -L fuzz || status=$?
fi

for pass in "$@"; do
  build_pass "${pass%%:*}" "${pass##*:}"
done
exit "$status"
