// Wall-clock time in milliseconds since the Unix epoch: the default clock of the store, the
// coordinator, the sweep planner and the web gate (each takes an injectable now_ms for tests).
#pragma once

#include <chrono>
#include <cstdint>

namespace chromatune {

inline int64_t WallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace chromatune
