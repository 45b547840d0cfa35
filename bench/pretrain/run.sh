#!/usr/bin/env bash
# Side-by-side pretraining step time: 100 steps of the default builtin:tiny-clip (batch 128,
# 56x56 canvases, 2 LibTorch threads) in chromatune vs the same model and step in Python
# PyTorch (Debian's python3-torch, the same LibTorch 1.13), run alternately ROUNDS times.
#
# Usage: bench/pretrain/run.sh [BUILD_DIR] [ROUNDS]   (after building target ct_pretrain_tool)
# The C++ figure is the training loop's own clock (data composition included), the Python
# one its step loop (data made up front); process start is excluded on both sides.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
rounds=${2:-3}
steps=${STEPS:-100}   # STEPS=N overrides the 100 steps (recorded with the figures)
bin=$build/bench/pretrain/ct_pretrain_tool   # same code path as `chromatune pretrain`
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "machine: $(nproc) cores, $(uname -m), load $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq 1 "$rounds"); do
  rm -rf "$tmp/cache"
  # seed=round keeps every round a fresh spec (no cache hit)
  "$bin" "builtin:tiny-clip?steps=$steps&seed=$round" --cache-dir "$tmp/cache" \
      --threads 2 > "$tmp/cpp.json" 2> "$tmp/cpp.log"
  vocab=$("$py" -c "import json,glob; print(len(json.load(open(glob.glob('$tmp/cache/*/spec.json')[0]))['vocabulary']))")
  cpp_s=$("$py" -c "import json; print(json.load(open('$tmp/cpp.json'))['training']['seconds'])")
  py_json=$("$py" "$here/tiny_clip_reference.py" --vocab-size "$vocab" --steps "$steps" --threads 2 --context 24)
  py_s=$("$py" -c "import json,sys; print(json.loads(sys.argv[1])['seconds'])" "$py_json")
  "$py" -c "
c, p = $cpp_s, $py_s
print(f'round $round: chromatune {1000*c/$steps:.1f} ms/step, python {1000*p/$steps:.1f} ms/step, ratio {c/p:.2f}x')"
done
