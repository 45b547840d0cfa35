// Precision of a trial's arithmetic (top-level `precision:` of a sweep, ../shared/INTERFACES.md)
// and the one adapter over LibTorch's autocast API, which differs between LibTorch 1.13
// (Debian's, CPU) and 2.4+ (the GPU machine's pip torch): 1.13 has per-device setters
// (set_cpu_enabled, set_autocast_cpu_dtype, set_enabled for CUDA), 2.4+ takes the device
// type as an argument. Nothing else in the tree touches at::autocast.
//
//   fp32  no autocast (the default; every result before precision existed)
//   bf16  autocast to bfloat16 on CPU or CUDA; no loss scaling (bf16 has fp32's range)
//   fp16  autocast to float16, CUDA only, with dynamic loss scaling (LossScaler)
//
// Parameters, optimiser state and gradients stay float32 in every mode (autocast casts
// inside ops), so data-parallel reduction and checkpoints are unchanged.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace chromatune::models {

enum class Precision { kFp32, kBf16, kFp16 };

// "fp32" | "bf16" | "fp16"; anything else is kInvalidArgument naming the value.
Result<Precision> ParsePrecision(const std::string& name);
std::string PrecisionName(Precision precision);

// kInvalidArgument when `precision` cannot run on the device: fp16 without CUDA (CPU
// autocast knows bfloat16 only, and fp16 on CPU would be slower than fp32).
Status CheckPrecision(Precision precision, bool cuda);

// Autocast on for the device type (CPU or CUDA) with the precision's dtype while the scope
// lives, restoring the previous state after (nesting allowed). fp32: does nothing. Autocast
// state is thread-local: the scope covers LibTorch calls made on the constructing thread.
// Drops autocast's cached low-precision copies of weights. Autocast casts a leaf tensor that
// requires grad once per region and reuses the copy, so a loop that updates parameters in
// place inside one region must call this after every optimiser step (PyTorch's per-step
// `with autocast():` does it by leaving the region). Cheap, and a no-op outside autocast.
void ForgetCastWeights();

class AutocastScope {
 public:
  AutocastScope(Precision precision, bool cuda);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false;
  bool cuda_ = false;
  bool previous_enabled_ = false;
  int8_t previous_dtype_ = 0;  // at::ScalarType, kept out of this header
};

}  // namespace chromatune::models
