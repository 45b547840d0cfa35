#include "experiments/models/device_choice.h"

#include <cstdlib>

#include <torch/cuda.h>

// Product names need the CUDA runtime's headers, present only with a CUDA LibTorch.
#if defined(CHROMATUNE_TORCH_CUDA) && __has_include(<cuda_runtime_api.h>)
#include <ATen/cuda/CUDAContext.h>
#define CT_DEVICE_NAMES 1
#endif

namespace chromatune::models {
namespace {

std::string GpuName(int index) {
#ifdef CT_DEVICE_NAMES
  if (const cudaDeviceProp* prop = at::cuda::getDeviceProperties(index)) return prop->name;
#endif
  return "cuda:" + std::to_string(index);
}

Result<DeviceChoice> Gpu(int index, int visible, const std::string& request) {
  if (visible == 0) {
    return InvalidArgument("device \"" + request +
                           "\": no CUDA device is visible to this process (a CPU-only "
                           "LibTorch build, no GPU, or CUDA_VISIBLE_DEVICES empty); use "
                           "--device cpu or auto");
  }
  if (index >= visible) {
    return InvalidArgument("device \"" + request + "\": CUDA device " + std::to_string(index) +
                           " does not exist (" + std::to_string(visible) + " visible)");
  }
  return DeviceChoice{true, index, GpuName(index)};
}

}  // namespace

int LocalRankFromEnvironment() {
  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID"}) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') continue;
    char* end = nullptr;
    const long rank = std::strtol(value, &end, 10);
    if (*end == '\0' && rank >= 0 && rank < 1'000'000) return static_cast<int>(rank);
  }
  return 0;
}

Result<DeviceChoice> ResolveDevice(const std::string& request, int local_rank) {
  const int visible = static_cast<int>(torch::cuda::device_count());
  if (request == "cpu") return DeviceChoice{false, -1, "cpu"};
  if (request == "auto") {
    if (visible == 0) return DeviceChoice{false, -1, "cpu"};
    return Gpu(local_rank % visible, visible, request);
  }
  if (request == "cuda") return Gpu(visible == 0 ? 0 : local_rank % visible, visible, request);
  if (request.rfind("cuda:", 0) == 0) {
    const std::string digits = request.substr(5);
    const bool numeric = !digits.empty() && digits.size() <= 4 &&
                         digits.find_first_not_of("0123456789") == std::string::npos;
    if (numeric) return Gpu(std::stoi(digits) + local_rank, visible, request);
  }
  return InvalidArgument("device \"" + request + "\": expected auto, cpu, cuda or cuda:N");
}

}  // namespace chromatune::models
