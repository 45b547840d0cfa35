// Adapter over yaml-cpp for the sweep parser: loading with errors as values, positions,
// duplicate-key detection and YAML 1.2 core-schema typing of plain scalars (yaml-cpp itself
// keeps every scalar as text and silently lets a duplicated key shadow the first).
#pragma once

#include <cstdint>
#include <string>

#include <yaml-cpp/yaml.h>

#include "common/status.h"
#include "experiments/sweep/diagnostics.h"
#include "experiments/sweep/spec.h"

namespace chromatune {

// Parses one YAML document. A syntax error is kInvalidArgument
// "ORIGIN:LINE:COL: not valid YAML: ..."; several documents are an error too.
Result<YAML::Node> LoadYaml(const std::string& text, const std::string& origin);

// The node's position, 1-based.
SourceMark MarkOf(const YAML::Node& node);

// Adds a diagnostic for every key that occurs twice in one mapping, anywhere below `node`.
// `path` is the field path of `node` ("" for the root).
void CheckDuplicateKeys(const YAML::Node& node, const std::string& path, Diagnostics& diag);

// A scalar typed by the YAML 1.2 core schema: a plain (unquoted) scalar is null (~, null,
// empty), a bool (true/false in any case), an integer (decimal, 0x, 0o), a float (decimal
// with '.' or exponent, .inf, .nan) or else a string; a quoted scalar is always a string.
struct TypedScalar {
  enum class Kind { kNull, kBool, kInt, kFloat, kString };
  Kind kind = Kind::kNull;
  bool boolean = false;
  int64_t integer = 0;
  double number = 0.0;  // kFloat, and kInt as a double
  std::string text;     // the scalar as written
};
TypedScalar TypeScalar(const YAML::Node& node);

// Short description for "expected X, got Y" messages: "a list", "a mapping", "null",
// "the string \"abc\"", "the number 3", "true".
std::string DescribeNode(const YAML::Node& node);

// Field path helpers: Child("methods", "name") = "methods.name", Index("methods", 2) =
// "methods[2]"; an empty parent gives the child alone.
std::string ChildPath(const std::string& parent, const std::string& child);
std::string IndexPath(const std::string& parent, size_t index);

}  // namespace chromatune
