// Typed reads of request bodies with errors that name the field, for the API routes:
// "lease: field \"free_ranks\": expected an integer >= 1".
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace chromatune::coordinator {

// Parses a request body as a JSON object; kInvalidArgument with the parser's position.
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
