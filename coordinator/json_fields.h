// Typed reads of request bodies with errors that name the field, for the API routes:
// "lease: field \"free_ranks\": expected an integer >= 1".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace chromatune::coordinator {

// Deepest nesting of arrays and objects a request body may have. Results and sweep specs
// nest a handful of levels; the bound keeps the parser's recursion, and every recursive copy
// or destruction of the value, off a deep stack.
inline constexpr int kMaxJsonDepth = 64;

// True when `text` opens more than `max_depth` arrays/objects at once (strings skipped).
// A linear scan made before parsing; text that is not JSON at all is left to the parser.
bool JsonNestsDeeperThan(std::string_view text, int max_depth);

// Parses a request body as a JSON object; kInvalidArgument with the parser's position, or
// naming the depth limit.
Result<nlohmann::json> ParseJsonObject(const std::string& body, const std::string& route);

class JsonFields {
 public:
  JsonFields(const nlohmann::json& object, std::string route)
      : j_(object), route_(std::move(route)) {}

  // Required integer in [min, max].
  Result<int64_t> Int(const char* name, int64_t min, int64_t max) const;
  // Optional integer in [min, max], `fallback` when absent.
  Result<int64_t> IntOr(const char* name, int64_t fallback, int64_t min, int64_t max) const;
  Result<double> DoubleOr(const char* name, double fallback) const;
  Result<std::string> String(const char* name) const;
  Result<std::string> StringOr(const char* name, const std::string& fallback) const;
  Result<bool> BoolOr(const char* name, bool fallback) const;

 private:
  Status Error(const char* name, const std::string& what) const;
  const nlohmann::json& j_;
  std::string route_;
};

}  // namespace chromatune::coordinator
