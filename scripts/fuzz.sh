#!/usr/bin/env bash
# Fuzzes what ehcpsim reads with libFuzzer under AddressSanitizer +
# UndefinedBehaviorSanitizer, for a bounded time:
#   scripts/fuzz.sh [SECONDS] [TARGET]      (default 60 s; needs the main build in build/)
# TARGET: scenario (TOML and CSV parsing and validation; the default),
# checkpoint (the checkpoint reader) or results (the ensemble-file reader and
# the summaries computed from it). Seeds: fuzz/corpus/*.txt (scenario, made by
# hand) and fuzz/corpus/<target>/ (a corpus grown by earlier runs, minimised
# and kept in git). The corpus a run grows stays in FUZZ_DIR/corpus-<target>/ and the next
# run starts from it; crashes are written there as crash-*. To keep new finds,
# minimise them into git's corpus:
#   build/fuzz/fuzz_<target> -merge=1 fuzz/corpus/<target> build/fuzz/corpus-<target>
# Exit 0 = no finding, 77 = clang or its fuzzer runtime is not installed (the
# test is skipped).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
target=${2:-scenario}
out=${FUZZ_DIR:-$here/build-fuzz}
generated=${BUILD_DIR:-$here/build}/generated
command -v clang++ >/dev/null || { echo "fuzz: clang++ not installed; skipping"; exit 77; }
[ -f "$generated/embedded_scenario.cpp" ] || { echo "fuzz: build first (scripts/setup.sh)" >&2; exit 1; }
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I"$here/include"
       -I"$generated")
hdf5=(-I/usr/include/hdf5/serial -L/usr/lib/x86_64-linux-gnu/hdf5/serial -lhdf5_hl -lhdf5)
run_flags=()
case "$target" in
  scenario)
    # toml++ is used as the engine uses it: Debian's shared library (its
    # parser is not instrumented; everything of ours is).
    sources=("$here/fuzz/fuzz_scenario.cpp" "$here/src/scenario_load.cpp" "$here/src/scenario.cpp"
             "$here/src/error.cpp" "$here/src/distribution.cpp" "$generated/embedded_scenario.cpp")
    libs=(-DTOML_HEADER_ONLY=0 -DTOML_SHARED_LIB=1 -ltomlplusplus)
    seeds=("$here"/fuzz/corpus/*.txt "$here"/fuzz/corpus/scenario/*)
    max_len=200000 ;;
  checkpoint)
    sources=("$here/fuzz/fuzz_checkpoint.cpp" "$here/src/checkpoint.cpp" "$here/src/results.cpp"
             "$here/src/error.cpp")
    libs=(-lz)
    seeds=("$here"/fuzz/corpus/checkpoint/*)
    max_len=65536 ;;
  results)
    # HDF5 is Debian's shared library, not instrumented: the inputs are edits
    # made through its API (fuzz/fuzz_results.cpp), so what is fuzzed is our
    # reading of what a file holds, not HDF5's decoder. HDF5 keeps caches
    # that LeakSanitizer would take for leaks.
    sources=("$here/fuzz/fuzz_results.cpp" "$here/src/output.cpp" "$here/src/results.cpp" "$here"/src/summary/*.cpp
             "$here/src/core/text.cpp" "$here/src/core/ambition.cpp" "$here/src/error.cpp")
    libs=("${hdf5[@]}" -I/usr/include/eigen3 -lz)
    seeds=("$here"/fuzz/corpus/results/*)
    run_flags=(-detect_leaks=0)
    max_len=4096 ;;
  *) echo "fuzz: unknown target '$target' (scenario, checkpoint or results)" >&2; exit 2 ;;
esac
mkdir -p "$out/corpus-$target"
for seed in "${seeds[@]}"; do [ -f "$seed" ] && cp -n "$seed" "$out/corpus-$target/"; done
binary="$out/fuzz_$target"
if ! clang++ "${flags[@]}" "${sources[@]}" "${libs[@]}" -o "$binary" 2>"$out/build-$target.log"; then
  if grep -q "libclang_rt.fuzzer\|fsanitize=fuzzer" "$out/build-$target.log"; then
    echo "fuzz: clang's fuzzer runtime is missing (libclang-rt-14-dev); skipping"; exit 77
  fi
  cat "$out/build-$target.log" >&2; exit 1
fi
cd "$out"
"$binary" "corpus-$target" -max_total_time="$seconds" -max_len="$max_len" -rss_limit_mb=4096 -timeout=10 \
  -artifact_prefix="$out/corpus-$target/" -print_final_stats=1 "${run_flags[@]}" 2>"fuzz-$target.log" ||
  { tail -60 "fuzz-$target.log" >&2; exit 1; }
grep -E "^(Done|stat::number_of_executed_units)" "fuzz-$target.log" || true
echo "fuzz ($target): no crash, leak or sanitizer report in $seconds s"
