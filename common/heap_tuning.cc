#include "common/heap_tuning.h"

#include <malloc.h>

#include <cstdlib>

namespace chromatune {
namespace {

constexpr int kThresholdBytes = 1 << 30;
constexpr int kTopPadBytes = 64 << 20;

bool Set(const char* env, int param, int value) {
  if (std::getenv(env) != nullptr) return true;  // the user's choice wins
  return mallopt(param, value) == 1;
}

}  // namespace

bool TuneHeapForTensors() {
  bool ok = Set("MALLOC_MMAP_THRESHOLD_", M_MMAP_THRESHOLD, kThresholdBytes);
  ok = Set("MALLOC_TRIM_THRESHOLD_", M_TRIM_THRESHOLD, kThresholdBytes) && ok;
  ok = Set("MALLOC_TOP_PAD_", M_TOP_PAD, kTopPadBytes) && ok;
  return ok;
}

}  // namespace chromatune
