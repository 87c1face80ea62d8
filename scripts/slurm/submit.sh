#!/usr/bin/env bash
# Queue an ehcpsim run as a Slurm job array plus a dependent merge job.
#   scripts/slurm/submit.sh SCENARIO REPLICATES SHARDS OUTDIR [SEED]
# e.g. scripts/slurm/submit.sh scenarios/halton/halton.toml 1000000 128 /shared/runs/halton
set -euo pipefail
if [ $# -lt 4 ]; then
  echo "usage: $0 SCENARIO REPLICATES SHARDS OUTDIR [SEED]" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
export SCENARIO=$(realpath "$1") REPLICATES=$2 OUTDIR=$(realpath -m "$4") SEED=${5:-20231220}
export EHCPSIM=${EHCPSIM:-$(realpath "$here/../../build/ehcpsim")}
shards=$3
mkdir -p "$OUTDIR" logs
array=$(sbatch --parsable --export=ALL --array=1-"$shards" "$here/ehcpsim-array.sbatch")
sbatch --export=ALL --dependency=afterok:"$array" "$here/ehcpsim-merge.sbatch"
echo "queued array job $array ($shards shards) and its merge; results: $OUTDIR/ensemble.h5"
