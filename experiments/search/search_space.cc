#include "experiments/search/search_space.h"

#include <cmath>

namespace chromatune::search {
namespace {

const char* KindName(DimensionKind kind) {
  switch (kind) {
    case DimensionKind::kUniform:
      return "uniform";
    case DimensionKind::kLogUniform:
      return "log_uniform";
    case DimensionKind::kInt:
      return "int";
    case DimensionKind::kChoice:
      return "choice";
  }
  return "uniform";
}

}  // namespace

SearchSpace SpaceOfMethod(const MethodSpec& method, const std::vector<std::string>& param_order) {
  SearchSpace space;
  for (const std::string& name : param_order) {
    auto it = method.params.find(name);
    if (it == method.params.end()) continue;
    const ParamSetting& s = it->second;
    Dimension d;
    d.name = name;
    if (s.kind == ParamSetting::Kind::kSweep) {
      d.kind = DimensionKind::kChoice;
      d.choices = s.values;
    } else if (s.kind == ParamSetting::Kind::kDistribution) {
      d.low = s.low;
      d.high = s.high;
      switch (s.distribution) {
        case DistributionKind::kChoice:
          d.kind = DimensionKind::kChoice;
          d.choices = s.values;
          break;
        case DistributionKind::kUniform:
          d.kind = DimensionKind::kUniform;
          break;
        case DistributionKind::kLogUniform:
          d.kind = DimensionKind::kLogUniform;
          break;
        case DistributionKind::kIntUniform:
          d.kind = DimensionKind::kInt;
          break;
      }
    } else {
      continue;
    }
    space.dims.push_back(std::move(d));
  }
  return space;
}

nlohmann::json SearchSpaceToJson(const SearchSpace& space) {
  nlohmann::json out = nlohmann::json::array();
  for (const Dimension& d : space.dims) {
    nlohmann::json j = {{"name", d.name}, {"kind", KindName(d.kind)}};
    if (d.kind == DimensionKind::kChoice) {
      j["values"] = d.choices;
    } else if (d.kind == DimensionKind::kInt) {
      j["low"] = static_cast<int64_t>(d.low);
      j["high"] = static_cast<int64_t>(d.high);
    } else {
      j["low"] = d.low;
      j["high"] = d.high;
    }
    out.push_back(std::move(j));
  }
  return out;
}

Result<SearchSpace> SearchSpaceFromJson(const nlohmann::json& json) {
  if (!json.is_array()) return InvalidArgument("search space: expected a list of dimensions");
  SearchSpace space;
  for (size_t i = 0; i < json.size(); ++i) {
    const nlohmann::json& j = json[i];
    const std::string where = "search space[" + std::to_string(i) + "]";
    if (!j.is_object() || !j.contains("name") || !j["name"].is_string() || !j.contains("kind") ||
        !j["kind"].is_string()) {
      return InvalidArgument(where + ": expected {\"name\", \"kind\", ...}");
    }
    Dimension d;
    d.name = j["name"].get<std::string>();
    const std::string kind = j["kind"].get<std::string>();
    if (kind == "choice") {
      d.kind = DimensionKind::kChoice;
      if (!j.contains("values") || !j["values"].is_array() || j["values"].empty()) {
        return InvalidArgument(where + ": a choice needs a non-empty \"values\" list");
      }
      for (const auto& v : j["values"]) d.choices.push_back(v);
    } else {
      if (kind == "uniform") {
        d.kind = DimensionKind::kUniform;
      } else if (kind == "log_uniform") {
        d.kind = DimensionKind::kLogUniform;
      } else if (kind == "int") {
        d.kind = DimensionKind::kInt;
      } else {
        return InvalidArgument(where + ": unknown kind \"" + kind + "\"");
      }
      if (!j.contains("low") || !j["low"].is_number() || !j.contains("high") ||
          !j["high"].is_number()) {
        return InvalidArgument(where + ": needs numeric \"low\" and \"high\"");
      }
      d.low = j["low"].get<double>();
      d.high = j["high"].get<double>();
      if (!(d.low <= d.high) || (d.kind == DimensionKind::kLogUniform && d.low <= 0)) {
        return InvalidArgument(where + ": needs low <= high (and low > 0 for log_uniform)");
      }
    }
    space.dims.push_back(std::move(d));
  }
  return space;
}

nlohmann::json DrawFromPrior(const SearchSpace& space, ParamSampler& sampler) {
  nlohmann::json out = nlohmann::json::object();
  for (const Dimension& d : space.dims) {
    ParamSetting s;
    s.kind = ParamSetting::Kind::kDistribution;
    s.low = d.low;
    s.high = d.high;
    s.values = d.choices;
    switch (d.kind) {
      case DimensionKind::kUniform:
        s.distribution = DistributionKind::kUniform;
        break;
      case DimensionKind::kLogUniform:
        s.distribution = DistributionKind::kLogUniform;
        break;
      case DimensionKind::kInt:
        s.distribution = DistributionKind::kIntUniform;
        break;
      case DimensionKind::kChoice:
        s.distribution = DistributionKind::kChoice;
        break;
    }
    out[d.name] = sampler.Draw(s);
  }
  return out;
}

uint64_t SuggestionSeed(uint64_t seed, int64_t index) {
  ParamSampler mix(seed ^ (0xA0761D6478BD642FULL * static_cast<uint64_t>(index + 1)));
  return mix.NextU64();
}

}  // namespace chromatune::search
