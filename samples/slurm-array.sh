#!/bin/bash
# dlpool on Slurm: one list, an array of N tasks, each downloading the shards K with K mod N = its task id.
#   sbatch samples/slurm-array.sh urls.txt /shared/out
#   # when every task has ended:
#   dlpool merge /shared/out --manifest /shared/out/SHA256SUMS --failed failed.txt
# A task that is requeued (or run again by hand) skips the shards it had finished.
#SBATCH --job-name=dlpool
#SBATCH --array=0-3
#SBATCH --cpus-per-task=2
#SBATCH --time=12:00:00
set -euo pipefail
list=${1:?usage: sbatch slurm-array.sh LIST OUTDIR}
out=${2:?usage: sbatch slurm-array.sh LIST OUTDIR}
tasks=$(( SLURM_ARRAY_TASK_MAX - SLURM_ARRAY_TASK_MIN + 1 ))
exec npx dlpool get "$list" -d "$out" -j 32 \
  --shard "$(( SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN ))/$tasks" --shard-size "${SHARD_SIZE:-10000}" --progress plain
