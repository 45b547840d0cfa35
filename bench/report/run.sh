#!/usr/bin/env bash
# Report over 100,000 trials: the library (report_bench: BuildReport, rendering, and the
# store -> report path) and the CLI end to end (`chromatune report`, process start, read-only
# open, ListOutcomes, statistics and table output) on the store the bench fills.
# Usage: bench/report/run.sh [BUILD_DIR]   (default build; configures and builds what it needs)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$root/build}"
cmake -S "$root" -B "$build" -G Ninja >/dev/null
cmake --build "$build" --target report_bench -j2 >/dev/null
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
"$build/bench/report/report_bench" --repeats 5 --store "$dir/bench.db"
if cmake --build "$build" --target chromatune -j2 >/dev/null 2>&1; then
  TIMEFORMAT='chromatune report --format table (100,000 trials): %R s'
  for i in 1 2 3; do
    time "$build/chromatune" report --db "$dir/bench.db" --sweep bench-report >/dev/null
  done
else
  echo "chromatune binary does not build here; CLI timing skipped" >&2
fi
