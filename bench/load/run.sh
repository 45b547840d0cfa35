#!/usr/bin/env bash
# Load benchmark (issue 19 item 8): one coordinator on loopback against GROUPS simulated
# worker groups (load_gen, sending what `chromatune worker` sends: register, lease, a
# heartbeat 1 s into a trial and every 10 s after, complete simulated 0.5 s trials with the
# next lease in the same exchange, one trial leased ahead), then the peer: Optuna with RDB
# storage on SQLite at 64 worker processes.
# Usage: bench/load/run.sh [BUILD_DIR] [GROUPS] [WINDOW_S] [OPTUNA_PROCESSES]
#        (defaults: build 1000 60 64)
# Prints one JSON line per measurement: load_gen's (trials/s, lease, heartbeat and
# complete(+lease) latency p50/p99/max), then the coordinator's peak RSS and the leases that
# expired during the run (from its store), then Optuna's (bench/dispatch/optuna_noop.py).
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
GROUPS_N=${2:-1000}
WINDOW_S=${3:-60}
OPTUNA_P=${4:-64}
WARMUP_S=15
cmake --build "$BUILD" --target chromatune load_gen >/dev/null || exit 1
EXE=$BUILD/chromatune
OUT=$(mktemp -d /tmp/ct-load.XXXXXX)
COORD=
cleanup() { [ -n "$COORD" ] && kill "$COORD" 2>/dev/null; rm -rf "$OUT"; }
trap cleanup EXIT
echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(uname -r)"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
CHROMATUNE_LOG=warn "$EXE" coordinator --db "$OUT/runs.db" --listen "127.0.0.1:$PORT" \
  --insecure-loopback --lease-timeout 30 >"$OUT/coordinator.out" 2>"$OUT/coordinator.log" &
COORD=$!
for _ in $(seq 100); do grep -q "listening on" "$OUT/coordinator.out" 2>/dev/null && break; sleep 0.1; done

# Enough no-op trials for 2,000 trials/s over the warm-up, the window and a margin.
TRIALS=$(( 2000 * (WARMUP_S + WINDOW_S + 20) ))
python3 - "$OUT/load.yaml" "$TRIALS" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
seeds = ", ".join(str(i) for i in range(1, n + 1))
open(path, "w").write(
    "name: load\ntask: classification\ndataset: fashion-mnist\nshots: [1]\n"
    f"replicates: {{data_seeds: [1], train_seeds: [{seeds}]}}\n"
    "methods:\n  - {name: noop}\nretries: 0\n")
PY
"$EXE" submit "$OUT/load.yaml" --coordinator "127.0.0.1:$PORT" >/dev/null || exit 1

cpu_s() { awk '{print ($14 + $15) / 100}' "/proc/$COORD/stat"; }  # utime + stime, USER_HZ 100
RSS_BEFORE_MB=$(awk '/VmRSS/ {print $2 / 1024}' "/proc/$COORD/status")
CPU_BEFORE=$(cpu_s); T0=$(date +%s.%N)
"$BUILD/bench/load/load_gen" --coordinator "127.0.0.1:$PORT" --groups "$GROUPS_N" \
  --trial-ms 500 --heartbeat-s 10 --warmup-s "$WARMUP_S" --seconds "$WINDOW_S"
CPU_SHARE=$(python3 -c "import time; print(round(($(cpu_s) - $CPU_BEFORE) / (time.time() - $T0), 2))")
RSS_NOW_MB=$(awk '/VmRSS/ {print $2 / 1024}' "/proc/$COORD/status")
RSS_MB=$(awk '/VmHWM/ {print $2 / 1024}' "/proc/$COORD/status")
EXPIRED=$(python3 -c "import sqlite3,sys; c=sqlite3.connect('file:$OUT/runs.db?mode=ro', uri=True); print(c.execute(\"SELECT count(*) FROM attempts WHERE outcome = 'expired'\").fetchone()[0])")
echo "{\"coordinator_peak_rss_mb\": $RSS_MB, \"coordinator_rss_mb_before_load\": $RSS_BEFORE_MB, \"coordinator_rss_mb_after_load\": $RSS_NOW_MB, \"coordinator_cores_used\": $CPU_SHARE, \"expired_leases\": $EXPIRED, \"groups\": $GROUPS_N}"
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
kill "$COORD"; wait "$COORD" 2>/dev/null; COORD=

/usr/bin/python3 bench/dispatch/optuna_noop.py --storage sqlite --trials $(( OPTUNA_P * 25 )) \
  --processes "$OPTUNA_P" --dir "$OUT" 2>"$OUT/optuna-sqlite.err"
