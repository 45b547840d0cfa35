#!/usr/bin/env bash
# Runs the all-reduce benchmark: MPI latency and DDP step time (C++, 2 ranks under mpirun)
# and Gloo latency (Python torch.distributed, 2 processes). Prints markdown tables.
# Usage: bench/allreduce/run.sh [BUILD_DIR]   (default build; needs target allreduce_bench)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
RANKS=${RANKS:-2}
bin="$BUILD/bench/allreduce/allreduce_bench"
[[ -x $bin ]] || { echo "missing $bin: cmake --build $BUILD --target allreduce_bench" >&2; exit 2; }
echo "## MPI (C++, chromatune MpiCommunicator), $RANKS ranks"
mpirun --allow-run-as-root --oversubscribe --bind-to none -np "$RANKS" "$bin" 1
echo
echo "## Gloo (Python torch.distributed, Debian python3-torch), $RANKS ranks"
/usr/bin/python3 bench/allreduce/gloo_allreduce.py "$RANKS"
