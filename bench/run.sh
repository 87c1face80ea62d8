#!/usr/bin/env bash
# Runs the benchmark set and writes bench/results.json (quoted in
# docs/performance.md). Build first: scripts/setup.sh
#   bench/run.sh [REPLICATES]     (default 20000)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${BENCH_BIN:-$here/build/ehcpsim_bench}
n=${1:-20000}
out=$here/bench/results.json
{
  echo "{\"machine\": \"$(uname -m), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)\","
  echo " \"date\": \"$(date -u +%Y-%m-%d)\","
  echo " \"runs\": ["
  "$bin" throughput --threads 1 -n "$n"; echo ","
  "$bin" throughput --threads 2 -n "$n"; echo ","
  "$bin" endtoend --threads 2 -n $((n / 10)) --variant all; echo ","
  "$bin" endtoend --threads 2 -n "$n" --variant all
  echo "]}"
} > "$out"
cat "$out"
