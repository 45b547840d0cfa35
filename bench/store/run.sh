#!/usr/bin/env bash
# Result store at sweep scale (issue 2, goal < 1 s per step): CreateSweep of 100,000 trials,
# completing them through the state machine, ListOutcomes, reopening. Three runs, each on a
# fresh database file in DIR (default /tmp; put it on the disk the coordinator would use).
# Usage: bench/store/run.sh [BUILD_DIR] [DIR]   (default build; configures and builds what it
# needs)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$root/build}"
dir="${2:-/tmp}"
cmake -S "$root" -B "$build" -G Ninja >/dev/null
cmake --build "$build" --target store_bench -j2 >/dev/null
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u '+%F %H:%M UTC')"
for i in 1 2 3; do
  "$build/bench/store/store_bench" --dir "$dir"
done
