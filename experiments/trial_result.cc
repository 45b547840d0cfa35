#include "experiments/trial_result.h"

namespace chromatune {

nlohmann::json TrialResultToJson(const TrialResult& r) {
  nlohmann::json j;
  j["metrics"] = r.metrics;
  nlohmann::json curves = nlohmann::json::array();
  for (const auto& c : r.curves)
    curves.push_back({{"name", c.name}, {"step", c.step}, {"value", c.value}});
  j["curves"] = std::move(curves);
  nlohmann::json arrays = nlohmann::json::array();
  for (const auto& a : r.arrays)
    arrays.push_back({{"name", a.name}, {"shape", a.shape}, {"data", a.data}});
  j["arrays"] = std::move(arrays);
  j["info"] = r.info;
  j["wall_seconds"] = r.wall_seconds;
  return j;
}

Result<TrialResult> TrialResultFromJson(const nlohmann::json& j) {
  try {
    TrialResult r;
    r.metrics = j.at("metrics").get<std::map<std::string, double>>();
    for (const auto& c : j.value("curves", nlohmann::json::array())) {
      r.curves.push_back({c.at("name").get<std::string>(), c.at("step").get<int64_t>(),
                          c.at("value").get<double>()});
    }
    for (const auto& a : j.value("arrays", nlohmann::json::array())) {
      NamedArray na{a.at("name").get<std::string>(), a.at("shape").get<std::vector<int64_t>>(),
                    a.at("data").get<std::vector<float>>()};
      int64_t n = 1;
      for (int64_t d : na.shape) n *= d;
      if (n != static_cast<int64_t>(na.data.size())) {
        return InvalidArgument("array \"" + na.name + "\": shape does not match data size");
      }
      r.arrays.push_back(std::move(na));
    }
    r.info = j.value("info", nlohmann::json::object());
    r.wall_seconds = j.value("wall_seconds", 0.0);
    return r;
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgument(std::string("trial result: ") + e.what());
  }
}

}  // namespace chromatune
