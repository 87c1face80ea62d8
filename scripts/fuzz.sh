#!/usr/bin/env bash
# Fuzzes scenario parsing and validation (TOML and CSV) with libFuzzer under
# AddressSanitizer + UndefinedBehaviorSanitizer, for a bounded time.
#   scripts/fuzz.sh [SECONDS]      (default 60; needs the main build in build/)
# The seed corpus is fuzz/corpus (valid and broken scenarios with their CSVs);
# crashes are written to build-fuzz/ as crash-*. Exit 0 = no finding,
# 77 = clang or its fuzzer runtime is not installed (the test is skipped).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
out=${FUZZ_DIR:-$here/build-fuzz}
generated=${BUILD_DIR:-$here/build}/generated
command -v clang++ >/dev/null || { echo "fuzz: clang++ not installed; skipping"; exit 77; }
[ -f "$generated/embedded_scenario.cpp" ] || { echo "fuzz: build first (scripts/setup.sh)" >&2; exit 1; }
mkdir -p "$out/corpus"
cp -n "$here"/fuzz/corpus/* "$out/corpus/" 2>/dev/null || true
# toml++ is used as the engine uses it: Debian's shared library (its parser is
# not instrumented; everything of ours is).
if ! clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -DTOML_HEADER_ONLY=0 -DTOML_SHARED_LIB=1 -I"$here/include" -I"$generated" \
    "$here/fuzz/fuzz_scenario.cpp" "$here/src/scenario_load.cpp" "$here/src/scenario.cpp" "$here/src/error.cpp" \
    "$here/src/distribution.cpp" "$generated/embedded_scenario.cpp" -ltomlplusplus -o "$out/fuzz_scenario" 2>"$out/build.log"; then
  if grep -q "libclang_rt.fuzzer\|fsanitize=fuzzer" "$out/build.log"; then
    echo "fuzz: clang's fuzzer runtime is missing (libclang-rt-14-dev); skipping"; exit 77
  fi
  cat "$out/build.log" >&2; exit 1
fi
cd "$out"
./fuzz_scenario corpus -max_total_time="$seconds" -max_len=200000 -rss_limit_mb=4096 -timeout=10 \
  -print_final_stats=1 2>fuzz.log || { tail -60 fuzz.log >&2; exit 1; }
grep -E "^(Done|stat::number_of_executed_units)" fuzz.log || true
echo "fuzz: no crash, leak or sanitizer report in $seconds s"
