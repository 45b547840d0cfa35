#!/usr/bin/env bash
# chromatune's LibTorch CLIP against Python PyTorch running the same architecture on the same
# LibTorch (Debian's python3-torch), on CPU, ViT-B/32 shape with random weights:
#   image encoding of a batch of 32 random 224 x 224 images (no_grad), and
#   one CoOp step (M = 16 unified context vectors, Fashion-MNIST's 10 classes, batch 32).
# Runs clip_bench (C++) and clip_python.py alternately, one process at a time, ROUNDS times
# each with the same thread count, pools every timed repetition of a side, prints a table
# with the ratio C++ / Python and rewrites the generated part of bench/clip/RESULTS.md
# (hand-written notes after the "notes" marker are kept). While it runs, a sampler notes
# every 5 s whether a compiler (cc1plus) was running: on a shared machine that is the
# figures' main error.
#
# Usage: bench/clip/run.sh [BUILD_DIR] [ROUNDS] [REPS]   (defaults: build 4 5)
#   needs target clip_bench: cmake --build BUILD_DIR --target clip_bench
#   CKPT=FILE reuses a checkpoint (a torch.save'd plain dict); otherwise a ~605 MB one is
#   written under a temporary folder (removed on exit) by tests/clip/make_checkpoint.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
rounds=${2:-4}
reps=${3:-5}
threads=${THREADS:-2}
warmup=1
py=/usr/bin/python3
bin=$build/bench/clip/clip_bench
vocab=/work/shared/clip/bpe_simple_vocab_16e6.txt.gz
[[ -x $bin ]] || { echo "missing $bin: cmake --build $build --target clip_bench" >&2; exit 2; }
tmp=$(mktemp -d)
sampler=
trap '[[ -n $sampler ]] && kill "$sampler" 2> /dev/null; rm -rf "$tmp"' EXIT
ckpt=${CKPT:-$tmp/vit-b32-random.pt}
if [[ ! -f $ckpt ]]; then
  "$py" tests/clip/make_checkpoint.py --arch vit --size full-vit-b32 --format state_dict \
    --out "$ckpt" 2> "$tmp/make.log" || { cat "$tmp/make.log" >&2; exit 1; }
  # make_checkpoint.py pickles a collections.OrderedDict (as model.state_dict() is), which
  # chromatune's reader cannot open yet (torch::pickle_load turns a top-level OrderedDict into
  # None; see RESULTS.md): the same tensors are re-saved as a plain dict.
  "$py" -c 'import sys, torch; torch.save(dict(torch.load(sys.argv[1])), sys.argv[1])' "$ckpt"
fi

common=(--checkpoint "$ckpt" --vocab "$vocab" --threads "$threads" --warmup "$warmup"
        --reps "$reps")
started=$(date -u '+%F %H:%M UTC')
while true; do
  echo "$(cut -d' ' -f1 /proc/loadavg) $(pgrep -xc cc1plus || true)" >> "$tmp/samples.txt"
  sleep 5
done &
sampler=$!
for round in $(seq 1 "$rounds"); do
  echo "round $round: C++" >&2
  "$bin" "${common[@]}" | sed "s/^/cpp /" >> "$tmp/results.txt"
  echo "round $round: Python" >&2
  PYTHONDONTWRITEBYTECODE=1 "$py" bench/clip/clip_python.py "${common[@]}" |
    sed "s/^/python /" >> "$tmp/results.txt"
done
kill "$sampler"
sampler=

cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
CPU="$cpu" NPROC=$(nproc) STARTED="$started" ENDED=$(date -u '+%H:%M UTC') \
  COMMAND="bench/clip/run.sh $build $rounds $reps" THREADS="$threads" REPS="$reps" \
  ROUNDS="$rounds" WARMUP="$warmup" \
  "$py" - "$tmp/results.txt" "$tmp/samples.txt" bench/clip/RESULTS.md <<'PY'
import os, statistics, sys
times = {}  # (measurement, side) -> every timed repetition of every round, ms
for line in open(sys.argv[1]):
    side, name, *ms = line.split()
    times.setdefault((name, side), []).extend(float(t) for t in ms)
samples = [line.split() for line in open(sys.argv[2])]
busy = sum(1 for s in samples if int(s[1]) > 0)
loads = [float(s[0]) for s in samples]
labels = [("image_encode", "image encoding, batch 32 (no_grad)"),
          ("coop_step", "**CoOp step** (M = 16, 10 classes, batch 32)"),
          ("coop_image", "of which: image tower (no_grad)"),
          ("coop_text_forward", "of which: text tower forward, logits, loss"),
          ("coop_backward_sgd", "of which: backward, SGD step")]
table = ["| measurement | C++ median ms | Python median ms | C++ / Python, medians "
         "| C++ min ms | Python min ms | C++ / Python, minima |",
         "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
for key, label in labels:
    c, p = times[(key, "cpp")], times[(key, "python")]
    cm, pm = statistics.median(c), statistics.median(p)
    table.append(f"| {label} | {cm:,.0f} | {pm:,.0f} | {cm / pm:.2f}x | "
                 f"{min(c):,.0f} | {min(p):,.0f} | {min(c) / min(p):.2f}x |")
print("\n".join(table))
e = os.environ
n = len(times[("image_encode", "cpp")])
text = f"""# CLIP ViT-B/32 vs Python PyTorch

Goal (issue 14, item 7): chromatune's LibTorch CLIP takes at most 1.0x the time of Python
PyTorch running the same architecture on the same LibTorch (Debian's python3-torch 1.13).

What: a ViT-B/32-shaped CLIP checkpoint with random weights (`tests/clip/make_checkpoint.py
--arch vit --size full-vit-b32 --format state_dict`, 151 M parameters, ~605 MB fp32), on CPU,
{e['THREADS']} LibTorch threads on both sides; `clip_bench` (C++: `ClipModel`,
`PromptLearner::Coop`, the learned text side and cosine head chromatune's CoOp trials use)
against `clip_python.py` (`tests/clip/clip_reference.py` with CoOp's prompt learner and text
encoder written as CoOp's code has them).

- image encoding: 32 random 224 x 224 images in [0, 1], normalised with CLIP's mean and std,
  through the image tower under no_grad;
- CoOp step: the same 32 images through the frozen image tower (no_grad), the 10 Fashion-MNIST
  prompts `[SOS] ctx_1..ctx_16 class [EOS]` (77 tokens) through the text tower with gradients
  to the 16 x 512 context only, L2-normalised features, logits scaled by exp(logit_scale),
  cross-entropy, backward, SGD (lr 0.002, momentum 0.9, weight decay 5e-4).

Each process times {e['REPS']} repetitions of each after {e['WARMUP']} untimed one; C++ and Python
processes ran alternately, {e['ROUNDS']} of each; the figures pool the {n} repetitions of a side.

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
