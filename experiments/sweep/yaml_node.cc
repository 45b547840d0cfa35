#include "experiments/sweep/yaml_node.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <regex>
#include <sstream>
#include <vector>

#include <yaml-cpp/eventhandler.h>

namespace chromatune {
namespace {

// Sees where each document starts and nothing else.
class DocumentStarts final : public YAML::EventHandler {
 public:
  explicit DocumentStarts(std::vector<YAML::Mark>* starts) : starts_(starts) {}
  void OnDocumentStart(const YAML::Mark& mark) override { starts_->push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

 private:
  std::vector<YAML::Mark>* starts_;
};

}  // namespace

// yaml-cpp 0.7's LoadAll never returns on some texts: "- {}\n,\n" (a stray flow indicator
// after a document) starts one empty document after another without consuming anything,
// allocating until memory runs out (found by tests/fuzz/sweep_spec_fuzz; a sweep submitted
// over HTTP held an I/O thread for good). So the documents are counted first, stopping at the
// second, and only a text of one document is loaded.
Result<YAML::Node> LoadYaml(const std::string& text, const std::string& origin) {
  auto invalid = [&](const YAML::Exception& e) {
    return InvalidArgument(origin + ":" + std::to_string(e.mark.line + 1) + ":" +
                           std::to_string(e.mark.column + 1) + ": not valid YAML: " + e.msg);
  };
  std::vector<YAML::Mark> starts;
  int documents = 0;
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    DocumentStarts handler(&starts);
    while (documents < 2 && parser.HandleNextDocument(handler)) ++documents;
  } catch (const YAML::Exception& e) {
    return invalid(e);
  }
  if (documents > 1) {
    const int line = starts.size() > 1 && !starts[1].is_null() ? starts[1].line + 1 : 0;
    return InvalidArgument(origin + ":" + std::to_string(line) +
                           ": a sweep file holds one YAML document, this one has more");
  }
  if (documents == 0) return YAML::Node();
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return invalid(e);
  }
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
