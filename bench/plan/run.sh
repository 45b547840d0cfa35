#!/usr/bin/env bash
# Plans a 100,000-trial sweep: the library (plan_bench) and the CLI end to end
# (`chromatune sweep plan --format json`, process start and JSON output included).
# Usage: bench/plan/run.sh [BUILD_DIR]   (default build; configures and builds what it needs)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$root/build}"
cmake -S "$root" -B "$build" -G Ninja >/dev/null
cmake --build "$build" --target plan_bench chromatune -j2 >/dev/null
yaml="$(mktemp --suffix=.yaml)"
trap 'rm -f "$yaml"' EXIT
"$build/bench/plan/plan_bench" --repeats 5 --write-yaml "$yaml"
TIMEFORMAT='chromatune sweep plan --format json (100,000 trials): %R s'
for i in 1 2 3; do
  time "$build/chromatune" sweep plan "$yaml" --format json >/dev/null
done
