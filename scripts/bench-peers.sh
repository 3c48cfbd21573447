#!/usr/bin/env bash
# bench-peers.sh: the shared loopback harness (../shared/bench/peers.sh) with dlpool plugged in as one
# more peer (OURS_CMD), measured in the same interleaved rounds and verified like the others.
#
#   scripts/bench-peers.sh                                  curl wget2 aria2c dlpool; small big latency
#   PEERS="curl dlpool" WORKLOADS=small RUNS=7 scripts/bench-peers.sh
#   scripts/bench-peers.sh verify small DIR                 (arguments go to peers.sh unchanged)
#
# Needs the harness's corpus, nginx, wget2 and aria2c: run ../shared/bench/setup.sh once (apt-get and
# ~550 MiB in BENCH_DIR, default /tmp/dlbench). All peers.sh knobs (N, RUNS, WARMUP, WORKLOADS, PEERS,
# BENCH_DIR, PORT, ...) pass through. peers.sh takes the peer name from OURS_NAME, so the peer is
# called `dlpool` in PEERS, not `ours`. The shared folder is read-only, so its results go to
# RESULTS_DIR (default ${TMPDIR:-/tmp}/dlpool-bench-peers) instead of shared/bench/results.
# Builds first (npm run build) unless SKIP_BUILD=1.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
harness="$root/../shared/bench/peers.sh"
[ -x "$harness" ] || [ -f "$harness" ] || { echo "bench-peers: no $harness" >&2; exit 2; }
[ "${SKIP_BUILD:-0}" = 1 ] || npm run --silent build

# peers.sh runs the template under `bash -c`, with {n} {dir} {list} replaced by quoted variables.
printf -v bin '%q' "$root/bin/dlpool.js"
export OURS_CMD="node $bin get -q -j {n} -d {dir} {list}"
export OURS_NAME=dlpool
export PEERS="${PEERS:-curl wget2 aria2c dlpool}"
export RESULTS_DIR="${RESULTS_DIR:-${TMPDIR:-/tmp}/dlpool-bench-peers}"
mkdir -p "$RESULTS_DIR"
echo "bench-peers: results in $RESULTS_DIR" >&2
exec bash "$harness" "$@"
