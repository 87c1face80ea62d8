#!/usr/bin/env bash
# Fuzzes what ehcpsim reads with libFuzzer under AddressSanitizer +
# UndefinedBehaviorSanitizer, for a bounded time:
#   scripts/fuzz.sh [SECONDS] [TARGET]      (default 60 s)
# TARGET: scenario (TOML and CSV parsing and validation; the default),
# checkpoint (the checkpoint reader) or results (the ensemble-file reader and
# the summaries computed from it). Each is a CMake target (fuzz/CMakeLists.txt)
# of a build of its own in FUZZ_DIR/build, configured here with clang and
# EHCPSIM_FUZZ=ON; this script builds the target and runs it.
# Seeds: for scenario, written by make_scenario_seeds from the test fixtures
# (tests/scenarios/small/ and the broken cases of tests/scenarios/bad_cases.txt)
# plus fuzz/corpus/scenario/; for the others fuzz/corpus/<target>/ (corpora
# grown by earlier runs, minimised and kept in git). The corpus a run grows
# stays in FUZZ_DIR/corpus-<target>/ and the next run starts from it; crashes
# are written there as crash-*. To keep new finds, minimise them into git's corpus:
#   build/fuzz/build/fuzz_<target> -merge=1 fuzz/corpus/<target> build/fuzz/corpus-<target>
# Exit 0 = no finding, 77 = clang or its fuzzer runtime is not installed (the
# test is skipped).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
target=${2:-scenario}
out=${FUZZ_DIR:-$here/build-fuzz}
build=$out/build
run_flags=()
case "$target" in
  scenario) max_len=200000 ;;
  checkpoint) max_len=65536 ;;
  # HDF5 keeps caches that LeakSanitizer would take for leaks.
  results) max_len=4096; run_flags=(-detect_leaks=0) ;;
  *) echo "fuzz: unknown target '$target' (scenario, checkpoint or results)" >&2; exit 2 ;;
esac
command -v clang++ >/dev/null || { echo "fuzz: clang++ not installed; skipping"; exit 77; }
mkdir -p "$out/corpus-$target"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
# The fuzz.* ctest jobs may run at the same time: one configures and builds at a time.
if ! flock "$out/build.lock" bash -c '
  set -e
  [ -f "$1/CMakeCache.txt" ] || CC=clang CXX=clang++ cmake -S "$2" -B "$1" -DEHCPSIM_FUZZ=ON -DEHCPSIM_SANITIZE=address \
    -DEHCPSIM_TESTS=OFF -DEHCPSIM_BENCH=OFF -DEHCPSIM_MPI=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g" "${@:4}"
  cmake --build "$1" -j2 --target "fuzz_$3"' _ "$build" "$here" "$target" "${launcher[@]}" >"$out/build-$target.log" 2>&1; then
  if grep -q "libclang_rt.fuzzer\|fsanitize=fuzzer" "$out/build-$target.log"; then
    echo "fuzz: clang's fuzzer runtime is missing (libclang-rt-14-dev); skipping"; exit 77
  fi
  tail -60 "$out/build-$target.log" >&2; exit 1
fi
if [ "$target" = scenario ]; then
  "$build/make_scenario_seeds" "$out/corpus-$target"
fi
for seed in "$here/fuzz/corpus/$target"/*; do [ -f "$seed" ] && cp -n "$seed" "$out/corpus-$target/"; done
cd "$out"
"$build/fuzz_$target" "corpus-$target" -max_total_time="$seconds" -max_len="$max_len" -rss_limit_mb=4096 -timeout=10 \
  -artifact_prefix="$out/corpus-$target/" -print_final_stats=1 "${run_flags[@]}" 2>"fuzz-$target.log" ||
  { tail -60 "fuzz-$target.log" >&2; exit 1; }
grep -E "^(Done|stat::number_of_executed_units)" "fuzz-$target.log" || true
echo "fuzz ($target): no crash, leak or sanitizer report in $seconds s"
