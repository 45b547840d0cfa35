// Where a trial computes: `worker --device` / `trial --device` (RunnerOptions::device)
// resolved on one rank.
//
//   auto     the rank's GPU when this process sees one, else the CPU (the default)
//   cpu      the CPU
//   cuda     the rank's GPU: local rank modulo the visible GPUs (one GPU per local rank;
//            CUDA_VISIBLE_DEVICES and Slurm's GPU binding decide what is visible)
//   cuda:N   visible GPU N + local rank: GPU N for a one-rank group, GPUs N.. N+R-1 for a
//            group of R ranks on one node (how `chromatune run` packs groups onto GPUs,
//            worker/gpu_packing.h)
//
// LibTorch-free header; the CPU build (Debian's LibTorch) sees no GPU, so `cuda` there is a
// clear error and `auto` the CPU.
#pragma once

#include <string>

#include "common/status.h"

namespace chromatune::models {

struct DeviceChoice {
  bool cuda = false;
  int index = -1;    // the CUDA device index; -1 for the CPU
  std::string name;  // "cpu", or the GPU's product name (e.g. "NVIDIA H100 80GB HBM3")
  // "cpu" or "cuda:N": what torch::Device accepts.
  std::string str() const { return cuda ? "cuda:" + std::to_string(index) : "cpu"; }
};

// The rank on its node, from the launcher's environment (OpenMPI's
// OMPI_COMM_WORLD_LOCAL_RANK, MPICH's MPI_LOCALRANKID, Slurm's SLURM_LOCALID); 0 when none.
int LocalRankFromEnvironment();

// Resolves `request` for the rank `local_rank`. kInvalidArgument names a malformed request
// or a GPU that is not there (with how many are visible).
Result<DeviceChoice> ResolveDevice(const std::string& request, int local_rank);

}  // namespace chromatune::models
