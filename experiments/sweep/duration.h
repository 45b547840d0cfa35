// Durations as sweep files write them (`timeout: 30m`): one or more NUMBER UNIT parts with
// units s, m, h and d, largest first ("90s", "1.5h", "1h30m", "2d"), or `none` (no limit).
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace chromatune {

// Limits of a trial timeout: shorter than a second is a typo, longer than a week is `none`.
inline constexpr int64_t kMinTimeoutMs = 1000;
inline constexpr int64_t kMaxTimeoutMs = int64_t{7} * 24 * 3600 * 1000;

// Milliseconds of `text`; 0 for "none". kInvalidArgument saying what is wrong (a bare
// number without unit, an unknown unit, units out of order, a value outside
// [kMinTimeoutMs, kMaxTimeoutMs]).
Result<int64_t> ParseTimeoutMs(const std::string& text);

// The shortest text of `ms` that ParseTimeoutMs reads back: "30m", "1h30m", "45s", "none".
std::string FormatDurationMs(int64_t ms);

}  // namespace chromatune
