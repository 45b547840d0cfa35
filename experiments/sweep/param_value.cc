#include "experiments/sweep/param_value.h"

#include <cmath>
#include <set>
#include <sstream>

#include "experiments/sweep/colors.h"
#include "experiments/sweep/did_you_mean.h"
#include "experiments/sweep/trial_key.h"
#include "experiments/sweep/yaml_node.h"

namespace chromatune {
namespace {

using Kind = TypedScalar::Kind;

std::string FormatNumber(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ", ";
    out += names[i];
  }
  return out;
}

std::optional<nlohmann::json> ParseInt(const ParamDef& def, const YAML::Node& node,
                                       const std::string& path, Diagnostics& diag) {
  TypedScalar t = node.IsScalar() || node.IsNull() ? TypeScalar(node) : TypedScalar{};
  if (!node.IsScalar() || t.kind != Kind::kInt) {
    diag.Add(MarkOf(node), path, "expected an integer, got " + DescribeNode(node));
    return std::nullopt;
  }
  if (!InRange(def, static_cast<double>(t.integer))) {
    diag.Add(MarkOf(node), path, RangeText(def) + ", got " + t.text);
    return std::nullopt;
  }
  return nlohmann::json(t.integer);
}

std::optional<nlohmann::json> ParseFloat(const ParamDef& def, const YAML::Node& node,
                                         const std::string& path, Diagnostics& diag) {
  TypedScalar t = node.IsScalar() ? TypeScalar(node) : TypedScalar{};
  if (!node.IsScalar() || (t.kind != Kind::kInt && t.kind != Kind::kFloat)) {
    diag.Add(MarkOf(node), path, "expected a number, got " + DescribeNode(node));
    return std::nullopt;
  }
  if (!std::isfinite(t.number)) {
    diag.Add(MarkOf(node), path, "must be a finite number, got " + t.text);
    return std::nullopt;
  }
  if (!InRange(def, t.number)) {
    diag.Add(MarkOf(node), path, RangeText(def) + ", got " + t.text);
    return std::nullopt;
  }
  return nlohmann::json(t.number + 0.0);  // + 0.0 turns -0.0 into 0.0 (canonical form)
}

std::optional<std::string> ParseString(const YAML::Node& node, const std::string& path,
                                       Diagnostics& diag) {
  TypedScalar t = node.IsScalar() ? TypeScalar(node) : TypedScalar{};
  if (!node.IsScalar() || t.kind != Kind::kString) {
    std::string hint = node.IsScalar() && t.kind != Kind::kNull
                           ? " (quote it to use it as text: \"" + t.text + "\")"
                           : "";
    diag.Add(MarkOf(node), path, "expected a string, got " + DescribeNode(node) + hint);
    return std::nullopt;
  }
  return t.text;
}

bool CheckPlaceholders(const ParamDef& def, const std::string& text, const YAML::Node& node,
                       const std::string& path, Diagnostics& diag) {
  bool ok = true;
  for (const auto& p : def.placeholders) {
    size_t count = 0;
    for (size_t at = text.find(p); at != std::string::npos; at = text.find(p, at + p.size())) {
      ++count;
    }
    if (count != 1) {
      diag.Add(MarkOf(node), path,
               "must contain " + p + " exactly once, found it " + std::to_string(count) +
                   " times in \"" + text + "\"");
      ok = false;
    }
  }
  return ok;
}

std::vector<std::string> ColorKeys() {
  std::vector<std::string> keys;
  for (const auto& c : SweepColors()) keys.push_back(c.key);
  return keys;
}

std::vector<std::string> PaletteKeys() {
  std::vector<std::string> keys;
  for (const auto& p : SweepPalettes()) keys.push_back(p.key);
  return keys;
}

bool IsIntScalar(const YAML::Node& node) {
  return node.IsScalar() && TypeScalar(node).kind == Kind::kInt;
}

// [r, g, b] with integer elements: the list form of one colour.
bool IsAllIntList(const YAML::Node& node) {
  if (!node.IsSequence() || node.size() == 0) return false;
  for (size_t i = 0; i < node.size(); ++i) {
    if (!IsIntScalar(node[i])) return false;
  }
  return true;
}

std::optional<nlohmann::json> ParseColor(const YAML::Node& node, const std::string& path,
                                         Diagnostics& diag) {
  if (node.IsScalar() && TypeScalar(node).kind == Kind::kString) {
    const std::string key = node.Scalar();
    if (auto c = FindSweepColor(key)) return ColorJson(c->word, c->rgb);
    std::string suggestion = DidYouMean(key, ColorKeys());
    diag.Add(MarkOf(node), path,
             "unknown colour \"" + key + "\"" +
                 (suggestion.empty() ? " (known: " + JoinNames(ColorKeys()) + ", or [r, g, b])"
                                     : suggestion));
    return std::nullopt;
  }
  if (IsAllIntList(node)) {
    if (node.size() != 3) {
      diag.Add(MarkOf(node), path,
               "an RGB colour is [r, g, b], got " + std::to_string(node.size()) + " numbers");
      return std::nullopt;
    }
    std::array<int, 3> rgb{};
    bool ok = true;
    for (size_t i = 0; i < 3; ++i) {
      int64_t v = TypeScalar(node[i]).integer;
      if (v < 0 || v > 255) {
        diag.Add(MarkOf(node[i]), IndexPath(path, i),
                 "colour channels are integers 0..255, got " + std::to_string(v));
        ok = false;
      } else {
        rgb[i] = static_cast<int>(v);
      }
    }
    if (!ok) return std::nullopt;
    return ColorJson(NearestColorWord(rgb), rgb);
  }
  diag.Add(MarkOf(node), path,
           "expected a colour (a name such as \"red\", or [r, g, b]), got " + DescribeNode(node));
  return std::nullopt;
}

std::optional<nlohmann::json> ParsePalette(const YAML::Node& node, const std::string& path,
                                           Diagnostics& diag) {
  if (node.IsNull()) return nlohmann::json(nullptr);
  if (node.IsScalar() && TypeScalar(node).kind == Kind::kString) {
    const std::string key = node.Scalar();
    if (auto p = FindSweepPalette(key)) {
      nlohmann::json colors = nlohmann::json::array();
      for (const auto& name : p->colors) {
        const SweepColor c = *FindSweepColor(name);
        colors.push_back(ColorJson(c.word, c.rgb));
      }
      return colors;
    }
    std::string suggestion = DidYouMean(key, PaletteKeys());
    diag.Add(
        MarkOf(node), path,
        "unknown palette \"" + key + "\"" +
            (suggestion.empty() ? " (known: " + JoinNames(PaletteKeys()) + ", or a list of colours)"
                                : suggestion));
    return std::nullopt;
  }
  if (node.IsSequence()) {
    if (node.size() == 0) {
      diag.Add(MarkOf(node), path, "a palette needs at least one colour");
      return std::nullopt;
    }
    nlohmann::json colors = nlohmann::json::array();
    bool ok = true;
    for (size_t i = 0; i < node.size(); ++i) {
      auto c = ParseColor(node[i], IndexPath(path, i), diag);
      if (c) {
        colors.push_back(*c);
      } else {
        ok = false;
      }
    }
    if (!ok) return std::nullopt;
    return colors;
  }
  diag.Add(MarkOf(node), path,
           "expected a palette (a name such as \"cpt-5\", or a list of colours), got " +
               DescribeNode(node));
  return std::nullopt;
}

std::optional<nlohmann::json> ParseTemplates(const ParamDef& def, const YAML::Node& node,
                                             const std::string& path, Diagnostics& diag) {
  if (node.IsScalar() && TypeScalar(node).kind == Kind::kString) {
    if (const auto* builtin = FindBuiltinTemplates(node.Scalar())) return *builtin;
    diag.Add(MarkOf(node), path,
             "unknown template set \"" + node.Scalar() + "\"" +
                 DidYouMean(node.Scalar(), BuiltinTemplateNames()) + "; give a builtin set (" +
                 JoinNames(BuiltinTemplateNames()) + ") or a list of templates");
    return std::nullopt;
  }
  if (node.IsSequence() && node.size() > 0) {
    nlohmann::json templates = nlohmann::json::array();
    bool ok = true;
    for (size_t i = 0; i < node.size(); ++i) {
      auto text = ParseString(node[i], IndexPath(path, i), diag);
      if (text && CheckPlaceholders(def, *text, node[i], IndexPath(path, i), diag)) {
        templates.push_back(*text);
      } else {
        ok = false;
      }
    }
    if (!ok) return std::nullopt;
    return templates;
  }
  diag.Add(MarkOf(node), path,
           "expected builtin:clip-7, builtin:clip-80 or a non-empty list of templates, got " +
               DescribeNode(node));
  return std::nullopt;
}

// Whether a list written for `def` is a list of values to sweep (true) or one value that is
// itself a list (false): an RGB triple, one palette, one template set.
bool ListIsSweep(const ParamDef& def, const YAML::Node& node) {
  switch (def.type) {
    case ParamType::kColor:
      return !IsAllIntList(node);
    case ParamType::kPalette:
      for (size_t i = 0; i < node.size(); ++i) {
        const YAML::Node e = node[i];
        if (e.IsSequence() && !IsAllIntList(e)) return true;
        if (e.IsScalar() && FindSweepPalette(e.Scalar())) return true;
        if (e.IsNull()) return true;
      }
      return false;
    case ParamType::kTemplates:
      for (size_t i = 0; i < node.size(); ++i) {
        const YAML::Node e = node[i];
        if (e.IsSequence()) return true;
        if (e.IsScalar() && e.Scalar().rfind("builtin:", 0) == 0) return true;
      }
      return false;
    default:
      return true;
  }
}

const std::vector<std::string>& DistributionNames() {
  static const std::vector<std::string> kNames = {"choice", "uniform", "log_uniform",
                                                  "int_uniform"};
  return kNames;
}

std::optional<ParamSetting> ParseDistribution(const ParamDef& def, const std::string& kind,
                                              const YAML::Node& key, const YAML::Node& body,
                                              const std::string& path, Diagnostics& diag) {
  ParamSetting s;
  s.kind = ParamSetting::Kind::kDistribution;
  s.mark = MarkOf(key);
  const std::string body_path = ChildPath(path, kind);
  if (kind == "choice") {
    s.distribution = DistributionKind::kChoice;
    if (!body.IsSequence() || body.size() == 0) {
      diag.Add(MarkOf(body), body_path,
               "expected a non-empty list of values to choose from, got " + DescribeNode(body));
      return std::nullopt;
    }
    bool ok = true;
    for (size_t i = 0; i < body.size(); ++i) {
      auto v = ParseParamValue(def, body[i], IndexPath(body_path, i), diag);
      if (v) {
        s.values.push_back(std::move(*v));
      } else {
        ok = false;
      }
    }
    if (!ok) return std::nullopt;
    return s;
  }
  const bool integer = kind == "int_uniform";
  s.distribution = kind == "uniform"       ? DistributionKind::kUniform
                   : kind == "log_uniform" ? DistributionKind::kLogUniform
                                           : DistributionKind::kIntUniform;
  if (integer && def.type != ParamType::kInt) {
    diag.Add(MarkOf(key), body_path,
             "int_uniform needs an integer parameter; " + def.name +
                 (def.type == ParamType::kFloat ? " is a number (use uniform or log_uniform)"
                                                : " is not numeric (use choice)"));
    return std::nullopt;
  }
  if (!integer && def.type != ParamType::kFloat) {
    diag.Add(MarkOf(key), body_path,
             kind + " needs a real-valued parameter; " + def.name +
                 (def.type == ParamType::kInt ? " is an integer (use int_uniform)"
                                              : " is not numeric (use choice)"));
    return std::nullopt;
  }
  if (!body.IsSequence() || body.size() != 2) {
    diag.Add(MarkOf(body), body_path, "expected [low, high], got " + DescribeNode(body));
    return std::nullopt;
  }
  auto lo = ParseParamValue(def, body[0], IndexPath(body_path, 0), diag);
  auto hi = ParseParamValue(def, body[1], IndexPath(body_path, 1), diag);
  if (!lo || !hi) return std::nullopt;
  s.low = lo->get<double>();
  s.high = hi->get<double>();
  if (s.low > s.high) {
    diag.Add(MarkOf(body), body_path,
             "low must not exceed high, got [" + FormatNumber(s.low) + ", " + FormatNumber(s.high) +
                 "]");
    return std::nullopt;
  }
  if (kind == "log_uniform" && !(s.low > 0)) {
    diag.Add(MarkOf(body[0]), IndexPath(body_path, 0),
             "log_uniform needs low > 0, got " + FormatNumber(s.low));
    return std::nullopt;
  }
  return s;
}

std::optional<ParamSetting> ParsePerShot(const ParamDef& def, const YAML::Node& node,
                                         const std::string& path, Diagnostics& diag) {
  ParamSetting s;
  s.kind = ParamSetting::Kind::kPerShot;
  s.mark = MarkOf(node);
  bool ok = true;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const TypedScalar k = TypeScalar(it->first);
    const std::string entry_path = path + "[" + it->first.Scalar() + "]";
    if (k.integer < 1) {
      diag.Add(MarkOf(it->first), entry_path,
               "per-shot keys are shot counts >= 1, got " + it->first.Scalar());
      ok = false;
      continue;
    }
    auto v = ParseParamValue(def, it->second, entry_path, diag);
    if (!v) {
      ok = false;
      continue;
    }
    s.per_shot[k.integer] = std::move(*v);
  }
  if (!ok) return std::nullopt;
  return s;
}

}  // namespace

std::string DescribeValue(const nlohmann::json& value) {
  if (value.is_object() && value.contains("name") && value.contains("rgb")) {
    return value["name"].get<std::string>() + " " + CanonicalJson(value["rgb"]);
  }
  return CanonicalJson(value);
}

std::optional<nlohmann::json> ParseParamValue(const ParamDef& def, const YAML::Node& node,
                                              const std::string& path, Diagnostics& diag) {
  switch (def.type) {
    case ParamType::kInt:
      return ParseInt(def, node, path, diag);
    case ParamType::kFloat:
      return ParseFloat(def, node, path, diag);
    case ParamType::kBool: {
      TypedScalar t = node.IsScalar() ? TypeScalar(node) : TypedScalar{};
      if (!node.IsScalar() || t.kind != Kind::kBool) {
        diag.Add(MarkOf(node), path, "expected true or false, got " + DescribeNode(node));
        return std::nullopt;
      }
      return nlohmann::json(t.boolean);
    }
    case ParamType::kString: {
      auto text = ParseString(node, path, diag);
      if (!text || !CheckPlaceholders(def, *text, node, path, diag)) return std::nullopt;
      return nlohmann::json(*text);
    }
    case ParamType::kEnum: {
      TypedScalar t = node.IsScalar() ? TypeScalar(node) : TypedScalar{};
      if (node.IsScalar()) {
        for (const auto& c : def.choices) {
          if (c == t.text) return nlohmann::json(c);
        }
      }
      diag.Add(MarkOf(node), path,
               "expected one of " + JoinNames(def.choices) + ", got " + DescribeNode(node) +
                   (node.IsScalar() ? DidYouMean(t.text, def.choices) : ""));
      return std::nullopt;
    }
    case ParamType::kColor:
      return ParseColor(node, path, diag);
    case ParamType::kPalette:
      return ParsePalette(node, path, diag);
    case ParamType::kTemplates:
      return ParseTemplates(def, node, path, diag);
  }
  return std::nullopt;
}

std::optional<ParamSetting> ParseParamSetting(const ParamDef& def, const YAML::Node& node,
                                              const std::string& path, Diagnostics& diag) {
  if (node.IsMap()) {
    if (node.size() == 1) {
      const YAML::Node key = node.begin()->first;
      const std::string name = key.IsScalar() ? key.Scalar() : "";
      for (const auto& d : DistributionNames()) {
        if (d == name) return ParseDistribution(def, name, key, node.begin()->second, path, diag);
      }
    }
    bool all_int_keys = node.size() > 0;
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (!IsIntScalar(it->first)) all_int_keys = false;
    }
    if (all_int_keys) return ParsePerShot(def, node, path, diag);
    std::string hint;
    if (node.size() == 1 && node.begin()->first.IsScalar()) {
      hint = DidYouMean(node.begin()->first.Scalar(), DistributionNames());
    }
    diag.Add(MarkOf(node), path,
             "expected a value, a list to sweep, a per-shot map such as {1: 50, 2: 100}, or a "
             "distribution {choice|uniform|log_uniform|int_uniform: ...}" +
                 hint);
    return std::nullopt;
  }
  if (node.IsSequence() && ListIsSweep(def, node)) {
    ParamSetting s;
    s.kind = ParamSetting::Kind::kSweep;
    s.mark = MarkOf(node);
    if (node.size() == 0) {
      diag.Add(MarkOf(node), path, "an empty list sweeps over nothing; give at least one value");
      return std::nullopt;
    }
    bool ok = true;
    std::set<std::string> seen;
    for (size_t i = 0; i < node.size(); ++i) {
      auto v = ParseParamValue(def, node[i], IndexPath(path, i), diag);
      if (!v) {
        ok = false;
        continue;
      }
      if (!seen.insert(CanonicalJson(*v)).second) {
        diag.Add(MarkOf(node[i]), IndexPath(path, i),
                 "the value " + DescribeValue(*v) + " is listed twice");
        ok = false;
        continue;
      }
      s.values.push_back(std::move(*v));
    }
    if (!ok) return std::nullopt;
    return s;
  }
  auto v = ParseParamValue(def, node, path, diag);
  if (!v) return std::nullopt;
  ParamSetting s;
  s.kind = ParamSetting::Kind::kFixed;
  s.mark = MarkOf(node);
  s.values.push_back(std::move(*v));
  return s;
}

ParamSetting DefaultSetting(const ParamDef& def, const std::vector<int64_t>& shots) {
  ParamSetting s;
  s.is_default = true;
  if (def.per_shot_default != nullptr) {
    s.kind = ParamSetting::Kind::kPerShot;
    for (int64_t k : shots) {
      if (k >= 1) s.per_shot[k] = def.per_shot_default(k);
    }
    return s;
  }
  s.kind = ParamSetting::Kind::kFixed;
  s.values.push_back(def.default_value);
  return s;
}

}  // namespace chromatune
