#include "experiments/sweep/duration.h"

#include <cctype>
#include <cmath>
#include <cstdlib>

namespace chromatune {
namespace {

// Milliseconds per unit, largest first (parts must come in this order, each at most once).
struct Unit {
  char name;
  int64_t ms;
};
constexpr Unit kUnits[] = {{'d', 86400000}, {'h', 3600000}, {'m', 60000}, {'s', 1000}};

Status Bad(const std::string& text, const std::string& why) {
  return InvalidArgument("\"" + text + "\" is not a duration: " + why +
                         " (write e.g. 90s, 30m, 1h30m or none)");
}

}  // namespace

Result<int64_t> ParseTimeoutMs(const std::string& text) {
  if (text == "none") return int64_t{0};
  if (text.empty()) return Bad(text, "it is empty");
  double total = 0.0;
  size_t pos = 0;
  int last_unit = -1;
  while (pos < text.size()) {
    size_t end = pos;
    while (end < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '.')) {
      ++end;
    }
    if (end == pos) return Bad(text, "expected a number at \"" + text.substr(pos) + "\"");
    const std::string number = text.substr(pos, end - pos);
    char* parsed_end = nullptr;
    const double value = std::strtod(number.c_str(), &parsed_end);
    if (parsed_end != number.c_str() + number.size()) {
      return Bad(text, "\"" + number + "\" is not a number");
    }
    if (end == text.size()) return Bad(text, "\"" + number + "\" has no unit (s, m, h or d)");
    int unit = -1;
    for (int u = 0; u < 4; ++u) {
      if (kUnits[u].name == text[end]) unit = u;
    }
    if (unit < 0) {
      return Bad(text, std::string("unknown unit '") + text[end] + "' (s, m, h or d)");
    }
    if (unit <= last_unit) return Bad(text, "units must come largest first, each once");
    last_unit = unit;
    total += value * static_cast<double>(kUnits[unit].ms);
    pos = end + 1;
  }
  const auto ms = static_cast<int64_t>(std::llround(total));
  if (total < kMinTimeoutMs || total > kMaxTimeoutMs) {
    return InvalidArgument("\"" + text + "\": a timeout must be at least 1s and at most 7d (" +
                           "or none)");
  }
  return ms;
}

std::string FormatDurationMs(int64_t ms) {
  if (ms <= 0) return "none";
  std::string out;
  for (const Unit& u : kUnits) {
    if (u.name == 's') break;
    if (ms >= u.ms) {
      out += std::to_string(ms / u.ms) + u.name;
      ms %= u.ms;
    }
  }
  if (ms == 0) return out;
  std::string seconds = std::to_string(ms / 1000);
  if (ms % 1000 != 0) {
    std::string frac = std::to_string(1000 + ms % 1000).substr(1);  // three digits
    while (frac.back() == '0') frac.pop_back();
    seconds += "." + frac;
  }
  return out + seconds + "s";
}

}  // namespace chromatune
