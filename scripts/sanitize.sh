#!/usr/bin/env bash
# Builds the engine and its tests with a sanitizer and runs them.
#   scripts/sanitize.sh address   AddressSanitizer + UndefinedBehaviorSanitizer,
#                                 the whole suite (less the fuzz and sanitizer jobs and
#                                 the browser test: its server is test_serve's, run here)
#   scripts/sanitize.sh thread    ThreadSanitizer on the parallel runner: the
#                                 model tests (thread-count invariance, shared
#                                 draws, capacity, mitigations) and a 2-thread
#                                 CLI run of the default scenario
# Build directories: build-asan / build-tsan beside build/ (SANITIZE_DIR
# overrides); the configure and build logs go inside it. Any sanitizer report
# fails the run (exit 1). Needs the packages scripts/setup.sh installs.
# docs/testing.md says what runs where and why.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
kind=${1:?usage: scripts/sanitize.sh address|thread}
# -g1 (line tables and inlined frames, no variables): enough for every stack
# a report prints and for the frames scripts/tsan.supp matches. ASan at -O0:
# a file compiles 2.6 to 3 times faster than at -O1 -g (the old one-file scenario reader 17 s
# against 52 s), the whole tree in 139 s on two cores, and the suite under it
# still takes only 181 s. TSan at -O1: it builds two targets only, and the
# runner's loops at -O0 would fill the history the suppressions depend on.
# ASan is built with clang when it is installed (scripts/setup.sh installs it for
# the fuzz jobs): at -O0 it compiles the tree in about two thirds of GCC's CPU
# time (248 s against 366 s on two cores), the larger part of this job.
compilers=()
case "$kind" in
  address) dir=${SANITIZE_DIR:-$here/build-asan}; flags="-O0 -g1"
           if command -v clang++ >/dev/null; then compilers=(-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++); fi ;;
  thread) dir=${SANITIZE_DIR:-$here/build-tsan}; flags="-O1 -g1" ;;
  *) echo "usage: scripts/sanitize.sh address|thread" >&2; exit 2 ;;
esac
jobs=${SANITIZE_JOBS:-$(nproc)}
start=$SECONDS
mkdir -p "$dir"
cmake -S "$here" -B "$dir" "${compilers[@]}" -DEHCPSIM_SANITIZE="$kind" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="$flags" \
  -DEHCPSIM_BENCH=OFF >"$dir/sanitize-configure.log" 2>&1 || { cat "$dir/sanitize-configure.log" >&2; exit 1; }
if [ "$kind" = address ]; then
  cmake --build "$dir" -j"$jobs" >"$dir/sanitize-build.log" 2>&1 || { tail -40 "$dir/sanitize-build.log" >&2; exit 1; }
  echo "sanitize: ASan + UBSan build in $((SECONDS - start)) s"
  # halt_on_error: the first report fails the test that made it.
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  # The "statistical" tests (tests/statistical.cmake) and the browser test run in the Release suite only.
  ctest --test-dir "$dir" -LE "fuzz|sanitize|statistical|browser" -j"$jobs" --output-on-failure
else
  cmake --build "$dir" -j"$jobs" --target ehcpsim test_model >"$dir/sanitize-build.log" 2>&1 || { tail -40 "$dir/sanitize-build.log" >&2; exit 1; }
  echo "sanitize: TSan build in $((SECONDS - start)) s"
  # oneTBB is Debian's uninstrumented build: its scheduler's own
  # synchronisation is invisible to TSan. The suppressions name only TBB's
  # internals, never our code (docs/testing.md, "Sanitizers"). A suppression
  # can only match a stack TSan can restore: history_size=7 keeps 4M accesses
  # a thread instead of 128K, so the write that made a recycled task object
  # (often a whole block earlier, on a loaded machine) still has its stack.
  export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:history_size=7:suppressions=$here/scripts/tsan.supp}
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  # First prove the suppressions hide nothing of ours: a racy loop body must
  # be reported.
  c++ -std=c++20 -O1 -g -fsanitize=thread -I"$here/include" "$here/tests/sanitize/tsan_canary.cpp" -ltbb -o "$scratch/canary"
  if TSAN_OPTIONS="$TSAN_OPTIONS:halt_on_error=0:exitcode=0" "$scratch/canary" >"$scratch/canary.log" 2>&1 &&
     grep -q "data race .*tsan_canary.cpp:[0-9]* in operator()" "$scratch/canary.log"; then
    echo "sanitize: the deliberate race in tests/sanitize/tsan_canary.cpp is reported"
  else
    cat "$scratch/canary.log" >&2
    echo "sanitize: ThreadSanitizer missed the deliberate race: the suppressions are too broad" >&2
    exit 1
  fi
  "$dir/test_model"
  "$dir/ehcpsim" run -n 200 --threads 2 -q -o "$scratch/halton.h5" >/dev/null
  "$dir/ehcpsim" run "$here/tests/scenarios/small/small.toml" -n 2000 --threads 2 -q -o "$scratch/small.h5" >/dev/null 2>&1
fi
echo "sanitize: $kind clean in $((SECONDS - start)) s"
