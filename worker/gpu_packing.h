// Packing trials onto a node's GPUs (`chromatune run`, docs/gpu.md). CoOp's authors run
// one trial per GPU because data-parallel training of these small models is slower than one
// GPU, so by default a node with G GPUs runs G one-GPU groups at once; `--trials-per-gpu P`
// lets P small trials share each GPU, and a group of R ranks takes R GPUs of its own.
// LibTorch-free: GPUs are counted from the NVIDIA driver, not from CUDA.
#pragma once

#include <string>
#include <vector>

namespace chromatune::worker {

// GPUs visible to processes started from here: `driver_gpus` (the driver's count) narrowed
// by CUDA_VISIBLE_DEVICES when it is set (a comma-separated list; an empty value hides all;
// CUDA stops at the first invalid entry, and so does this count).
int VisibleGpuCount(int driver_gpus, const char* cuda_visible_devices);
// The same for this machine: entries of /proc/driver/nvidia/gpus and the environment.
int VisibleGpuCount();

// Groups that fill `gpus` GPUs with groups of `ranks` ranks, `per_gpu` trials per GPU; at
// least 1. 0 GPUs: 0 (the caller keeps its CPU default).
int PackedGroupCount(int gpus, int ranks, int per_gpu);

// The `--device` of group `group` (0-based): "cuda:B", where B is the GPU of the group's
// local rank 0 (worker ranks add their local rank: experiments/models/device_choice.h).
// Groups fill GPUs in order, `per_gpu` groups per GPU (or per set of `ranks` GPUs), then
// wrap around. Requires gpus >= 1.
std::string PackedDevice(int group, int gpus, int ranks, int per_gpu);

// The groups a one-process `chromatune worker` runs on its node (hand-started, or one Slurm
// task holding GPUs: `submit --launcher slurm --gpus-per-rank G`): one `--device` per group,
// PackedGroupCount(gpus, 1, per_gpu) of them, GPUs filled in order as `run` fills them. Empty
// when the process stays one group itself: a launch of several ranks (mpirun, srun: each
// rank takes its local rank's GPU), a `device` other than "auto" or "cuda" (cpu, or a GPU
// its launcher chose: `run` passes cuda:B), no GPU, or just one group to run.
std::vector<std::string> NodeGroupDevices(int gpus, int launch_ranks, const std::string& device,
                                          int per_gpu);

}  // namespace chromatune::worker
