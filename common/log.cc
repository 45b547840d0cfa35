#include "common/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <cstdlib>
#include <mutex>

namespace chromatune {

void InitLogging() {
  static std::once_flag once;
  std::call_once(once, [] {
    auto logger = spdlog::stderr_color_mt("chromatune");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("[%H:%M:%S.%e] [%^%l%$] %v");
    const char* level = std::getenv("CHROMATUNE_LOG");
    spdlog::set_level(level ? spdlog::level::from_str(level) : spdlog::level::info);
  });
}

}  // namespace chromatune
