#include "experiments/sweep/yaml_node.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <regex>
#include <vector>

namespace chromatune {

Result<YAML::Node> LoadYaml(const std::string& text, const std::string& origin) {
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    return InvalidArgument(origin + ":" + std::to_string(e.mark.line + 1) + ":" +
                           std::to_string(e.mark.column + 1) + ": not valid YAML: " + e.msg);
  }
  if (documents.size() > 1) {
    return InvalidArgument(origin + ":" + std::to_string(MarkOf(documents[1]).line) +
                           ": a sweep file holds one YAML document, this one has " +
                           std::to_string(documents.size()));
  }
  if (documents.empty()) return YAML::Node();
  return documents[0];
}

SourceMark MarkOf(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return {};
  return {mark.line + 1, mark.column + 1};
}

void CheckDuplicateKeys(const YAML::Node& node, const std::string& path, Diagnostics& diag) {
  if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i) {
      CheckDuplicateKeys(node[i], IndexPath(path, i), diag);
    }
    return;
  }
  if (!node.IsMap()) return;
  std::map<std::string, SourceMark> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string key = it->first.IsScalar() ? it->first.Scalar() : DescribeNode(it->first);
    auto [where, inserted] = seen.emplace(key, MarkOf(it->first));
    if (!inserted) {
      diag.Add(MarkOf(it->first), ChildPath(path, key),
               "duplicate key (first set at line " + std::to_string(where->second.line) + ")");
    }
    CheckDuplicateKeys(it->second, ChildPath(path, key), diag);
  }
}

namespace {

bool IsQuotedOrStringTagged(const YAML::Node& node) {
  const std::string& tag = node.Tag();
  return tag == "!" || tag == "tag:yaml.org,2002:str";
}

}  // namespace

TypedScalar TypeScalar(const YAML::Node& node) {
  TypedScalar out;
  if (!node.IsDefined() || node.IsNull()) return out;
  out.text = node.Scalar();
  out.kind = TypedScalar::Kind::kString;
  if (IsQuotedOrStringTagged(node)) return out;
  const std::string& s = out.text;
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") {
    out.kind = TypedScalar::Kind::kNull;
    return out;
  }
  if (s == "true" || s == "True" || s == "TRUE" || s == "false" || s == "False" || s == "FALSE") {
    out.kind = TypedScalar::Kind::kBool;
    out.boolean = s[0] == 't' || s[0] == 'T';
    return out;
  }
  static const std::regex kDecimal("[-+]?[0-9]+");
  static const std::regex kHex("0x[0-9a-fA-F]+");
  static const std::regex kOctal("0o[0-7]+");
  static const std::regex kFloat("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  static const std::regex kInf("[-+]?\\.(inf|Inf|INF)");
  static const std::regex kNan("\\.(nan|NaN|NAN)");
  auto as_int = [&](const std::string& digits, int base) {
    errno = 0;
    char* end = nullptr;
    long long v = std::strtoll(digits.c_str(), &end, base);
    if (errno == ERANGE) {  // too large for an integer: keep it as a number
      out.kind = TypedScalar::Kind::kFloat;
      out.number = std::strtod(s.c_str(), nullptr);
      return;
    }
    out.kind = TypedScalar::Kind::kInt;
    out.integer = v;
    out.number = static_cast<double>(v);
  };
  if (std::regex_match(s, kDecimal)) {
    as_int(s, 10);
  } else if (std::regex_match(s, kHex)) {
    as_int(s.substr(2), 16);
  } else if (std::regex_match(s, kOctal)) {
    as_int(s.substr(2), 8);
  } else if (std::regex_match(s, kFloat)) {
    out.kind = TypedScalar::Kind::kFloat;
    out.number = std::strtod(s.c_str(), nullptr);
  } else if (std::regex_match(s, kInf)) {
    out.kind = TypedScalar::Kind::kFloat;
    out.number = s[0] == '-' ? -std::numeric_limits<double>::infinity()
                             : std::numeric_limits<double>::infinity();
  } else if (std::regex_match(s, kNan)) {
    out.kind = TypedScalar::Kind::kFloat;
    out.number = std::numeric_limits<double>::quiet_NaN();
  }
  return out;
}

std::string DescribeNode(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "null";
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a mapping";
  TypedScalar t = TypeScalar(node);
  switch (t.kind) {
    case TypedScalar::Kind::kNull:
      return "null";
    case TypedScalar::Kind::kBool:
      return t.boolean ? "true" : "false";
    case TypedScalar::Kind::kInt:
    case TypedScalar::Kind::kFloat:
      return "the number " + t.text;
    case TypedScalar::Kind::kString:
      break;
  }
  return "the string \"" + t.text + "\"";
}

std::string ChildPath(const std::string& parent, const std::string& child) {
  return parent.empty() ? child : parent + "." + child;
}

std::string IndexPath(const std::string& parent, size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

}  // namespace chromatune
