#include "worker/gpu_packing.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace chromatune::worker {

int VisibleGpuCount(int driver_gpus, const char* cuda_visible_devices) {
  if (cuda_visible_devices == nullptr) return driver_gpus;
  const std::string list = cuda_visible_devices;
  int count = 0;
  size_t start = 0;
  while (start <= list.size() && !list.empty()) {
    const size_t comma = std::min(list.find(',', start), list.size());
    const std::string entry = list.substr(start, comma - start);
    // Indices, GPU-... and MIG-... UUIDs are valid entries; CUDA ignores the rest of the
    // list from the first invalid one (e.g. -1, the idiom for "no GPU").
    const bool index = !entry.empty() && entry.find_first_not_of("0123456789") == std::string::npos;
    const bool uuid = entry.rfind("GPU-", 0) == 0 || entry.rfind("MIG-", 0) == 0;
    if (!index && !uuid) break;
    if (index && std::strtol(entry.c_str(), nullptr, 10) >= driver_gpus) break;
    ++count;
    start = comma + 1;
  }
  return std::min(count, driver_gpus);
}

int VisibleGpuCount() {
  std::error_code ec;
  int driver = 0;
  for (std::filesystem::directory_iterator it("/proc/driver/nvidia/gpus", ec), end;
       !ec && it != end; it.increment(ec)) {
    ++driver;
  }
  return VisibleGpuCount(driver, std::getenv("CUDA_VISIBLE_DEVICES"));
}

int PackedGroupCount(int gpus, int ranks, int per_gpu) {
  if (gpus <= 0) return 0;
  ranks = std::max(1, ranks);
  per_gpu = std::max(1, per_gpu);
  return std::max(1, gpus / ranks) * per_gpu;
}

std::string PackedDevice(int group, int gpus, int ranks, int per_gpu) {
  ranks = std::max(1, ranks);
  per_gpu = std::max(1, per_gpu);
  const int sets = std::max(1, gpus / ranks);  // disjoint sets of `ranks` GPUs
  const int set = (group / per_gpu) % sets;
  return "cuda:" + std::to_string(set * ranks);
}

std::vector<std::string> NodeGroupDevices(int gpus, int launch_ranks, const std::string& device,
                                          int per_gpu) {
  if (launch_ranks > 1 || gpus <= 0 || (device != "auto" && device != "cuda")) return {};
  const int groups = PackedGroupCount(gpus, 1, per_gpu);
  if (groups <= 1) return {};
  std::vector<std::string> devices;
  for (int g = 0; g < groups; ++g) devices.push_back(PackedDevice(g, gpus, 1, per_gpu));
  return devices;
}

}  // namespace chromatune::worker
