#!/usr/bin/env bash
# GPU run of chromatune's data-parallel path, for a machine with an NVIDIA GPU, Python 3.12,
# pip torch (CUDA build, with its LibTorch inside) and the pip nvidia-nccl package, but no
# apt, no network and no Debian packages. Within 8 minutes it:
#   1. finds LibTorch, NCCL and the CUDA runtime inside the pip packages;
#   2. configures bench/gpu/standalone (only what GPU training needs: common/status,
#      common/communicator, worker/nccl_communicator, experiments/ddp, the GPU check),
#      first through torch's own CMake files, else importing the libraries by hand;
#   3. runs gpu_ddp_check (NCCL collectives, DDP over NCCL equals plain training bitwise,
#      step time of a small CNN with the bucketed reducer);
#   4. runs gpu_python_compare.py (the same CNN and step in Python, plain and with DDP/NCCL);
#   5. writes everything to $OUT (results.json, *.log).
#
# The full chromatune build (CLI, trials, stores) also needs these Debian packages, which a
# machine without apt can receive as `apt-get download PKG` + `dpkg -x PKG.deb ROOT` made on
# a Debian 12 machine, then CMAKE_PREFIX_PATH=ROOT/usr and LD_LIBRARY_PATH=ROOT/usr/lib/x86_64-linux-gnu:
#   headers only: nlohmann-json3-dev libcli11-dev libstb-dev libboost-dev (Asio/Beast)
#   libraries (+ -dev): libyaml-cpp0.7 libyaml-cpp-dev libspdlog1.10 libspdlog-dev libfmt9
#     libfmt-dev libsqlite3-0 libsqlite3-dev libhdf5-103-1 libhdf5-dev libsz2 libaec0 zlib1g-dev
#     libgtest-dev libgmock-dev
#   MPI (multi-rank): openmpi-bin libopenmpi3 libopenmpi-dev libpmix2 libhwloc15 libevent-2.1-7
#     libevent-pthreads-2.1-7 libfabric1 libucx0 libibverbs1 librdmacm1 libpsm2-2 libnl-3-200
#     libnl-route-3-200 (set OPAL_PREFIX=ROOT/usr/lib/x86_64-linux-gnu/openmpi)
# This script needs none of them: one process drives one GPU, NCCL is bootstrapped without MPI.
#
# Status: written without access to a GPU; it has NOT been run yet.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-$PWD/gpu-out}
mkdir -p "$OUT"
PY=${PYTHON:-python3}
BUILD=${BUILD_DIR:-/tmp/chromatune-gpu-build}
log() { echo "[$(date +%H:%M:%S)] $*" | tee -a "$OUT/run.log"; }
fail() { log "FAILED: $*"; echo "{\"status\": \"failed\", \"step\": \"$*\"}" > "$OUT/results.json"; exit 1; }

log "GPU: $(nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null | head -1)"
read -r TORCH_PY TORCH_CMAKE ABI TORCH_VER < <("$PY" - <<'PY'
import os, torch
print(os.path.dirname(torch.__file__), torch.utils.cmake_prefix_path,
      int(torch._C._GLIBCXX_USE_CXX11_ABI), torch.__version__)
PY
) || fail "import torch"
log "torch $TORCH_VER at $TORCH_PY (cxx11 abi $ABI)"
SITE=$(dirname "$TORCH_PY")
first() { find "$SITE/nvidia" -name "$1" 2>/dev/null | sort | head -1; }
NCCL_H=$(first nccl.h); NCCL_SO=$(first 'libnccl.so*')
CUDART_H=$(first cuda_runtime_api.h); CUDART_SO=$(first 'libcudart.so*')
[[ -z $CUDART_H && -f /usr/local/cuda/include/cuda_runtime_api.h ]] && CUDART_H=/usr/local/cuda/include/cuda_runtime_api.h
log "nccl.h=$NCCL_H libnccl=$NCCL_SO cuda_runtime_api.h=$CUDART_H libcudart=$CUDART_SO"
[[ -n $NCCL_H && -n $NCCL_SO && -n $CUDART_H ]] || fail "NCCL or CUDA runtime headers not found under $SITE/nvidia"
NCCL_ROOT=$(dirname "$(dirname "$NCCL_H")")
CUDA_ROOT=$(dirname "$(dirname "$CUDART_H")")
# Unversioned names for the linker where the wheels ship only libX.so.N.
LINKS="$BUILD/links"; mkdir -p "$LINKS/lib" "$LINKS/include"
ln -sf "$NCCL_SO" "$LINKS/lib/libnccl.so"
[[ -n $CUDART_SO ]] && ln -sf "$CUDART_SO" "$LINKS/lib/libcudart.so"

common=(-S bench/gpu/standalone -B "$BUILD" -DCMAKE_BUILD_TYPE=Release
        -DTORCH_PY_DIR="$TORCH_PY" -DTORCH_CXX11_ABI="$ABI"
        "-DNCCL_ROOT=$LINKS;$NCCL_ROOT" "-DCUDA_RUNTIME_ROOT=$LINKS;$CUDA_ROOT")
GEN=(); command -v ninja >/dev/null && GEN=(-G Ninja)
if timeout 120 cmake "${GEN[@]}" "${common[@]}" -DTORCH_FROM_CMAKE=ON \
     -DCMAKE_PREFIX_PATH="$TORCH_CMAKE" > "$OUT/configure.log" 2>&1; then
  log "configured with torch's CMake files"
else
  log "torch's CMake files did not configure (see configure.log); importing LibTorch by hand"
  rm -rf "$BUILD/CMakeCache.txt" "$BUILD/CMakeFiles"
  timeout 120 cmake "${GEN[@]}" "${common[@]}" -DTORCH_FROM_CMAKE=OFF \
    >> "$OUT/configure.log" 2>&1 || fail "configure"
fi
timeout 300 cmake --build "$BUILD" -j "$(nproc)" > "$OUT/build.log" 2>&1 || fail "build (see build.log)"
log "built gpu_ddp_check"

export LD_LIBRARY_PATH="$TORCH_PY/lib:$(dirname "$NCCL_SO"):${CUDART_SO:+$(dirname "$CUDART_SO"):}${LD_LIBRARY_PATH:-}"
timeout 120 "$BUILD/gpu_ddp_check" > "$OUT/cpp.json" 2> "$OUT/cpp_check.log"
CPP_RC=$?
log "gpu_ddp_check exit $CPP_RC: $(cat "$OUT/cpp.json" 2>/dev/null)"
timeout 120 "$PY" bench/gpu/gpu_python_compare.py > "$OUT/python.json" 2> "$OUT/python.log"
PY_RC=$?
log "python compare exit $PY_RC: $(cat "$OUT/python.json" 2>/dev/null)"
"$PY" - "$OUT" "$CPP_RC" "$PY_RC" <<'PY'
import json, sys
out, cpp_rc, py_rc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def load(name):
    try:
        return json.load(open(f"{out}/{name}"))
    except Exception as e:
        return {"error": str(e)}
res = {"status": "ok" if cpp_rc == 0 and py_rc == 0 else "failed",
       "chromatune": load("cpp.json"), "python": load("python.json")}
try:
    res["ratio_chromatune_over_python_ddp"] = round(
        res["chromatune"]["step_ms"] / res["python"]["python_ddp_nccl_step_ms"], 3)
except Exception:
    pass
json.dump(res, open(f"{out}/results.json", "w"), indent=2)
print(json.dumps(res, indent=2))
PY
[[ $CPP_RC -eq 0 && $PY_RC -eq 0 ]]
