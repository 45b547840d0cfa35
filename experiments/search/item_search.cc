#include "experiments/search/item_search.h"

namespace chromatune::search {

nlohmann::json ItemSearchToJson(const ItemSearch& s) {
  nlohmann::json j = {{"mode", s.mode}, {"unit", s.unit},     {"config", s.config},
                      {"slot", s.slot}, {"metric", s.metric}, {"maximize", s.maximize},
                      {"seed", s.seed}};
  if (s.tpe()) {
    j["n_startup"] = s.n_startup;
    j["space"] = SearchSpaceToJson(s.space);
  }
  if (s.asha) {
    j["asha"] = {{"min", s.schedule.min},
                 {"max", s.schedule.max},
                 {"eta", s.schedule.eta},
                 {"rungs", s.rungs}};
  }
  return j;
}

Result<std::optional<ItemSearch>> ItemSearchOf(const nlohmann::json& item) {
  if (!item.is_object() || !item.contains("search")) return std::optional<ItemSearch>();
  const nlohmann::json& j = item["search"];
  auto bad = [](const std::string& field) {
    return InvalidArgument("plan item: search." + field + " is missing or has the wrong type");
  };
  if (!j.is_object()) return bad("(the member)");
  ItemSearch s;
  for (const char* field : {"mode", "unit", "config", "metric"}) {
    if (!j.contains(field) || !j[field].is_string()) return bad(field);
  }
  s.mode = j["mode"].get<std::string>();
  s.unit = j["unit"].get<std::string>();
  s.config = j["config"].get<std::string>();
  s.metric = j["metric"].get<std::string>();
  if (!j.contains("slot") || !j["slot"].is_number_integer()) return bad("slot");
  s.slot = j["slot"].get<int64_t>();
  s.maximize = j.value("maximize", true);
  if (j.contains("seed") && j["seed"].is_number_unsigned()) s.seed = j["seed"].get<uint64_t>();
  if (s.tpe()) {
    if (!j.contains("n_startup") || !j["n_startup"].is_number_integer()) return bad("n_startup");
    s.n_startup = j["n_startup"].get<int64_t>();
    if (!j.contains("space")) return bad("space");
    CT_ASSIGN_OR_RETURN(s.space, SearchSpaceFromJson(j["space"]));
  }
  if (j.contains("asha")) {
    const nlohmann::json& a = j["asha"];
    if (!a.is_object() || !a.contains("min") || !a.contains("max") || !a.contains("eta") ||
        !a["min"].is_number_integer() || !a["max"].is_number_integer() ||
        !a["eta"].is_number_integer()) {
      return bad("asha");
    }
    s.asha = true;
    s.schedule = {a["min"].get<int64_t>(), a["max"].get<int64_t>(), a["eta"].get<int64_t>()};
    s.rungs = RungEpochs(s.schedule);
  }
  return std::optional<ItemSearch>(std::move(s));
}

}  // namespace chromatune::search
