#!/usr/bin/env bash
# Python reader bench (docs/benchmarks.md "Python reader"): a 100,000-trial sweep into a
# pandas DataFrame with python/chromatune (goal < 2 s), side by side with Optuna 3.1's
# trials_dataframe() on a 100,000-trial study in SQLite storage; plus curves(), cells() and
# `chromatune export` (time, peak RSS) on the same store.
# The store is written by `chromatune run` of bench/python/sweep.yaml (100,000 no-op trials,
# coordinator + 2 worker groups: the real write path), unless STORE is given.
# Usage: bench/python/run.sh [BUILD_DIR] [STORE]   (default build; STORE: an existing
#        bench-100k store to reuse). Python parts run under /usr/bin/python3 (Debian's
#        pandas, h5py, optuna).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$root/build}"
store="${2:-}"
cmake --build "$build" --target chromatune -j2 >/dev/null
dir="$(mktemp -d /tmp/ct-pybench.XXXXXX)"
trap 'rm -rf "$dir"' EXIT
echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)," \
  "pandas $(/usr/bin/python3 -c 'import pandas; print(pandas.__version__)')," \
  "optuna $(/usr/bin/python3 -c 'import optuna; print(optuna.__version__)')"
if [[ -z $store ]]; then
  store="$dir/bench.db"
  start=$(date +%s%N)
  "$build/chromatune" run "$root/bench/python/sweep.yaml" --db "$store" --workers 2 \
    --no-progress >/dev/null 2>"$dir/run.err"
  echo "{\"what\": \"store written by chromatune run (setup, not measured)\", \"ms\": $((($(date +%s%N) - start) / 1000000))}"
fi
/usr/bin/python3 "$root/bench/python/bench.py" --exe "$build/chromatune" --db "$store" \
  --sweep bench-100k --repeats 5
/usr/bin/python3 "$root/bench/python/optuna_study.py" --dir "$dir" --trials 100000 --repeats 2
