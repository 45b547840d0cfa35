#include "experiments/sweep/plan.h"

#include <algorithm>
#include <limits>
#include <map>
#include <sstream>
#include <unordered_set>

#include "experiments/search/item_search.h"
#include "experiments/sweep/backbone_ref.h"
#include "experiments/sweep/dataset_check.h"
#include "experiments/sweep/diagnostics.h"
#include "experiments/sweep/fingerprint.h"
#include "experiments/sweep/method_catalog.h"
#include "experiments/sweep/param_sampler.h"
#include "experiments/sweep/param_value.h"
#include "experiments/sweep/trial_key.h"

namespace chromatune {
namespace {

int64_t SaturatingMul(int64_t a, int64_t b) {
  if (a == 0 || b == 0) return 0;
  if (a > std::numeric_limits<int64_t>::max() / b) return std::numeric_limits<int64_t>::max();
  return a * b;
}

int64_t SaturatingAdd(int64_t a, int64_t b) {
  if (a > std::numeric_limits<int64_t>::max() - b) return std::numeric_limits<int64_t>::max();
  return a + b;
}

std::vector<int64_t> TrainingShots(const SweepSpec& spec) {
  std::vector<int64_t> out;
  for (int64_t k : spec.shots) {
    if (k >= 1) out.push_back(k);
  }
  return out;
}

std::string WithThousands(int64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

bool HasDistribution(const MethodSpec& method) {
  for (const auto& [name, s] : method.params) {
    if (s.kind == ParamSetting::Kind::kDistribution) return true;
  }
  return false;
}

// One setting of a method's parameters: the values fixed for every shot count, and the
// parameters whose value depends on the shot count.
struct Setting {
  nlohmann::json params = nlohmann::json::object();
  std::vector<std::pair<std::string, const ParamSetting*>> per_shot;
  int64_t slot = 0;  // the setting's number within its method (search.config)
  bool tpe = false;  // a TPE slot: the searched parameters are filled in at lease time
};

// The method's settings in plan order (docs/sweeps.md): the grid of its lists (first
// parameter of the catalog varies slowest), each grid point repeated `samples` times with
// fresh draws when it has distributions; or, in random search, `samples` draws.
std::vector<Setting> ExpandSettings(const SweepSpec& spec, const MethodDef& def,
                                    const MethodSpec& method) {
  ParamSampler sampler(MethodSamplerSeed(spec.search_seed, method.index));
  std::vector<const ParamSetting*> ordered;
  for (const auto& p : def.params) ordered.push_back(&method.params.at(p.name));
  auto finish = [&](Setting s, const std::vector<const nlohmann::json*>& grid_values) {
    for (size_t i = 0; i < def.params.size(); ++i) {
      const ParamSetting& setting = *ordered[i];
      const std::string& name = def.params[i].name;
      if (setting.kind == ParamSetting::Kind::kPerShot) {
        s.per_shot.emplace_back(name, &setting);
      } else if (grid_values[i] != nullptr) {
        s.params[name] = *grid_values[i];
      } else {
        s.params[name] = sampler.Draw(setting);
      }
    }
    return s;
  };
  std::vector<Setting> settings;
  if (spec.search_mode == SearchMode::kTpe) {
    // `samples` slots, each with the fixed values only: the coordinator suggests the rest
    // (search/tpe.h) when a trial of the slot is first leased. Nothing searched: one slot.
    bool searched = false;
    for (const ParamSetting* s : ordered) {
      searched |=
          s->kind == ParamSetting::Kind::kSweep || s->kind == ParamSetting::Kind::kDistribution;
    }
    const int64_t slots = searched ? spec.samples : 1;
    for (int64_t slot = 0; slot < slots; ++slot) {
      Setting s;
      s.slot = slot;
      s.tpe = searched;
      for (size_t i = 0; i < def.params.size(); ++i) {
        const ParamSetting& p = *ordered[i];
        if (p.kind == ParamSetting::Kind::kPerShot) {
          s.per_shot.emplace_back(def.params[i].name, &p);
        } else if (p.kind == ParamSetting::Kind::kFixed) {
          s.params[def.params[i].name] = p.values.front();
        }
      }
      settings.push_back(std::move(s));
    }
    return settings;
  }
  if (spec.search_mode == SearchMode::kRandom) {
    const std::vector<const nlohmann::json*> none(def.params.size(), nullptr);
    for (int64_t i = 0; i < spec.samples; ++i) {
      settings.push_back(finish(Setting{}, none));
      settings.back().slot = i;
    }
    return settings;
  }
  const int64_t repeats = HasDistribution(method) ? spec.samples : 1;
  std::vector<size_t> position(def.params.size(), 0);
  while (true) {
    std::vector<const nlohmann::json*> grid_values(def.params.size(), nullptr);
    for (size_t i = 0; i < def.params.size(); ++i) {
      const ParamSetting& s = *ordered[i];
      if (s.kind == ParamSetting::Kind::kFixed || s.kind == ParamSetting::Kind::kSweep) {
        grid_values[i] = &s.values[position[i]];
      }
    }
    for (int64_t r = 0; r < repeats; ++r) {
      settings.push_back(finish(Setting{}, grid_values));
      settings.back().slot = static_cast<int64_t>(settings.size()) - 1;
    }
    // Advance the odometer: the last parameter varies fastest.
    size_t i = def.params.size();
    while (i > 0) {
      --i;
      const ParamSetting& s = *ordered[i];
      const size_t n = s.kind == ParamSetting::Kind::kSweep ? s.values.size() : 1;
      if (++position[i] < n) break;
      position[i] = 0;
      if (i == 0) return settings;
    }
    if (def.params.empty()) return settings;
  }
}

size_t WordCount(const std::string& text) {
  std::istringstream in(text);
  std::string word;
  size_t n = 0;
  while (in >> word) ++n;
  return n;
}

class Planner {
 public:
  // `backbone_seed_fingerprints`: the backbone's fingerprint for each of
  // spec.backbone_seeds (the pretraining seed changes the weights).
  Planner(const SweepSpec& spec, TrialFingerprints fingerprints,
          std::map<int64_t, std::string> backbone_seed_fingerprints,
          datasets::DatasetOptions dataset_options)
      : spec_(spec),
        fingerprints_(std::move(fingerprints)),
        backbone_seed_fingerprints_(std::move(backbone_seed_fingerprints)),
        dataset_options_(std::move(dataset_options)),
        diag_(spec.origin) {}

  Result<Plan> Run() {
    plan_.name = spec_.name;
    training_shots_ = TrainingShots(spec_);
    for (const auto& method : spec_.methods) {
      const MethodDef* def = FindMethod(method.name);
      if (def == nullptr) return InvalidArgument("unknown method \"" + method.name + "\"");
      std::vector<std::string> order;
      for (const auto& p : def->params) order.push_back(p.name);
      space_ = search::SpaceOfMethod(method, order);
      for (const Setting& setting : ExpandSettings(spec_, *def, method)) {
        PlanSetting(*def, method, setting);
      }
    }
    if (!diag_.empty()) return diag_.ToStatus();
    plan_.count = static_cast<int64_t>(plan_.items.size());
    return std::move(plan_);
  }

 private:
  std::string Path(const MethodSpec& method, const std::string& param) const {
    return "methods[" + std::to_string(method.index) + "]." + param;
  }

  // Cross-parameter rules, checked on every resolved setting.
  void Check(const MethodSpec& method, const nlohmann::json& params) {
    // A TPE slot has no ctx_len or init yet when they are searched: checked by the runtime.
    if (method.name == "coop" && params.contains("init") && params.contains("ctx_len")) {
      const std::string init = params["init"].get<std::string>();
      const int64_t ctx_len = params["ctx_len"].get<int64_t>();
      const size_t words = WordCount(init);
      if (static_cast<int64_t>(words) > ctx_len) {
        diag_.Add(method.params.at("init").mark, Path(method, "init"),
                  "\"" + init + "\" has " + std::to_string(words) + " words, more than ctx_len " +
                      std::to_string(ctx_len) + " context vectors to initialise");
      }
    }
  }

  void PlanSetting(const MethodDef& def, const MethodSpec& method, const Setting& setting) {
    const bool per_shot_epochs = [&] {
      for (const auto& [name, s] : setting.per_shot) {
        if (name == "epochs") return true;
      }
      return false;
    }();
    const bool trains =
        per_shot_epochs || (setting.tpe && def.trains) || SettingTrains(def, setting.params);
    if (!trains) {
      for (const auto& [name, s] : setting.per_shot) {
        diag_.Add(s->mark, Path(method, name),
                  "a per-shot map needs a setting that trains; " + method.name +
                      " with epochs 0 runs once at shots 0");
      }
      if (!setting.per_shot.empty()) return;
      Check(method, setting.params);
      EmitReplicates(method, setting.params, 0, {0}, {0});
      return;
    }
    for (int64_t shots : training_shots_) {
      nlohmann::json params = setting.params;
      bool complete = true;
      for (const auto& [name, s] : setting.per_shot) {
        auto it = s->per_shot.find(shots);
        if (it == s->per_shot.end()) {
          diag_.Add(s->mark, Path(method, name), "no value for shots " + std::to_string(shots));
          complete = false;
          continue;
        }
        params[name] = it->second;
      }
      if (!complete) continue;
      Check(method, params);
      EmitReplicates(method, params, shots, spec_.data_seeds, spec_.train_seeds, &setting);
    }
  }

  // Whether the trials of a training setting belong to an adaptive search (TPE or ASHA).
  bool Searching() const { return spec_.search_mode == SearchMode::kTpe || spec_.scheduler.asha; }

  // The item's "search" member (search/item_search.h) for a training setting.
  nlohmann::json SearchMember(const MethodSpec& method, const Setting& setting,
                              int64_t shots) const {
    search::ItemSearch s;
    s.mode = spec_.search_mode == SearchMode::kTpe      ? "tpe"
             : spec_.search_mode == SearchMode::kRandom ? "random"
                                                        : "grid";
    s.unit = std::to_string(method.index) + ":" + method.name + "@" + std::to_string(shots);
    s.config = s.unit + "/" + std::to_string(setting.slot);
    s.slot = setting.slot;
    s.metric = spec_.objective.metric;
    s.maximize = spec_.objective.maximize;
    s.seed = MethodSamplerSeed(spec_.search_seed, method.index);
    if (setting.tpe) {
      s.mode = "tpe";
      s.n_startup = spec_.n_startup;
      s.space = space_;
    } else if (s.mode == "tpe") {
      s.mode = "grid";  // nothing to search: the one setting runs as planned
    }
    if (spec_.scheduler.asha) {
      s.asha = true;
      s.schedule = {spec_.scheduler.min, spec_.scheduler.max, spec_.scheduler.eta};
      s.rungs = search::RungEpochs(s.schedule);
    }
    return search::ItemSearchToJson(s);
  }

  // One item per (backbone seed, data seed, train seed) of one setting at one shot count;
  // without backbone_seeds, per (data seed, train seed) with no backbone_seed member.
  void EmitReplicates(const MethodSpec& method, const nlohmann::json& params, int64_t shots,
                      const std::vector<int64_t>& data_seeds,
                      const std::vector<int64_t>& train_seeds, const Setting* setting = nullptr) {
    if (!diag_.empty()) return;  // an invalid plan: keep collecting problems, not items
    nlohmann::json item = nlohmann::json::object();
    item["sweep"] = spec_.name;
    item["task"] = spec_.task;
    item["dataset"] = spec_.dataset;
    if (!dataset_options_.empty()) {
      item["dataset_options"] = datasets::DatasetOptionsToJson(dataset_options_);
    }
    item["backbone"] = spec_.backbone;
    item["method"] = method.name;
    item["shots"] = shots;
    item["shot_unit"] = spec_.shot_unit;
    item["params"] = params;
    // With ASHA, max is the epochs of every trained setting (a full run; rungs stop early).
    if (setting != nullptr && spec_.scheduler.asha && params.contains("epochs")) {
      item["params"]["epochs"] = spec_.scheduler.max;
    }
    item["resources"] = {{"ranks", spec_.ranks}};
    if (spec_.precision != "fp32") item["precision"] = spec_.precision;
    item["retries"] = spec_.retries;
    item["priority"] = spec_.priority;
    item["rerun"] = spec_.rerun;
    // Not part of the key: how long a trial may hang changes nothing it computes.
    item["timeout_ms"] = spec_.timeout_ms.value_or(MethodDefaultTimeoutMs(method.name));
    // A TPE slot is no configuration yet: its key names the sweep, the search seed and the
    // slot, so it is never reused from (or for) another sweep (docs/sweeps.md, "Search").
    nlohmann::json key_item = item;
    if (setting != nullptr && setting->tpe) {
      key_item["params"]["$tpe_slot"] = {
          {"sweep", spec_.name}, {"seed", spec_.search_seed}, {"slot", setting->slot}};
    }
    if (setting != nullptr && Searching()) item["search"] = SearchMember(method, *setting, shots);
    if (spec_.backbone_seeds.empty()) {
      EmitSeeds(item, key_item, fingerprints_, data_seeds, train_seeds);
      return;
    }
    for (int64_t backbone_seed : spec_.backbone_seeds) {
      item["backbone_seed"] = key_item["backbone_seed"] = backbone_seed;
      TrialFingerprints fingerprints = fingerprints_;
      fingerprints.backbone = backbone_seed_fingerprints_.at(backbone_seed);
      EmitSeeds(item, key_item, fingerprints, data_seeds, train_seeds);
    }
  }

  // The items of `item` for each (data seed, train seed), keyed as `key_item`.
  void EmitSeeds(const nlohmann::json& item, const nlohmann::json& key_item,
                 const TrialFingerprints& fingerprints, const std::vector<int64_t>& data_seeds,
                 const std::vector<int64_t>& train_seeds) {
    const SeedKeyHasher hasher(key_item, fingerprints);
    for (int64_t data_seed : data_seeds) {
      for (int64_t train_seed : train_seeds) {
        std::string key = hasher.Key(data_seed, train_seed);
        if (!keys_.insert(key).second) continue;  // an identical trial is planned already
        nlohmann::json& out = plan_.items.emplace_back(item);
        out["data_seed"] = data_seed;
        out["train_seed"] = train_seed;
        out["key"] = std::move(key);
        out["index"] = static_cast<int64_t>(plan_.items.size() - 1);
      }
    }
  }

  const SweepSpec& spec_;
  TrialFingerprints fingerprints_;
  std::map<int64_t, std::string> backbone_seed_fingerprints_;
  datasets::DatasetOptions dataset_options_;  // CheckDataset's, in every item
  Diagnostics diag_;
  std::vector<int64_t> training_shots_;
  std::unordered_set<std::string> keys_;
  search::SearchSpace space_;  // of the method being planned
  Plan plan_;
};

}  // namespace

int64_t CountPlanUpperBound(const SweepSpec& spec) {
  const int64_t replicates =
      SaturatingMul(SaturatingMul(static_cast<int64_t>(TrainingShots(spec).size()),
                                  static_cast<int64_t>(spec.data_seeds.size())),
                    static_cast<int64_t>(spec.train_seeds.size()));
  // Every trial, trained or not, runs once per backbone seed.
  const int64_t backbones = std::max<int64_t>(1, static_cast<int64_t>(spec.backbone_seeds.size()));
  int64_t total = 0;
  for (const auto& method : spec.methods) {
    const MethodDef* def = FindMethod(method.name);
    if (def == nullptr) continue;
    // Settings that train and settings that do not (only cpt has both, through epochs).
    int64_t training = def->trains ? 1 : 0;
    int64_t zero_shot = def->trains ? 0 : 1;
    int64_t others = 1;
    for (const auto& [name, s] : method.params) {
      const int64_t n =
          spec.search_mode == SearchMode::kGrid && s.kind == ParamSetting::Kind::kSweep
              ? static_cast<int64_t>(s.values.size())
              : 1;
      if (def->name == "cpt" && name == "epochs") {
        training = 0;
        zero_shot = 0;
        if (s.kind == ParamSetting::Kind::kPerShot || s.kind == ParamSetting::Kind::kDistribution) {
          training = 1;  // an upper bound: a drawn epochs may be 0
        } else {
          for (const auto& v : s.values) (v.get<int64_t>() > 0 ? training : zero_shot) += 1;
          if (spec.search_mode != SearchMode::kGrid) {
            training = training > 0 ? 1 : 0;
            zero_shot = training > 0 ? 0 : 1;
          }
        }
        continue;
      }
      others = SaturatingMul(others, n);
    }
    const int64_t draws = spec.search_mode != SearchMode::kGrid ? spec.samples
                          : HasDistribution(method)             ? spec.samples
                                                                : 1;
    const int64_t per_setting = SaturatingAdd(SaturatingMul(training, replicates), zero_shot);
    total = SaturatingAdd(
        total, SaturatingMul(SaturatingMul(SaturatingMul(others, draws), per_setting), backbones));
  }
  return total;
}

Result<Plan> PlanSweep(const SweepSpec& spec, const PlanOptions& options) {
  const int64_t bound = CountPlanUpperBound(spec);
  if (bound > options.max_trials && !options.force) {
    return ResourceExhausted(spec.origin + ": sweep \"" + spec.name + "\" plans " +
                             WithThousands(bound) + " trials, more than the limit of " +
                             WithThousands(options.max_trials) +
                             "; pass --force to plan it anyway");
  }
  TrialFingerprints fingerprints;
  auto backbone = BackboneFingerprint(spec.backbone);
  if (!backbone.ok()) return backbone.status().WithContext(spec.origin + ": backbone");
  fingerprints.backbone = *backbone;
  std::map<int64_t, std::string> backbone_seed_fingerprints;
  for (int64_t seed : spec.backbone_seeds) {
    auto seeded = BackboneFingerprint(SeededBackboneName(spec.backbone, seed));
    if (!seeded.ok()) return seeded.status().WithContext(spec.origin + ": backbone");
    backbone_seed_fingerprints[seed] = *seeded;
  }
  // The dataset check first: its errors point at the `dataset` field (LINE:COL).
  CT_ASSIGN_OR_RETURN(datasets::DatasetOptions dataset_options, CheckDataset(spec));
  auto dataset = DatasetFingerprint(spec.dataset, spec.dataset_options);
  if (!dataset.ok()) return dataset.status().WithContext(spec.origin + ": dataset");
  fingerprints.dataset = *dataset;
  Planner planner(spec, std::move(fingerprints), std::move(backbone_seed_fingerprints),
                  std::move(dataset_options));
  CT_ASSIGN_OR_RETURN(Plan plan, planner.Run());
  std::vector<int64_t> shots;
  for (const auto& item : plan.items) shots.push_back(item["shots"].get<int64_t>());
  CT_RETURN_IF_ERROR(CheckDatasetShots(spec, shots));
  return plan;
}

nlohmann::json PlanToJson(const Plan& plan) {
  nlohmann::json out = nlohmann::json::object();
  out["sweep"] = plan.name;
  out["trials"] = plan.count;
  out["items"] = plan.items;
  return out;
}

std::string PlanJsonText(const Plan& plan) {
  constexpr auto kReplace = nlohmann::json::error_handler_t::replace;
  std::string out = "{\"items\":[";
  for (size_t i = 0; i < plan.items.size(); ++i) {
    if (i > 0) out += ',';
    out += plan.items[i].dump(-1, ' ', false, kReplace);
  }
  out += "],\"sweep\":" + nlohmann::json(plan.name).dump(-1, ' ', false, kReplace);
  out += ",\"trials\":" + std::to_string(plan.count) + "}";
  return out;
}

}  // namespace chromatune
