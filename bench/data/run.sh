#!/usr/bin/env bash
# chromatune's image decoding + CLIP preprocessing against Python Pillow + numpy, on the
# same generated JPEG files, side by side in one run:
#   C++: data_bench (datasets/image_cache.h LoadPreprocessedImages with the disk cache off:
#        stb_image decoding, Pillow-exact bicubic resize of the shorter side to 224, centre
#        crop, on the data module's decoding thread pool; then CLIP's normalisation);
#   Python: data_python.py (Pillow open/convert/resize/crop, numpy normalisation, a thread
#        pool of the same size).
# COUNT JPEGs of varied non-square sizes around 500 x 375 are written by make_images.py into
# a temporary folder (removed on exit). For each thread count in THREAD_LIST (default "1 2")
# C++ and Python processes run alternately, one at a time, ROUNDS times each; every timed
# repetition of a side is pooled. Prints a Markdown table of images per second with the
# ratio C++ / Python, and rewrites the generated part of bench/data/RESULTS.md (hand-written
# notes after the "notes" marker are kept). While it runs, a sampler notes every 5 s the
# load average and whether a compiler (cc1plus) was running: on a shared machine that is the
# figures' main error.
#
# Usage: bench/data/run.sh [BUILD_DIR] [ROUNDS] [REPS]   (defaults: build 3 3)
#   builds target data_bench if it is missing; COUNT=500 files; THREAD_LIST="1 2".
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
rounds=${2:-3}
reps=${3:-3}
count=${COUNT:-500}
thread_list=${THREAD_LIST:-1 2}
warmup=1
size=224
py=/usr/bin/python3
bin=$build/bench/data/data_bench
if [[ ! -x $bin ]]; then
  cmake --build "$build" --target data_bench >&2 ||
    { echo "cannot build $bin: cmake --build $build --target data_bench" >&2; exit 2; }
fi
tmp=$(mktemp -d)
sampler=
trap '[[ -n $sampler ]] && kill "$sampler" 2> /dev/null; rm -rf "$tmp"' EXIT
PYTHONDONTWRITEBYTECODE=1 "$py" bench/data/make_images.py "$tmp/images" "$count" 15 \
  > "$tmp/list.txt"
bytes=$(du -sb "$tmp/images" | cut -f1)

started=$(date -u '+%F %H:%M UTC')
while true; do
  echo "$(cut -d' ' -f1 /proc/loadavg) $(pgrep -xc cc1plus || true)" >> "$tmp/samples.txt"
  sleep 5
done &
sampler=$!
for threads in $thread_list; do
  common=(--list "$tmp/list.txt" --threads "$threads" --size "$size" --warmup "$warmup"
          --reps "$reps")
  for round in $(seq 1 "$rounds"); do
    echo "threads $threads, round $round: C++" >&2
    "$bin" "${common[@]}" | sed "s/^/cpp $threads /" >> "$tmp/results.txt"
    echo "threads $threads, round $round: Python" >&2
    PYTHONDONTWRITEBYTECODE=1 "$py" bench/data/data_python.py "${common[@]}" |
      sed "s/^/python $threads /" >> "$tmp/results.txt"
  done
done
kill "$sampler"
sampler=

cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
pillow=$("$py" -c 'import PIL; print(PIL.__version__)')
numpy=$("$py" -c 'import numpy; print(numpy.__version__)')
CPU="$cpu" NPROC=$(nproc) STARTED="$started" ENDED=$(date -u '+%H:%M UTC') \
  COMMAND="bench/data/run.sh $build $rounds $reps" REPS="$reps" ROUNDS="$rounds" \
  WARMUP="$warmup" COUNT="$count" BYTES="$bytes" PILLOW="$pillow" NUMPY="$numpy" \
  "$py" - "$tmp/results.txt" "$tmp/samples.txt" bench/data/RESULTS.md <<'PY'
import os, statistics, sys
times, images, sums = {}, {}, {}  # (side, threads) -> ms of every timed repetition
for line in open(sys.argv[1]):
    side, threads, name, *values = line.split()
    key = (side, int(threads))
    if name == "decode_preprocess":
        times.setdefault(key, []).extend(float(v) for v in values)
    elif name == "images":
        images[key] = int(values[0])
    elif name == "checksum":
        sums[key] = float(values[0])
samples = [line.split() for line in open(sys.argv[2])]
busy = sum(1 for s in samples if int(s[1]) > 0)
loads = [float(s[0]) for s in samples] or [0.0]
table = ["| threads | C++ images/s (median) | Python images/s (median) | C++ / Python "
         "| C++ images/s (best) | Python images/s (best) | C++ / Python, best |",
         "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
for threads in sorted({t for _, t in times}):
    c, p = times[("cpp", threads)], times[("python", threads)]
    n = images[("cpp", threads)]
    rate = lambda ms: n / (ms / 1000.0)
    cm, pm = rate(statistics.median(c)), rate(statistics.median(p))
    cb, pb = rate(min(c)), rate(min(p))
    table.append(f"| {threads} | {cm:,.0f} | {pm:,.0f} | {cm / pm:.2f}x | {cb:,.0f} | "
                 f"{pb:,.0f} | {cb / pb:.2f}x |")
print("\n".join(table))
e = os.environ
per_side = len(next(iter(times.values())))
check = ", ".join(f"{side} {t} threads {v:.3f}" for (side, t), v in sorted(sums.items()))
text = f"""# Decoding and CLIP preprocessing vs Pillow + numpy

Goal (issue 15, item 4): how many images per second chromatune's data module decodes and
preprocesses for a trial on users' data, against Python doing the same with Pillow and numpy
on the same files, with the same number of threads.

What: {e['COUNT']} JPEG files ({int(e['BYTES']) / 1e6:.1f} MB) of varied non-square sizes around
500 x 375 (width 400..640, height 300..480, a quarter portrait), photo-like content, written
by Pillow at quality 90 (`bench/data/make_images.py`, seed 15). Each image is decoded,
resized (bicubic, shorter side to {224}), centre-cropped to 224 x 224 and normalised with
CLIP's mean and std to float CHW.

- C++: `data_bench`, i.e. `LoadPreprocessedImages` (datasets/image_cache.h) with the disk
  cache off: stb_image decoding, `ClipPreprocess` (Pillow-exact bicubic, datasets/resample.h)
  on the data module's decoding thread pool, then the normalisation on as many threads;
- Python: `data_python.py`, Pillow {e['PILLOW']} (`Image.open(p).convert("RGB")`, `resize(...,
  BICUBIC)`, `crop`) and numpy {e['NUMPY']}, the files spread over a `ThreadPoolExecutor` of as
  many threads (Pillow releases the GIL while decoding and resizing).

Each process times {e['REPS']} passes over all files after {e['WARMUP']} untimed one (the files are
in the page cache for both); C++ and Python processes ran alternately, {e['ROUNDS']} of each per
thread count; the figures pool the {per_side} passes of a side. Images per second = files /
pass time; C++ / Python is the ratio of images per second (above 1: chromatune is
faster). Checksums of the last pass (one element per image, summed; JPEG decoders differ
slightly, so they agree only roughly): {check}.

Command: `{e['COMMAND']}`

Machine: {e['CPU']}, {e['NPROC']} cores (nproc), {e['STARTED']} to {e['ENDED']}. Load average
{min(loads):.1f} to {max(loads):.1f}; another engineer's compiler was running in {busy} of the
{len(samples)} five-second samples taken during the runs.

""" + "\n".join(table) + "\n\n"
old = open(sys.argv[3]).read() if os.path.exists(sys.argv[3]) else ""
marker = "<!-- notes: kept by run.sh -->"
notes = old[old.index(marker):] if marker in old else marker + "\n"
open(sys.argv[3], "w").write(text + notes)
print(f"wrote {sys.argv[3]}", file=sys.stderr)
PY
