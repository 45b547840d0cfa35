#!/usr/bin/env bash
# The dashboard on 100,000-trial sweeps (issue 5: a sweep's page in under 2 s). Fills two
# temporary stores through the store's write path and times the API calls of the sweep
# page and the page itself in chromium (bench.mjs):
#  - bench-grounding: CPT protocol, 100,870 trials, 280 cells (dashboard_fixture: 10
#    settings x (7 zero-shot + 48 data seeds x 10 train seeds x 21 trained trials); HDF5
#    artifacts for the first 1,000);
#  - bench-report: CoOp random search, 100,005 trials, 2,005 cells, 7,920 paired
#    comparisons (report_bench's store, the report benchmark's sweep).
# Usage: bench/dashboard/run.sh [BUILD_DIR] [ROUNDS]   (default build, 3; builds what it needs)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$root/build}"
rounds="${2:-3}"
cmake -S "$root" -B "$build" -G Ninja >/dev/null
cmake --build "$build" --target chromatune dashboard_fixture report_bench -j2 >/dev/null
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u '+%F %H:%M UTC'); load: $(cut -d' ' -f1-3 /proc/loadavg)"
TIMEFORMAT='fill (setup, not timed goal): %R s'
time "$build/tests/browser/dashboard_fixture" --db "$dir/grounding.sqlite" --sweep bench-grounding \
  --settings 10 --data-seeds 48 --train-seeds 10 --artifacts 1000
time "$build/bench/report/report_bench" --repeats 1 --store "$dir/coop.sqlite" >/dev/null
for store in "grounding.sqlite bench-grounding" "coop.sqlite bench-report"; do
  set -- $store
  echo
  node "$root/bench/dashboard/bench.mjs" --bin "$build/chromatune" --db "$dir/$1" --sweep "$2" \
    --rounds "$rounds"
done
echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
