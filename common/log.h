// Logging: spdlog, to stderr, with the level from CHROMATUNE_LOG (trace..off; default info).
#pragma once

#include <spdlog/spdlog.h>

namespace chromatune {

// Idempotent; call once at program start (tests need not).
void InitLogging();

}  // namespace chromatune
