// dashboard_fixture: writes a synthetic few-shot grounding sweep (CPT protocol) into a
// result store and its HDF5 artifact file, for the dashboard's browser test, the README
// screenshot and the 100,000-trial dashboard bench.
//
// The trials go through the coordinator's write path: ResultStore::CreateSweep, a
// registered worker group, batched Apply of leases and completions (metrics and curves in
// SQLite) and ArtifactStore::WriteTrials (curves and arrays in HDF5, next to the store as
// the coordinator puts them). Only the trial results are synthetic: a real grounding sweep
// needs a pretrained backbone, which takes minutes on two cores (docs/dashboard.md).
//
// On FashionRef (5 proposals, 2,000 evaluation expressions), for each setting k < K, as the
// planner lays it out (experiments/sweep/plan.cc): 7 zero-shot trials that run once at
// shots 0 with seeds 0 (cpt with each of the five CPT colours and with the cpt-5 palette,
// epochs 0; red-circle), and for each data seed d <= D and train seed t <= T, 21 trained
// trials at shots 1, 4, 16: cpt prompt tuning (epochs 10) with each colour and the palette,
// and finetune (the baseline). Setting k varies cpt's alpha, red-circle's thickness and
// finetune's lr. Trials: K * (7 + 21 * D * T). Accuracy = method base + a gain with
// log2(1 + shots) + a data-seed effect shared by all methods (paired designs) + train
// noise, rounded to 1/2,000. Trained trials carry train_loss and val_accuracy curves.
//
// Usage: dashboard_fixture --db FILE --sweep NAME [--settings K] [--data-seeds D]
//                          [--train-seeds T] [--artifacts N]
//   defaults K = 1, D = 3, T = 1; N: trials (in id order) whose artifacts go to HDF5
//   (default all). Exit 0 on success, 2 on bad arguments, 1 when a write fails.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/sha256.h"
#include "storage/artifact_store.h"
#include "storage/finished_sweep.h"
#include "storage/result_store.h"

namespace chromatune {
namespace {

using json = nlohmann::json;

struct Options {
  std::string db;
  std::string sweep;
  int settings = 1;
  int data_seeds = 3;
  int train_seeds = 1;
  int64_t artifacts = -1;  // < 0: all
};

struct Colour {
  const char* name;
  int r, g, b;  // CPT's values (experiments/sweep/colors.cc)
  double base;  // zero-shot accuracy with this marker colour
};
constexpr Colour kColours[] = {{"red", 250, 0, 45, 0.62},
                               {"purple", 140, 70, 165, 0.52},
                               {"green", 100, 250, 0, 0.47},
                               {"yellow", 250, 250, 45, 0.44},
                               {"blue", 0, 40, 250, 0.57}};

// A colour as the planner writes it into plan items: {"name", "rgb"}.
json ColourJson(const Colour& c) { return {{"name", c.name}, {"rgb", {c.r, c.g, c.b}}}; }

// The cpt-5 palette as the planner writes it: the list of its colours.
json PaletteJson() {
  json p = json::array();
  for (const Colour& c : kColours) p.push_back(ColourJson(c));
  return p;
}
constexpr int kTrainedShots[] = {1, 4, 16};
constexpr int kEvalSize = 2000;
constexpr int kEpochs = 10;

struct Trial {
  json item;
  TrialResult result;
};

// Curves of a trained trial: the loss falls towards a floor, validation accuracy rises to
// the final accuracy.
void AddCurves(double accuracy, std::mt19937_64& rng, TrialResult& r) {
  std::normal_distribution<double> noise(0.0, 0.02);
  for (int e = 1; e <= kEpochs; ++e) {
    r.curves.push_back({"train_loss", e, 0.4 + 1.2 * std::exp(-0.35 * e) + noise(rng)});
    r.curves.push_back(
        {"val_accuracy", e, accuracy - (accuracy - 0.2) * std::exp(-0.4 * e) + noise(rng) / 4});
  }
}

std::vector<Trial> MakeTrials(const Options& o) {
  std::mt19937_64 rng(20261127);
  std::normal_distribution<double> data_effect(0.0, 0.02);
  std::normal_distribution<double> train_noise(0.0, 0.01);
  std::vector<double> seed_effect(static_cast<size_t>(o.data_seeds) + 1);
  for (double& e : seed_effect) e = data_effect(rng);
  std::vector<Trial> trials;
  const auto add = [&](const std::string& method, int shots, int d, int t, json params, double mean,
                       bool trained) {
    Trial trial;
    trial.item = {{"index", trials.size()},
                  {"sweep", o.sweep},
                  {"task", "grounding"},
                  {"dataset", "fashion-ref"},
                  {"backbone", "builtin:tiny-clip"},
                  {"method", method},
                  {"shots", shots},
                  {"shot_unit", "total"},
                  {"data_seed", d},
                  {"train_seed", t},
                  {"params", std::move(params)},
                  {"resources", {{"ranks", 1}}}};
    trial.item["key"] = Sha256Hex(trial.item.dump());  // the sweep name is in the item
    const double accuracy =
        std::round(std::clamp(mean + seed_effect[d] + train_noise(rng), 0.0, 1.0) * kEvalSize) /
        kEvalSize;
    trial.result.metrics = {{"accuracy", accuracy}, {"eval_size", kEvalSize}};
    if (trained) AddCurves(accuracy, rng, trial.result);
    trial.result.arrays.push_back({"predictions", {8}, std::vector<float>(8, 0.0f)});
    for (int i = 0; i < 8; ++i) trial.result.arrays[0].data[i] = static_cast<float>((i + d) % 5);
    trial.result.wall_seconds = trained ? 4.0 : 1.0;
    trials.push_back(std::move(trial));
  };
  for (int k = 0; k < o.settings; ++k) {
    const double setting_effect = 0.01 * ((k % 3) - 1);
    const double alpha = std::round((127.0 + 8.0 * k) / 255.0 * 1e4) / 1e4;
    for (const Colour& c : kColours) {
      add("cpt", 0, 0, 0, {{"color", ColourJson(c)}, {"alpha", alpha}, {"epochs", 0}},
          c.base + setting_effect, false);
    }
    add("cpt", 0, 0, 0, {{"palette", PaletteJson()}, {"alpha", alpha}, {"epochs", 0}},
        0.6 + setting_effect, false);
    add("red-circle", 0, 0, 0, {{"thickness", 2 + k}}, 0.4 + setting_effect, false);
    for (int d = 1; d <= o.data_seeds; ++d) {
      for (int t = 1; t <= o.train_seeds; ++t) {
        for (int shots : kTrainedShots) {
          const double gain = 0.05 * std::log2(1.0 + shots);
          for (const Colour& c : kColours) {
            add("cpt", shots, d, t,
                {{"color", ColourJson(c)}, {"alpha", alpha}, {"epochs", kEpochs}},
                c.base + gain + setting_effect, true);
          }
          add("cpt", shots, d, t,
              {{"palette", PaletteJson()}, {"alpha", alpha}, {"epochs", kEpochs}},
              0.6 + gain + setting_effect, true);
          add("finetune", shots, d, t,
              {{"lr", 1e-4 * std::pow(2.0, k)}, {"epochs", kEpochs}, {"last_k_blocks", 0}},
              0.25 + 0.09 * std::log2(1.0 + shots) + setting_effect, true);
        }
      }
    }
  }
  return trials;
}

Status Write(const Options& o, const std::vector<Trial>& trials) {
  CT_ASSIGN_OR_RETURN(auto store, ResultStore::Open(o.db, StoreMode::kReadWrite));
  NewSweep sweep;
  sweep.name = o.sweep;
  sweep.user = "fixture";
  sweep.spec_yaml = "# synthetic grounding sweep written by dashboard_fixture\nname: " + o.sweep +
                    "\ntask: grounding\ndataset: fashion-ref\n";
  for (const Trial& t : trials) sweep.items.push_back(t.item);
  CT_ASSIGN_OR_RETURN(auto artifacts, ArtifactStore::Open(ArtifactStore::DefaultPathFor(o.db),
                                                          o.sweep, StoreMode::kReadWrite));
  int64_t with_artifacts = 0;
  // Arrays first, then Complete: the coordinator's order.
  auto write_arrays = [&](const std::vector<TrialRecord>& batch) -> Status {
    std::vector<TrialArtifactsRef> refs;
    for (const TrialRecord& row : batch) {
      if (o.artifacts >= 0 && with_artifacts >= o.artifacts) break;
      const Trial& t = trials.at(static_cast<size_t>(row.index));
      refs.push_back({row.id, 1, t.item, t.result});
      ++with_artifacts;
    }
    return refs.empty() ? Status::Ok() : artifacts->WriteTrials(refs);
  };
  CT_RETURN_IF_ERROR(WriteFinishedSweep(
      *store, sweep, [&](int64_t index) { return trials.at(static_cast<size_t>(index)).result; },
      write_arrays));
  std::printf("%s: sweep \"%s\", %zu trials done (%lld with HDF5 artifacts in %s)\n", o.db.c_str(),
              o.sweep.c_str(), trials.size(), static_cast<long long>(with_artifacts),
              artifacts->path().c_str());
  return Status::Ok();
}

int Usage(const std::string& why) {
  std::fprintf(stderr,
               "dashboard_fixture: %s\nusage: dashboard_fixture --db FILE --sweep NAME "
               "[--settings K] [--data-seeds D] [--train-seeds T] [--artifacts N]\n",
               why.c_str());
  return 2;
}

bool ParseCount(const char* text, int64_t min, int64_t* out) {
  char* end = nullptr;
  const long long v = std::strtoll(text, &end, 10);
  if (end == text || *end != '\0' || v < min || v > 100000000) return false;
  *out = v;
  return true;
}

}  // namespace
}  // namespace chromatune

int main(int argc, char** argv) {
  using namespace chromatune;
  Options o;
  for (int i = 1; i < argc; i += 2) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) return Usage(flag + ": missing value");
    const char* value = argv[i + 1];
    int64_t n = 0;
    if (flag == "--db") {
      o.db = value;
    } else if (flag == "--sweep") {
      o.sweep = value;
    } else if (flag == "--settings" || flag == "--data-seeds" || flag == "--train-seeds") {
      if (!ParseCount(value, 1, &n)) return Usage(flag + ": not a count >= 1: " + value);
      int* count = flag == "--settings" ? &o.settings : &o.train_seeds;
      if (flag == "--data-seeds") count = &o.data_seeds;
      *count = static_cast<int>(n);
    } else if (flag == "--artifacts") {
      if (!ParseCount(value, 0, &n)) return Usage(flag + ": not a count >= 0: " + value);
      o.artifacts = n;
    } else {
      return Usage("unknown argument " + flag);
    }
  }
  if (o.db.empty() || o.sweep.empty()) return Usage("--db and --sweep are required");
  std::vector<Trial> trials = MakeTrials(o);
  Status s = Write(o, trials);
  if (!s.ok()) {
    std::fprintf(stderr, "dashboard_fixture: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
