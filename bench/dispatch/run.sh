#!/usr/bin/env bash
# Dispatch benchmark (docs/benchmarks.md "## Dispatch"), side by side in one run:
#  1. no-op trials/s, 4 worker processes on loopback: chromatune vs Optuna 3.1 with SQLite
#     storage and with journal file storage (4 processes each, no-op objective);
#  2. overhead: 2,000 trials of 50 ms over 2 chromatune workers vs the ideal 50 s.
# Usage: bench/dispatch/run.sh [BUILD_DIR] [TRIALS]   (defaults: build, 2000)
# Optuna runs under /usr/bin/python3 (Debian's python3-optuna). Prints one JSON line per
# measurement; failures (e.g. crashed Optuna processes) are part of the output, never hidden.
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
TRIALS=${2:-2000}
EXE=$BUILD/chromatune
OUT=$(mktemp -d /tmp/ct-dispatch.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $(uname -r), optuna $(/usr/bin/python3 -c 'import optuna;print(optuna.__version__)')"
python3 bench/dispatch/chromatune_dispatch.py --exe "$EXE" --trials "$TRIALS" --workers 4 --dir "$OUT"
/usr/bin/python3 bench/dispatch/optuna_noop.py --storage sqlite --trials "$TRIALS" --processes 4 --dir "$OUT" 2>"$OUT/optuna-sqlite.err"
/usr/bin/python3 bench/dispatch/optuna_noop.py --storage journal --trials "$TRIALS" --processes 4 --dir "$OUT" 2>"$OUT/optuna-journal.err"
python3 bench/dispatch/chromatune_dispatch.py --exe "$EXE" --trials 2000 --workers 2 --sleep-ms 50 --dir "$OUT"
