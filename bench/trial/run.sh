#!/usr/bin/env bash
# Side-by-side wall time of one few-shot trial, process start included: `chromatune trial`
# vs the same trial in Python PyTorch (bench/trial/trial_reference.py, Debian's python3-torch,
# the same LibTorch 1.13), alternately, ROUNDS times each, for CoOp 16-shot and fine-tune
# 16-shot on Fashion-MNIST with the default builtin:tiny-clip architecture (2 threads).
#
# Usage: bench/trial/run.sh [BUILD_DIR] [ROUNDS] [EPOCHS]
#   EPOCHS defaults to CoOp's 200 for 16 shots.
# The backbone is pretrained once up front (not timed; 50 steps: the weights do not change
# the cost). Python runs CoOp twice: as CoOp's code does (the frozen image encoder on every
# batch) and with image features cached as chromatune does.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
rounds=${2:-3}
epochs=${3:-200}
bin=$build/chromatune
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
backbone='builtin:tiny-clip?steps=50'

echo "machine: $(nproc) cores, $(uname -m), load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ)"
"$bin" pretrain "$backbone" --cache-dir "$tmp/cache" --threads 2 > /dev/null 2>&1
vocab=$(ls "$tmp"/cache/*/spec.json | head -1)

item() {  # method params
  echo "{\"task\":\"classification\",\"dataset\":\"fashion-mnist\",\"backbone\":\"$backbone\",\
\"method\":\"$1\",\"shots\":16,\"shot_unit\":\"per_class\",\"data_seed\":1,\"train_seed\":1,\
\"params\":$2}"
}

seconds() {  # command... -> wall seconds of the command
  local t0 t1
  t0=$(date +%s.%N)
  "$@" > "$tmp/out.json" 2> "$tmp/err.log" || { cat "$tmp/err.log" >&2; exit 1; }
  t1=$(date +%s.%N)
  "$py" -c "print(f'{$t1 - $t0:.2f}')"
}

acc() { "$py" -c "import json; d=json.load(open('$tmp/out.json')); print(d['metrics']['accuracy'] if 'metrics' in d else d['accuracy'])"; }

for round in $(seq 1 "$rounds"); do
  coop=$(item coop "{\"ctx_len\":8,\"epochs\":$epochs}")
  c=$(seconds "$bin" trial --quiet --threads 2 --cache-dir "$tmp/cache" --spec "$coop"); ca=$(acc)
  p=$(seconds "$py" "$here/trial_reference.py" --method coop --vocab "$vocab" --epochs "$epochs"); pa=$(acc)
  q=$(seconds "$py" "$here/trial_reference.py" --method coop --vocab "$vocab" --epochs "$epochs" --cache-features)
  "$py" -c "print(f'round $round coop-16: chromatune {$c:.1f} s (acc $ca), python CoOp-style {$p:.1f} s (acc $pa) ratio {$c/$p:.2f}x, python cached {$q:.1f} s ratio {$c/$q:.2f}x')"
  ft=$(item finetune "{\"epochs\":$epochs}")
  c=$(seconds "$bin" trial --quiet --threads 2 --cache-dir "$tmp/cache" --spec "$ft"); ca=$(acc)
  p=$(seconds "$py" "$here/trial_reference.py" --method finetune --vocab "$vocab" --epochs "$epochs"); pa=$(acc)
  "$py" -c "print(f'round $round finetune-16: chromatune {$c:.1f} s (acc $ca), python {$p:.1f} s (acc $pa) ratio {$c/$p:.2f}x')"
done
