#include "experiments/models/precision.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

namespace chromatune::models {
namespace {

// LibTorch 2.4 replaced the per-device functions by ones taking the device type.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
bool AutocastEnabled(bool cuda) {
  return at::autocast::is_autocast_enabled(cuda ? at::kCUDA : at::kCPU);
}
void SetAutocastEnabled(bool cuda, bool on) {
  at::autocast::set_autocast_enabled(cuda ? at::kCUDA : at::kCPU, on);
}
at::ScalarType AutocastDtype(bool cuda) {
  return at::autocast::get_autocast_dtype(cuda ? at::kCUDA : at::kCPU);
}
void SetAutocastDtype(bool cuda, at::ScalarType dtype) {
  at::autocast::set_autocast_dtype(cuda ? at::kCUDA : at::kCPU, dtype);
}
#else
bool AutocastEnabled(bool cuda) {
  return cuda ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
}
void SetAutocastEnabled(bool cuda, bool on) {
  if (cuda) {
    at::autocast::set_enabled(on);
  } else {
    at::autocast::set_cpu_enabled(on);
  }
}
at::ScalarType AutocastDtype(bool cuda) {
  return cuda ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
}
void SetAutocastDtype(bool cuda, at::ScalarType dtype) {
  if (cuda) {
    at::autocast::set_autocast_gpu_dtype(dtype);
  } else {
    at::autocast::set_autocast_cpu_dtype(dtype);
  }
}
#endif

}  // namespace

Result<Precision> ParsePrecision(const std::string& name) {
  if (name == "fp32") return Precision::kFp32;
  if (name == "bf16") return Precision::kBf16;
  if (name == "fp16") return Precision::kFp16;
  return InvalidArgument("precision: expected fp32, bf16 or fp16, got \"" + name + "\"");
}

std::string PrecisionName(Precision precision) {
  switch (precision) {
    case Precision::kBf16:
      return "bf16";
    case Precision::kFp16:
      return "fp16";
    case Precision::kFp32:
      break;
  }
  return "fp32";
}

Status CheckPrecision(Precision precision, bool cuda) {
  if (precision == Precision::kFp16 && !cuda) {
    return InvalidArgument(
        "precision fp16 needs a CUDA device, but this trial runs on the CPU (CPU autocast "
        "supports bf16 only): use precision bf16 or fp32, or a worker with a GPU");
  }
  return Status::Ok();
}

void ForgetCastWeights() { at::autocast::clear_cache(); }

AutocastScope::AutocastScope(Precision precision, bool cuda) : cuda_(cuda) {
  if (precision == Precision::kFp32) return;
  active_ = true;
  previous_enabled_ = AutocastEnabled(cuda);
  previous_dtype_ = static_cast<int8_t>(AutocastDtype(cuda));
  SetAutocastDtype(cuda, precision == Precision::kBf16 ? at::kBFloat16 : at::kHalf);
  SetAutocastEnabled(cuda, true);
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  // Leaving the outermost region drops the casted copies of the weights autocast keeps.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  SetAutocastEnabled(cuda_, previous_enabled_);
  SetAutocastDtype(cuda_, static_cast<at::ScalarType>(previous_dtype_));
}

}  // namespace chromatune::models
