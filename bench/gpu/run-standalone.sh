#!/usr/bin/env bash
# GPU run of chromatune's training path, for a machine with an NVIDIA GPU, Python 3 with pip
# torch (a CUDA build: LibTorch and its CMake files inside), the pip nvidia-nccl and
# nvidia-cuda-runtime packages, cmake and a C++ compiler; no apt, no network, no Debian
# packages. Usage (from anywhere; paths are relative to the repository):
#
#   OUT=/some/dir bash bench/gpu/run.sh
#
# Header-only dependencies are taken from .gpu-deps/include when it exists (nlohmann/ is
# needed for the tiny-clip workload: copy /usr/include/nlohmann there and carry .gpu-deps).
# Settings (environment): PYTHON (python3), BUILD_DIR (/tmp/chromatune-gpu-build), STEPS (300
# timed tiny-clip steps), WARMUP (20 untimed steps before them), TINY_CLIP_VOCAB (the builtin
# tokenizer's vocabulary size, see below), DEADLINE_S (480: no step starts after it and every
# step's timeout is cut to what is left of it).
#
# Steps, each under `timeout`, with timestamped progress in $OUT/run.log:
#   1. find LibTorch, NCCL and the CUDA runtime in the pip packages, nvcc's toolkit;
#   2. configure and build bench/gpu/standalone (only what GPU training needs) through
#      torch's CMake files; if configure or build fails (other than by running out of time),
#      import LibTorch by hand instead; with neither complete, run what was built;
#   3. gpu_ddp_check: NCCL collectives, one-rank DDP over NCCL equal to plain training
#      bitwise, and the step time of a small CNN with the bucketed reducer;
#   4. gpu_tiny_clip: the default builtin:tiny-clip's contrastive pretraining step (batch 128,
#      56x56 canvases, context 24), with the bucketed reducer over NCCL and plain;
#   5. gpu_python_compare.py: the CNN step in Python (plain, and DDP over NCCL);
#   6. bench/pretrain/tiny_clip_reference.py --device cuda: the same tiny-clip step in Python;
#   7. results.json: every figure with what it is, and the ratios chromatune / Python.
# $OUT receives only run.log, configure.log, build.log, cpp.json, python.json, results.json.
#
# The full chromatune build (CLI, trials, stores) needs Debian packages besides (yaml-cpp,
# spdlog, fmt, SQLite, HDF5, OpenMPI, Boost, CLI11, stb, GoogleTest, zlib); this script needs
# none of them: one process drives one GPU and NCCL is bootstrapped without MPI.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
OUT=${OUT:-$ROOT/gpu-out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
PY=${PYTHON:-python3}
BUILD=${BUILD_DIR:-/tmp/chromatune-gpu-build}
STEPS=${STEPS:-300}
WARMUP=${WARMUP:-20}
# Tokenizer::Builtin().vocab_size() (experiments/models/tokenizer.cc); only the token
# embedding's size depends on it. Recompute after changing the vocabulary with
#   build/bench/pretrain/ct_pretrain_tool 'builtin:tiny-clip?steps=1&batch_size=2' --cache-dir D
#   python3 -c "import json,glob; print(len(json.load(open(glob.glob('D/*/spec.json')[0]))['vocabulary']))"
TINY_CLIP_VOCAB=${TINY_CLIP_VOCAB:-89}
DEADLINE=${DEADLINE_S:-480}
RES=$BUILD/results
rm -rf "$RES"
mkdir -p "$BUILD" "$RES"
: > "$OUT/run.log"
: > "$OUT/configure.log"
: > "$OUT/build.log"

log() { echo "[$(date -u +%H:%M:%S) +${SECONDS}s] $*" | tee -a "$OUT/run.log"; }
fail() {
  log "FAILED: $*"
  printf '{"status": "failed", "step": "%s", "see": "run.log, configure.log, build.log"}\n' \
    "$*" > "$OUT/results.json"
  exit 1
}
# Seconds a step may take: `want`, cut to what is left before the deadline (0 = no time).
budget() {
  local left=$((DEADLINE - SECONDS))
  ((left < 10)) && { echo 0; return; }
  ((left < $1)) && { echo "$left"; return; }
  echo "$1"
}
# limited WANT_S CMD...: runs CMD under timeout (kill 10 s after TERM); 124 when no time.
limited() {
  local t
  t=$(budget "$1")
  shift
  if ((t == 0)); then
    log "skipped (deadline ${DEADLINE}s reached): $*"
    return 124
  fi
  timeout -k 10 "$t" "$@"
}

# --- 1. what the machine has ---------------------------------------------------------------
log "machine: $(nproc) cores; GPU: $(limited 20 nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -1)"
log "tools: $(cmake --version 2>/dev/null | head -1); $(${CXX:-c++} --version 2>/dev/null | head -1)"
read -r TORCH_PY TORCH_CMAKE ABI TORCH_VER CXX_STD < <(limited 90 "$PY" - <<'PY'
import os, torch
major, minor = (int(x) for x in torch.__version__.split("+")[0].split(".")[:2])
# LibTorch's headers require C++20 from 2.13 on; chromatune itself is C++17.
print(os.path.dirname(torch.__file__), torch.utils.cmake_prefix_path,
      int(torch._C._GLIBCXX_USE_CXX11_ABI), torch.__version__,
      20 if (major, minor) >= (2, 13) else 17)
PY
) || fail "import torch with $PY"
log "torch $TORCH_VER at $TORCH_PY (cxx11 abi $ABI, C++$CXX_STD)"
SITE=$(dirname "$TORCH_PY")
# first NAME: the first file called NAME in the pip nvidia-* packages, else in the usual
# system places (a libnccl-dev or CUDA toolkit install).
first() {
  local dir hit
  for dir in "$SITE/nvidia" /usr/local/cuda/include /usr/local/cuda/lib64 /usr/include \
             /usr/lib/x86_64-linux-gnu; do
    [[ -d $dir ]] || continue
    hit=$(find -H "$dir" -maxdepth 6 -name "$1" 2>/dev/null | sort | head -1)
    [[ -n $hit ]] && { echo "$hit"; return; }
  done
}
NCCL_H=$(first nccl.h)
NCCL_SO=$(first 'libnccl.so*')
CUDART_H=$(first cuda_runtime_api.h)
CUDART_SO=$(first 'libcudart.so*')
NVCC=$(command -v nvcc || true)
[[ -z $NVCC && -x /usr/local/cuda/bin/nvcc ]] && NVCC=/usr/local/cuda/bin/nvcc
CUDA_TK=""
[[ -n $NVCC ]] && CUDA_TK=$(dirname "$(dirname "$(readlink -f "$NVCC")")")
[[ -z $CUDART_H && -n $CUDA_TK && -f $CUDA_TK/include/cuda_runtime_api.h ]] &&
  CUDART_H=$CUDA_TK/include/cuda_runtime_api.h
[[ -z $CUDART_SO && -n $CUDA_TK ]] &&
  CUDART_SO=$(find -H "$CUDA_TK/lib64" "$CUDA_TK/lib" -name 'libcudart.so*' 2>/dev/null | sort | head -1)
log "nccl.h=$NCCL_H libnccl=$NCCL_SO"
log "cuda_runtime_api.h=$CUDART_H libcudart=$CUDART_SO nvcc=${NVCC:-none} ($( [[ -n $NVCC ]] && "$NVCC" --version | tail -1))"
[[ -n $NCCL_H && -n $NCCL_SO && -n $CUDART_H && -n $CUDART_SO ]] ||
  fail "NCCL or CUDA runtime not found under $SITE/nvidia, nvcc's toolkit or /usr"
NCCL_ROOT=$(dirname "$(dirname "$NCCL_H")")
CUDA_ROOT=$(dirname "$(dirname "$CUDART_H")")
EXTRA_INC=""
if [[ -d $ROOT/.gpu-deps/include ]]; then
  EXTRA_INC=$ROOT/.gpu-deps/include
else
  log "WARNING: no .gpu-deps/include (nlohmann/): gpu_tiny_clip builds only if the system has it"
fi
# The toolkit's headers after the wheel's, for any the wheel lacks (nccl.h includes
# cuda_fp16.h / cuda_bf16.h); the CUDA runtime itself stays the wheel's, which torch loads.
if [[ -n $CUDA_TK && -d $CUDA_TK/include && ! $CUDA_TK/include -ef $CUDA_ROOT/include ]]; then
  EXTRA_INC="${EXTRA_INC:+$EXTRA_INC;}$CUDA_TK/include"
fi
log "extra include dirs: ${EXTRA_INC:-none}"
# Unversioned names for the linker where the wheels ship only libX.so.N.
LINKS=$BUILD/links
mkdir -p "$LINKS/lib"
ln -sf "$NCCL_SO" "$LINKS/lib/libnccl.so"
ln -sf "$CUDART_SO" "$LINKS/lib/libcudart.so"

# --- 2. configure and build ------------------------------------------------------------------
GEN=()
KEEP_GOING=(-k)
if command -v ninja > /dev/null; then
  GEN=(-G Ninja)
  KEEP_GOING=(-k 0)
fi
COMMON=(-S bench/gpu/standalone -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_STANDARD="$CXX_STD"
        -DTORCH_PY_DIR="$TORCH_PY" -DTORCH_CXX11_ABI="$ABI" "-DEXTRA_INCLUDE_DIRS=$EXTRA_INC"
        "-DNCCL_ROOT=$LINKS;$NCCL_ROOT" "-DCUDA_RUNTIME_ROOT=$LINKS;$CUDA_ROOT")
# torch's CMake files look for a CUDA toolkit (and cuDNN, which the pip package ships).
TORCH_CMAKE_ARGS=(-DTORCH_FROM_CMAKE=ON "-DCMAKE_PREFIX_PATH=$TORCH_CMAKE")
if [[ -n $CUDA_TK ]]; then
  export PATH="$CUDA_TK/bin:$PATH" CUDA_HOME=$CUDA_TK
  TORCH_CMAKE_ARGS+=("-DCUDAToolkit_ROOT=$CUDA_TK" "-DCUDA_TOOLKIT_ROOT_DIR=$CUDA_TK"
                     "-DCMAKE_CUDA_COMPILER=$NVCC")
fi
CUDNN_H=$(first cudnn.h)
CUDNN_SO=$(first 'libcudnn.so*')
[[ -n $CUDNN_H && -n $CUDNN_SO ]] &&
  TORCH_CMAKE_ARGS+=("-DCUDNN_INCLUDE_PATH=$(dirname "$CUDNN_H")" "-DCUDNN_LIBRARY_PATH=$CUDNN_SO")

# build_with MODE DIR ARGS...: configure + build (keep going past errors so that build.log
# lists all of them). 0 when both steps succeeded, 2 when the build ran out of time (another
# configuration would not build faster), 1 otherwise.
build_with() {
  local mode=$1 dir=$2 rc
  shift 2
  log "configure ($mode) in $dir"
  echo "=== configure ($mode)" >> "$OUT/configure.log"
  if ! limited 120 cmake "${GEN[@]}" "${COMMON[@]}" -B "$dir" "$@" >> "$OUT/configure.log" 2>&1; then
    log "configure ($mode) failed: $(grep -m1 -A3 'CMake Error' "$OUT/configure.log" | tr '\n' ' ')"
    return 1
  fi
  grep -q '^CT_NLOHMANN_INCLUDE:PATH=.*NOTFOUND' "$dir/CMakeCache.txt" &&
    log "WARNING: nlohmann/json.hpp not found: gpu_tiny_clip is not built (carry .gpu-deps)"
  log "build ($mode), $(nproc) jobs"
  echo "=== build ($mode)" >> "$OUT/build.log"
  limited 300 cmake --build "$dir" -j "$(nproc)" -- "${KEEP_GOING[@]}" >> "$OUT/build.log" 2>&1
  rc=$?
  if ((rc == 124 || rc == 137)); then
    log "build ($mode) timed out (DEADLINE_S=$DEADLINE)"
    return 2
  elif ((rc != 0)); then
    log "build ($mode) failed: $(grep -m3 -E 'error:|undefined reference' "$OUT/build.log" | tr '\n' ' ')"
    return 1
  fi
  log "built ($mode)"
}
MODE=""
build_with torch-cmake "$BUILD/torch-cmake" "${TORCH_CMAKE_ARGS[@]}"
case $? in
  0) MODE=torch-cmake ;;
  1)
    log "torch's CMake files did not give a build; importing LibTorch by hand"
    build_with by-hand "$BUILD/by-hand" -DTORCH_FROM_CMAKE=OFF && MODE=by-hand
    ;;
esac
BIN=""
if [[ -n $MODE ]]; then
  BIN=$BUILD/$MODE
else  # neither build finished: run whatever binaries one of them produced
  for dir in "$BUILD/by-hand" "$BUILD/torch-cmake"; do
    [[ -x $dir/gpu_tiny_clip ]] && { BIN=$dir; break; }
  done
  for dir in "$BUILD/by-hand" "$BUILD/torch-cmake"; do
    [[ -z $BIN && -x $dir/gpu_ddp_check ]] && BIN=$dir
  done
  [[ -n $BIN ]] || fail "build (see configure.log, build.log)"
  MODE="partial $(basename "$BIN")"
  log "WARNING: partial build, running what exists in $BIN"
fi

# --- 3-6. checks and timings -----------------------------------------------------------------
LIB_PATH="$TORCH_PY/lib:$(dirname "$NCCL_SO"):$(dirname "$CUDART_SO")"
export LD_LIBRARY_PATH="$LIB_PATH${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# Exit status of each run (127: not run).
RC_cpp_cnn=127 RC_cpp_tiny_clip=127 RC_python_cnn=127 RC_python_tiny_clip=127
# step NAME WANT_S CMD...: stdout to $RES/NAME.json, stderr into run.log; sets RC_<NAME>.
step() {
  local name=$1 want=$2 rc
  shift 2
  log "run $name: $*"
  if [[ ! -x $1 && $1 != "$PY" ]]; then
    log "$name: $1 was not built"
    printf -v "RC_$name" '%s' 127
    return
  fi
  limited "$want" "$@" > "$RES/$name.json" 2> "$RES/$name.err"
  rc=$?
  sed "s/^/  $name: /" "$RES/$name.err" | tail -n 40 >> "$OUT/run.log"
  log "$name exit $rc: $(head -c 1500 "$RES/$name.json")"
  printf -v "RC_$name" '%s' "$rc"
}
step cpp_cnn 120 "$BIN/gpu_ddp_check"
step cpp_tiny_clip 150 "$BIN/gpu_tiny_clip" --vocab-size "$TINY_CLIP_VOCAB" --steps "$STEPS" \
  --warmup "$WARMUP"
step python_cnn 120 "$PY" bench/gpu/gpu_python_compare.py
CONTEXT=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["context_length"])' \
  "$RES/cpp_tiny_clip.json" 2> /dev/null || echo 24)
step python_tiny_clip 150 "$PY" bench/pretrain/tiny_clip_reference.py --device cuda \
  --vocab-size "$TINY_CLIP_VOCAB" --context "$CONTEXT" --steps "$STEPS" --warmup "$WARMUP" \
  --threads "$(nproc)"

# --- 7. results ------------------------------------------------------------------------------
"$PY" - "$OUT" "$RES" "$MODE" "$TORCH_VER" "$RC_cpp_cnn" "$RC_cpp_tiny_clip" "$RC_python_cnn" \
  "$RC_python_tiny_clip" <<'PY' | tee -a "$OUT/run.log"
import json, subprocess, sys, time
out, res, mode, torch_ver = sys.argv[1:5]
rcs = dict(zip(["cpp_cnn", "cpp_tiny_clip", "python_cnn", "python_tiny_clip"],
               (int(x) for x in sys.argv[5:9])))

def load(name):
    try:
        with open(f"{res}/{name}.json") as f:
            lines = f.read().strip().splitlines()
        if not lines:
            return {"error": f"{name}: no output (exit {rcs[name]}; see run.log)"}
        return json.loads(lines[-1])
    except Exception as e:
        return {"error": f"{name}: {e} (exit {rcs[name]}; see run.log)"}

def ratio(a, b):
    try:
        return round(a / b, 3)
    except Exception:
        return None

def gpu():
    try:
        return subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
                              capture_output=True, text=True, timeout=20).stdout.strip()
    except Exception as e:
        return str(e)

cpp = {"cnn": load("cpp_cnn"), "tiny_clip": load("cpp_tiny_clip")}
py = {"cnn": load("python_cnn"), "tiny_clip": load("python_tiny_clip")}
json.dump(cpp, open(f"{out}/cpp.json", "w"), indent=2)
json.dump(py, open(f"{out}/python.json", "w"), indent=2)
cc, ct, pc, pt = cpp["cnn"], cpp["tiny_clip"], py["cnn"], py["tiny_clip"]
res_json = {
    "status": "ok" if all(rc == 0 for rc in rcs.values()) else "failed",
    "exit_codes": rcs,
    "machine": {"gpu": gpu(), "torch": torch_ver, "build": mode,
                "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())},
    "what": {
        "cnn.chromatune.check": "gpu_ddp_check: NCCL all-reduce/broadcast/barrier on device memory, host "
                     "memory rejected, 5 SGD steps of one-rank DDP over NCCL bitwise equal to "
                     "plain training, every bucket launched from an autograd hook",
        "cnn.chromatune.step_ms": "small CNN (conv 16-32-64, 56x56, batch 128), SGD step with "
                                      "the bucketed reducer over one-rank NCCL, 200 steps after 10",
        "cnn.python.python_{plain,ddp_nccl}_step_ms": "the same CNN and step in Python PyTorch, plain and wrapped in "
                                "DistributedDataParallel over one-rank NCCL",
        "tiny_clip.chromatune.ddp_nccl.step_ms": "default builtin:tiny-clip contrastive "
            "pretraining step (batch 128, 56x56, context 24, AdamW, loss.item() each step) with "
            "the bucketed reducer over one-rank NCCL; random batches made up front",
        "tiny_clip.chromatune.plain.step_ms": "the same without gradient sync",
        "tiny_clip.python.step_ms": "the same model and step in Python PyTorch "
            "(tiny_clip_reference.py --device cuda, default AdamW), no DDP",
        "ratios": "chromatune / Python step time: below 1 means chromatune is faster",
    },
    "cnn": {
        "chromatune": cc, "python": pc,
        "ratio_chromatune_ddp_over_python_ddp": ratio(cc.get("step_ms"),
                                                      pc.get("python_ddp_nccl_step_ms")),
        "ratio_chromatune_ddp_over_python_plain": ratio(cc.get("step_ms"),
                                                        pc.get("python_plain_step_ms")),
    },
    "tiny_clip": {
        "chromatune": ct, "python": pt,
        "ratio_chromatune_ddp_over_python": ratio(ct.get("ddp_nccl", {}).get("step_ms"),
                                                  pt.get("step_ms")),
        "ratio_chromatune_plain_over_python": ratio(ct.get("plain", {}).get("step_ms"),
                                                    pt.get("step_ms")),
    },
}
json.dump(res_json, open(f"{out}/results.json", "w"), indent=2)
t = res_json["tiny_clip"]
print(f"tiny-clip pretraining step: chromatune DDP/NCCL "
      f"{ct.get('ddp_nccl', {}).get('step_ms')} ms, chromatune plain "
      f"{ct.get('plain', {}).get('step_ms')} ms, Python {pt.get('step_ms')} ms; ratio "
      f"DDP/Python {t['ratio_chromatune_ddp_over_python']}, plain/Python "
      f"{t['ratio_chromatune_plain_over_python']}")
print(f"CNN step: chromatune DDP/NCCL {cc.get('step_ms')} ms, Python DDP "
      f"{pc.get('python_ddp_nccl_step_ms')} ms, Python plain {pc.get('python_plain_step_ms')} ms; "
      f"check {cc.get('check')}; status {res_json['status']}")
PY
[[ $RC_cpp_cnn -eq 0 && $RC_cpp_tiny_clip -eq 0 && $RC_python_cnn -eq 0 && $RC_python_tiny_clip -eq 0 ]]
