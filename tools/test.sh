#!/usr/bin/env bash
# Builds everything and runs the whole test suite with ctest, exiting with
# ctest's status. FF_SANITIZE=1 builds into build-asan with AddressSanitizer
# and UndefinedBehaviorSanitizer instead; FF_SANITIZE=both runs the plain
# suite and then the sanitizer one. CI runs the plain suite: on 2 cores the
# sanitizer build alone takes longer than the whole plain run.
# Then, unless FF_FUZZ=0, the fuzz pass: the libFuzzer targets built with
# clang in build-fuzz, each run for FF_FUZZ_SECONDS (default 20) over its
# seed corpus (docs/fuzzing.md).
# shellcheck disable=SC2317 # the functions below run from the EXIT trap
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

mode="${FF_SANITIZE:-0}"
case "$mode" in
  0) passes="build:OFF" ;;
  1) passes="build-asan:ON" ;;
  both) passes="build:OFF build-asan:ON" ;;
  *) echo "test.sh: FF_SANITIZE must be 0, 1 or both" >&2; exit 2 ;;
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
for pass in $passes; do
  build_dir="${pass%%:*}"
  sanitize="${pass##*:}"
  echo "test.sh: building $build_dir (sanitizers $sanitize)"
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFF_SANITIZE="$sanitize"
  cmake --build "$build_dir" -j2
  TMPDIR="$run_tmp" ctest --test-dir "$build_dir" --output-on-failure -j2 || status=$?
done

if [ "${FF_FUZZ:-1}" != 0 ]; then
  echo "test.sh: building build-fuzz (clang, libFuzzer)"
  cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
    -DFF_FUZZ=ON -DFF_FUZZ_SECONDS="${FF_FUZZ_SECONDS:-20}"
  cmake --build build-fuzz -j2
  TMPDIR="$run_tmp" ctest --test-dir build-fuzz --output-on-failure -j2 -L fuzz || status=$?
fi
exit "$status"
