#!/usr/bin/env bash
# Issue 16's GPU figures, in one run on the GPU machine (one NVIDIA GPU, Python 3 with a CUDA
# pip torch and its nvidia-* wheels, cmake, ninja or make, a C++ compiler; no apt, no
# network). Everything it writes goes under $OUT; it prints a summary table at the end.
#
#   here:        bash bench/gpu/fetch-debs.sh          # .gpu-deps/debs/*.deb (~31 MiB)
#   GPU machine: OUT=/some/dir bash bench/gpu/run.sh    # carry .gpu-deps
#
# Budget: DEADLINE_S (default 540 s = 9 min) for all of it; no step starts after it and each
# step's timeout is cut to what is left. Order (the issue's): build, then (d), (c), (a), (b),
# so that what is most likely to fit comes first.
#
#   build  the full `chromatune` binary (no tests) against the pip torch's CUDA LibTorch
#          (torch.utils.cmake_prefix_path), NCCL of the nvidia-nccl wheel, the CUDA runtime
#          of the nvidia-cuda-runtime wheel, and the Debian packages of .gpu-deps unpacked
#          into the build directory (dpkg -x, or ar + tar without dpkg).
#   (d)    a one-rank CoOp trial with its gradients reduced over a one-rank NCCL communicator
#          (CHROMATUNE_REDUCE_ONE_RANK=1) against the same trial without reduction: metrics
#          and learned context vectors bit for bit.                     -> d_nccl.json
#   (c)    fine-tune step time: `chromatune trial` finetune fp32 and bf16, and the same trial
#          in Python PyTorch (bench/trial/trial_reference.py --device cuda). -> c_steps.json
#   (a)    a CoOp study (1 data seed x shots 1 and 16, CoOp's epochs 50 / 200, 3 train
#          seeds) with `chromatune run --device cuda` against the same trials run the way
#          CoOp's code runs them: one Python process per trial, the frozen image encoder on
#          every batch.                                                  -> a_study.json
#   (b)    packing: the same kind of study with `chromatune run --trials-per-gpu` 1 and 2 on
#          the one GPU, trials per hour.                                 -> b_packing.json
# Also: run.log (timestamped), configure.log, build.log, summary.md, results.json.
#
# Backbone: builtin:tiny-clip (pretrained once, untimed, 50 steps), because the Python side
# (trial_reference.py) implements that architecture; the issue's ViT-B/16 CLIP comparison
# needs a Python CoOp over CLIP's architecture and is left for later (docs/gpu.md).
# Settings: PYTHON (python3), BUILD_DIR (/tmp/chromatune-gpu), DEPS (.gpu-deps),
# DEADLINE_S, JOBS (nproc), SEEDS (3).
# A rehearsal on a machine without a GPU (every command line run for real, tiny settings):
#   CT_BIN=build/chromatune DEVICE=cpu QUICK=1 OUT=/tmp/o PYTHON=/usr/bin/python3 bash bench/gpu/run.sh
# CT_BIN skips the dependencies and the build; DEVICE replaces cuda; QUICK=1 shrinks
# epochs, seeds and pretraining to seconds.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
OUT=${OUT:-$ROOT/gpu-out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
PY=${PYTHON:-python3}
BUILD=${BUILD_DIR:-/tmp/chromatune-gpu}
DEPS_DEBS=${DEPS:-$ROOT/.gpu-deps}/debs
DEADLINE=${DEADLINE_S:-540}
JOBS=${JOBS:-$(nproc)}
SEEDS=${SEEDS:-3}
CT=${CT_BIN:+$(readlink -f "$CT_BIN")}
CT=${CT:-$BUILD/ct/chromatune}
DEV=${DEVICE:-cuda}
QUICK=${QUICK:-0}
WORK=$BUILD/work
mkdir -p "$BUILD" "$WORK"
: > "$OUT/run.log"

log() { echo "[$(date -u +%H:%M:%S) +${SECONDS}s] $*" | tee -a "$OUT/run.log"; }
# Seconds a step may take: `want`, cut to what is left before the deadline (0 = no time).
budget() {
  local left=$((DEADLINE - SECONDS))
  ((left < 10)) && { echo 0; return; }
  ((left < $1)) && { echo "$left"; return; }
  echo "$1"
}
# limited WANT_S CMD...: CMD under timeout (killed 5 s after TERM); 124 when out of time.
limited() {
  local t
  t=$(budget "$1")
  shift
  ((t == 0)) && { log "skipped (deadline ${DEADLINE}s): $*"; return 124; }
  timeout -k 5 "$t" "$@"
}
# figure NAME STATUS JSON: writes $OUT/NAME.json.
figure() { printf '%s\n' "$3" > "$OUT/$1.json"; log "$1: $2"; }

# --- where things are --------------------------------------------------------------------
log "GPU: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 | head -1); $(nproc) cores"
read -r TORCH_DIR TORCH_CMAKE TORCH_VER CXX_STD < <("$PY" - <<'PY'
import os, torch, torch.utils
major, minor = (int(x) for x in torch.__version__.split("+")[0].split(".")[:2])
print(os.path.dirname(torch.__file__), torch.utils.cmake_prefix_path, torch.__version__,
      20 if (major, minor) >= (2, 13) else 17)
PY
) || { log "FAILED: import torch with $PY"; exit 1; }
SITE=$(dirname "$TORCH_DIR")
NCCL_ROOT=$(dirname "$(dirname "$(find -H "$SITE/nvidia" -name nccl.h 2>/dev/null | head -1)")")
CUDART_ROOT=$(dirname "$(dirname "$(find -H "$SITE/nvidia" -name cuda_runtime_api.h 2>/dev/null | head -1)")")
log "torch $TORCH_VER ($TORCH_CMAKE), NCCL $NCCL_ROOT, CUDA runtime $CUDART_ROOT, C++$CXX_STD"
# Unversioned names for the linker where the wheels ship only libX.so.N.
for root in "$NCCL_ROOT" "$CUDART_ROOT"; do
  for so in "$root"/lib/lib*.so.[0-9]*; do
    [[ -e $so ]] && ln -sf "$(basename "$so")" "${so%%.so.*}.so" 2>/dev/null
  done
done

if [[ -z ${CT_BIN:-} ]]; then
# --- Debian packages, unpacked ---------------------------------------------------------------
D=$BUILD/deps
if [[ ! -d $D/usr ]]; then
  [[ -d $DEPS_DEBS ]] || { log "FAILED: no $DEPS_DEBS (run bench/gpu/fetch-debs.sh and carry .gpu-deps)"; exit 1; }
  mkdir -p "$D"
  for deb in "$DEPS_DEBS"/*.deb; do
    if command -v dpkg > /dev/null; then
      dpkg -x "$deb" "$D"
    else
      (cd "$BUILD" && rm -rf ar.tmp && mkdir ar.tmp && cd ar.tmp && ar x "$deb" &&
        tar -xf data.tar.* -C "$D")
    fi
  done
fi
A=$D/usr/lib/x86_64-linux-gnu
# HDF5 lives in hdf5/serial on Debian, where FindHDF5 does not look without h5cc: a prefix
# that puts it where it does.
mkdir -p "$BUILD/hdf5"
ln -sfn "$D/usr/include/hdf5/serial" "$BUILD/hdf5/include"
ln -sfn "$A/hdf5/serial" "$BUILD/hdf5/lib"
export OPAL_PREFIX=$D/usr  # OpenMPI's files, relocated
export LD_LIBRARY_PATH="$TORCH_DIR/lib:$NCCL_ROOT/lib:$CUDART_ROOT/lib:$A:$A/openmpi/lib:$A/hdf5/serial${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

# --- build -----------------------------------------------------------------------------------
GEN=()
command -v ninja > /dev/null && GEN=(-G Ninja)
log "configure"
limited 120 cmake "${GEN[@]}" -S "$ROOT" -B "$BUILD/ct" -DCMAKE_BUILD_TYPE=Release \
  -DCHROMATUNE_WERROR=OFF -DCMAKE_CXX_STANDARD="$CXX_STD" \
  -DCMAKE_LIBRARY_ARCHITECTURE=x86_64-linux-gnu \
  "-DCMAKE_PREFIX_PATH=$TORCH_CMAKE;$D/usr" "-DCMAKE_CXX_FLAGS=-isystem $D/usr/include" \
  -DHDF5_ROOT="$BUILD/hdf5" -DHDF5_C_COMPILER_EXECUTABLE=HDF5_C_COMPILER_EXECUTABLE-NOTFOUND \
  -DMPI_CXX_SKIP_MPICXX=ON -DMPI_CXX_COMPILER="${CXX:-c++}" \
  -DMPI_CXX_HEADER_DIR="$A/openmpi/include" -DMPI_CXX_LIB_NAMES=mpi \
  -DMPI_mpi_LIBRARY="$A/openmpi/lib/libmpi.so" \
  -DCHROMATUNE_NCCL_ROOT="$NCCL_ROOT" -DCHROMATUNE_CUDA_RUNTIME_ROOT="$CUDART_ROOT" \
  > "$OUT/configure.log" 2>&1 || { log "FAILED: configure: $(grep -m1 -A4 'CMake Error' "$OUT/configure.log" | tr '\n' ' ')"; exit 1; }
grep -E 'NCCL communicator|Torch|CUDA' "$OUT/configure.log" | head -5 | sed 's/^/  /' | tee -a "$OUT/run.log"
log "build chromatune ($JOBS jobs)"
limited 330 cmake --build "$BUILD/ct" --target chromatune -j "$JOBS" > "$OUT/build.log" 2>&1 ||
  { log "FAILED: build: $(grep -m3 -E 'error:|undefined reference' "$OUT/build.log" | tr '\n' ' ')"; exit 1; }
missing=$(ldd "$CT" | grep 'not found' || true)
[[ -z $missing ]] || log "WARNING: unresolved libraries: $missing"
log "built: $("$CT" --version 2>&1 | head -1)"
else
  log "using $CT (CT_BIN): no dependencies, no build"
  export LD_LIBRARY_PATH="$TORCH_DIR/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi

# --- shared inputs ---------------------------------------------------------------------------
# From here on in $WORK: `chromatune run`'s workers keep backbones in ./runs/cache, where
# the checkpoint pretrained here (and used by every `trial`) is.
cd "$WORK" || exit 1
CACHE=$WORK/runs/cache
# Sweep files take the builtin backbones by name only, so every figure uses the default
# builtin:tiny-clip, pretrained here once on the GPU (timed in pretrain.json; 1,500 steps).
BACKBONE='builtin:tiny-clip'
E1=50 E16=200 D_EPOCHS=20 C_EPOCHS=20
if ((QUICK)); then  # the rehearsal: a 2-step backbone for the trials; (a), (b) see below
  BACKBONE='builtin:tiny-clip?steps=2&batch_size=8'
  E1=1 E16=1 D_EPOCHS=1 C_EPOCHS=1 SEEDS=1
fi
limited 200 "$CT" pretrain "$BACKBONE" --cache-dir "$CACHE" --device "$DEV" > "$WORK/pretrain.json" 2>> "$OUT/run.log" ||
  log "WARNING: pretraining on the GPU failed (the trials pretrain when they need it)"
VOCAB=$(ls "$CACHE"/*/spec.json 2> /dev/null | head -1)
# item METHOD SHOTS PARAMS [PRECISION]: a plan item for `chromatune trial`.
item() {
  echo "{\"task\":\"classification\",\"dataset\":\"fashion-mnist\",\"backbone\":\"$BACKBONE\",\
\"method\":\"$1\",\"shots\":$2,\"shot_unit\":\"per_class\",\"data_seed\":1,\"train_seed\":1,\
\"params\":$3${4:+,\"precision\":\"$4\"}}"
}
# timed FILE WANT CMD...: CMD's stdout to FILE; prints its wall seconds (or "failed").
timed() {
  local file=$1 want=$2 t0 t1
  shift 2
  t0=$(date +%s.%N)
  if limited "$want" "$@" > "$file" 2>> "$OUT/run.log"; then
    t1=$(date +%s.%N)
    "$PY" -c "print(round($t1 - $t0, 3))"
  else
    echo failed
  fi
}
sweep() {  # NAME SHOTS... : a CoOp study sweep file (CoOp's epochs per shot count)
  local name=$1
  shift
  {
    echo "name: $name"
    echo "task: classification"
    echo "dataset: fashion-mnist"
    echo "backbone: builtin:tiny-clip"
    echo "shots: [$(IFS=,; echo "$*")]"
    echo "replicates: {data_seeds: [1], train_seeds: [$(seq -s, 1 "$SEEDS")]}"
    echo "methods:"
    echo "  - {name: coop, ctx_len: 8, epochs: {1: $E1, 16: $E16}}"
  } > "$WORK/$name.yaml"
  echo "$WORK/$name.yaml"
}

# --- (d) one-rank NCCL trial == plain trial ---------------------------------------------------
D_ITEM=$(item coop 4 "{\"ctx_len\":8,\"epochs\":$D_EPOCHS}")
d_plain=$(timed "$WORK/d_plain.json" 90 "$CT" trial --quiet --device "$DEV" --cache-dir "$CACHE" --spec "$D_ITEM")
d_nccl=$(CHROMATUNE_REDUCE_ONE_RANK=1 timed "$WORK/d_nccl.json" 90 "$CT" trial --quiet --device "$DEV" --cache-dir "$CACHE" --spec "$D_ITEM")
figure d_nccl "plain $d_plain s, nccl $d_nccl s" "$("$PY" - "$WORK/d_plain.json" "$WORK/d_nccl.json" <<'PY'
import json, sys
try:
    a, b = (json.load(open(p)) for p in sys.argv[1:3])
    arr = lambda r: {x["name"]: x.get("data") for x in r.get("arrays", [])}
    same = a["metrics"] == b["metrics"] and arr(a) == arr(b)
    print(json.dumps({"what": "one-rank CoOp trial (4 shots, 20 epochs) on cuda with gradients "
                      "reduced over one-rank NCCL vs not reduced", "bit_equal": same,
                      "metrics_plain": a["metrics"], "metrics_nccl": b["metrics"],
                      "device": a.get("info", {}).get("device")}))
except Exception as e:
    print(json.dumps({"error": str(e)}))
PY
)"

# --- (c) fine-tune step time: fp32, bf16, PyTorch ---------------------------------------------
c_fp32=$(timed "$WORK/c_fp32.json" 120 "$CT" trial --quiet --device "$DEV" --cache-dir "$CACHE" --spec "$(item finetune 16 "{\"epochs\":$C_EPOCHS}")")
c_bf16=$(timed "$WORK/c_bf16.json" 120 "$CT" trial --quiet --device "$DEV" --cache-dir "$CACHE" --spec "$(item finetune 16 "{\"epochs\":$C_EPOCHS}" bf16)")
c_py=$(timed "$WORK/c_py.json" 120 "$PY" "$ROOT/bench/trial/trial_reference.py" --method finetune --device "$DEV" --vocab "$VOCAB" --shots 16 --epochs "$C_EPOCHS")
figure c_steps "fp32 $c_fp32 s, bf16 $c_bf16 s, python $c_py s" "$("$PY" - "$WORK" "$c_fp32" "$c_bf16" "$c_py" "$C_EPOCHS" <<'PY'
import json, sys
work, t32, t16, tpy, epochs = sys.argv[1:6]
steps = int(epochs) * 5  # 160 support images, batch 32
def ms(t):
    try:
        return round(1000 * float(t) / steps, 3)
    except ValueError:
        return None
def acc(name):
    try:
        d = json.load(open(f"{work}/{name}.json"))
        return d["metrics"]["accuracy"] if "metrics" in d else d["accuracy"]
    except Exception:
        return None
print(json.dumps({"what": f"finetune 16 shots x 10 classes, {epochs} epochs, batch 32 "
                  f"({steps} steps); wall time of the whole process / steps (start-up, data "
                  "and evaluation included)",
                  "ms_per_step": {"chromatune_fp32": ms(t32), "chromatune_bf16": ms(t16),
                                  "pytorch_fp32": ms(tpy)},
                  "accuracy": {"fp32": acc("c_fp32"), "bf16": acc("c_bf16"),
                               "pytorch": acc("c_py")}}))
PY
)"

# --- (a) CoOp study: chromatune run vs one Python process per trial ----------------------------
A_SWEEP=$(sweep coop-study 1 16)
# ct_run LOG WANT ARGS...: `chromatune run ARGS`; in the rehearsal (QUICK) the sweep is only
# planned (it names the default backbone, 1,500 pretraining steps on a CPU) and run's
# options are parsed against a missing sweep file (CLI11 rejects an unknown option first).
ct_run() {
  local log=$1 want=$2
  shift 2
  if ((QUICK)); then
    "$CT" sweep plan "$1" > /dev/null 2>> "$OUT/run.log" || { echo failed; return; }
    local said
    said=$("$CT" run "$WORK/none.yaml" "${@:2}" 2>&1)
    [[ $said == *"sweep file not found"* ]] || { echo "$said" >> "$OUT/run.log"; echo failed; return; }
    echo 0
    return
  fi
  timed "$log" "$want" "$CT" run "$@"
}
a_ct=$(ct_run "$WORK/a_run.log" 200 "$A_SWEEP" --db "$WORK/a.db" --device "$DEV" --no-progress)
a_py=0
for shots in 1 16; do
  epochs=$([[ $shots == 1 ]] && echo "$E1" || echo "$E16")
  for seed in $(seq 1 "$SEEDS"); do
    t=$(timed "$WORK/a_py_${shots}_$seed.json" 60 "$PY" "$ROOT/bench/trial/trial_reference.py" --method coop --device "$DEV" --vocab "$VOCAB" --shots "$shots" --epochs "$epochs" --ctx-len 8)
    a_py=$("$PY" -c "print('failed' if 'failed' in ('$a_py', '$t') else round($a_py + $t, 3))")
  done
done
figure a_study "chromatune $a_ct s, python per trial $a_py s" "$("$PY" -c "
import json
c, p = '$a_ct', '$a_py'
r = round(float(c) / float(p), 3) if 'failed' not in (c, p) else None
print(json.dumps({'what': 'CoOp study, 1 data seed x shots 1, 16 x $SEEDS train seeds, CoOp epochs (50, 200), M=8 (the tiny-clip context holds 16 tokens); chromatune run --device cuda (one process, features cached) vs one Python process per trial with the encoder on every batch', 'chromatune_s': c, 'python_per_trial_s': p, 'ratio': r, 'goal': '<= 0.3'}))")"

# --- (b) packing: trials per hour, 1 vs 2 trials per GPU --------------------------------------
B_SWEEP=$(sweep packing 1)
b=()
for per_gpu in 1 2; do
  t=$(ct_run "$WORK/b_$per_gpu.log" 120 "$B_SWEEP" --db "$WORK/b_$per_gpu.db" --trials-per-gpu "$per_gpu" --no-progress)
  b+=("$t")
done
figure b_packing "1 per GPU ${b[0]} s, 2 per GPU ${b[1]} s" "$("$PY" -c "
import json
n = $SEEDS
th = lambda t: None if t == 'failed' else round(3600 * n / float(t), 1)
print(json.dumps({'what': f'{n} CoOp 1-shot trials (50 epochs) with chromatune run on the one GPU', 'seconds': {'1': '${b[0]}', '2': '${b[1]}'}, 'trials_per_hour': {'1': th('${b[0]}'), '2': th('${b[1]}')}}))")"

# --- summary -----------------------------------------------------------------------------------
"$PY" - "$OUT" "$TORCH_VER" <<'PY' | tee -a "$OUT/run.log"
import json, subprocess, sys, time
out, torch_ver = sys.argv[1:3]
figs = {}
for name in ["d_nccl", "c_steps", "a_study", "b_packing"]:
    try:
        figs[name] = json.load(open(f"{out}/{name}.json"))
    except Exception as e:
        figs[name] = {"error": str(e)}
try:
    gpu = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
                         capture_output=True, text=True, timeout=20).stdout.strip()
except Exception as e:  # the CPU rehearsal
    gpu = f"none ({e.__class__.__name__})"
results = {"machine": {"gpu": gpu, "torch": torch_ver,
                       "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}, **figs}
json.dump(results, open(f"{out}/results.json", "w"), indent=2)
g = lambda f, *k: (lambda d: [d := (d or {}).get(x) for x in k][-1])(figs.get(f, {}))
rows = [
    ("(d) one-rank NCCL trial bit-equal", g("d_nccl", "bit_equal")),
    ("(c) finetune ms/step fp32", g("c_steps", "ms_per_step", "chromatune_fp32")),
    ("(c) finetune ms/step bf16", g("c_steps", "ms_per_step", "chromatune_bf16")),
    ("(c) finetune ms/step PyTorch", g("c_steps", "ms_per_step", "pytorch_fp32")),
    ("(a) CoOp study chromatune s", g("a_study", "chromatune_s")),
    ("(a) CoOp study Python per trial s", g("a_study", "python_per_trial_s")),
    ("(a) ratio (goal <= 0.3)", g("a_study", "ratio")),
    ("(b) trials/hour, 1 per GPU", g("b_packing", "trials_per_hour", "1")),
    ("(b) trials/hour, 2 per GPU", g("b_packing", "trials_per_hour", "2")),
]
md = [f"GPU {gpu}, torch {torch_ver}", "", "| figure | value |", "| --- | --- |"]
md += [f"| {k} | {v} |" for k, v in rows]
open(f"{out}/summary.md", "w").write("\n".join(md) + "\n")
print("\n".join(md))
PY
log "done in ${SECONDS}s"
