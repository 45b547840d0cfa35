// Sweep files: parsing and validation of the YAML a user writes (docs/sweeps.md).
//
// ParseSweep reads the whole file, checks every field, and returns either a SweepSpec in
// which every method parameter is typed, range-checked and completed with its documented
// default, or ONE kInvalidArgument Status whose message holds every problem found, one per
// line, each as `ORIGIN:LINE:COL: FIELD.PATH: message` (lines and columns 1-based), e.g.
//   sweep.yaml:12:14: methods[2].color[1]: unknown colour "purpel" (did you mean "purple"?)
// Problems are collected, not stopped at: a file with five mistakes reports five lines.
//
// Thread-safe (no shared state). No I/O except ParseSweepFile reading its file and the
// existence checks of PATH-based datasets, image roots, proposals files and backbones; the
// plan (plan.h) reads the dataset's manifest and checks it against the spec.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "datasets/sources/dataset_options.h"

namespace chromatune {

// A 1-based position in the sweep file (0 when unknown, e.g. a default).
struct SourceMark {
  int line = 0;
  int column = 0;
};

// A random-search distribution over one parameter.
enum class DistributionKind { kChoice, kUniform, kLogUniform, kIntUniform };

// One method parameter as the file sets it. Values are already in their resolved JSON form:
// colours as {"name": WORD, "rgb": [r, g, b]}, palettes as lists of colours, template sets
// as lists of strings, floats as JSON doubles, integers as JSON integers.
struct ParamSetting {
  enum class Kind {
    kFixed,         // one value (also every default): values.size() == 1
    kSweep,         // a list: the grid takes each of `values`, in order
    kPerShot,       // a map keyed by shot count: per_shot[shots]
    kDistribution,  // random draw: choice over `values`, or a numeric range [low, high]
  };
  Kind kind = Kind::kFixed;
  std::vector<nlohmann::json> values;
  std::map<int64_t, nlohmann::json> per_shot;
  DistributionKind distribution = DistributionKind::kChoice;
  double low = 0.0;
  double high = 0.0;
  bool is_default = false;  // not written in the file
  SourceMark mark;
};

// One entry of `methods:`, with EVERY parameter of the method present (defaults filled).
struct MethodSpec {
  std::string name;  // e.g. "coop"; a name of MethodCatalog()
  int index = 0;     // position in methods[]
  std::map<std::string, ParamSetting> params;
  SourceMark mark;
};

enum class SearchMode { kGrid, kRandom, kTpe };

// `search.scheduler`: ASHA early stopping with epochs as the resource (docs/sweeps.md,
// "Search"). `max` replaces the epochs of every method that trains.
struct SchedulerSpec {
  bool asha = false;  // a scheduler was given (its only name is asha)
  int64_t min = 1;
  int64_t max = 1;
  int64_t eta = 3;
  SourceMark mark;
};

// `objective`: what TPE and ASHA optimise. The default metric is "accuracy/val" when the
// sweep evaluates the val split first, else "accuracy" (with a warning: tuning on test data).
struct ObjectiveSpec {
  std::string metric = "accuracy";
  bool maximize = true;
  bool is_default = true;  // not written in the file
};

struct SweepSpec {
  std::string origin;  // the file name used in messages
  std::string name;    // [A-Za-z0-9._-]+, at most 128 characters
  std::string task;    // classification | grounding
  // The source as written (the string, or the mapping's `source`), except that a relative
  // PATH of coop-split:/refexp:/csv:/imagefolder:/torchscript: is made absolute against the
  // sweep file's directory (ParseOptions::base_dir).
  std::string dataset;
  // The rest of the mapping form `dataset: {source, image_root, proposals, eval}` (paths
  // absolute; eval.domain "plain" dropped as the default); empty for the string form.
  datasets::DatasetOptions dataset_options;
  SourceMark dataset_mark;     // where `dataset` is written: the plan's dataset checks point here
  SourceMark shots_mark;       // where `shots` is written
  std::string backbone;        // default builtin:tiny-clip
  std::vector<int64_t> shots;  // each >= 0, distinct, in file order
  std::string shot_unit;       // per_class | total (default by task: see docs/sweeps.md)
  // replicates.backbone_seeds: pretraining seeds of a builtin backbone (each its own
  // pretraining run); empty when not given: the backbone as it is, and items without a
  // backbone_seed (plan.h), so their keys are those from before backbone seeds existed.
  std::vector<int64_t> backbone_seeds;
  std::vector<int64_t> data_seeds;   // default [1]
  std::vector<int64_t> train_seeds;  // default [1]
  std::vector<MethodSpec> methods;   // at least one
  SearchMode search_mode = SearchMode::kGrid;
  int64_t samples = 1;  // random: settings per method; grid: draws per grid point that has
                        // a distribution
  uint64_t search_seed = 0;
  int64_t n_startup = 10;   // TPE: configurations drawn from the prior before suggestions
  SchedulerSpec scheduler;  // ASHA when scheduler.asha
  ObjectiveSpec objective;
  // Problems that do not make the file invalid, each "ORIGIN: FIELD: message" (e.g. the
  // search tuning on test data). Callers print them.
  std::vector<std::string> warnings;
  int64_t ranks = 1;  // resources.ranks
  // Arithmetic of the trials' forward passes: fp32 | bf16 | fp16 (autocast; fp16 with loss
  // scaling and a GPU only). Part of the trial key when not fp32 (trial_key.h).
  std::string precision = "fp32";
  int64_t retries = 2;
  int64_t priority = 0;
  bool rerun = false;
  // `timeout`: a trial that makes no step (no progress report) for this long ends its worker
  // group and is charged a failed attempt (docs/sweeps.md, "Timeouts"). nullopt: not written,
  // each method's default applies (MethodDefaultTimeoutMs); 0: `none`, no limit.
  std::optional<int64_t> timeout_ms;
  std::string yaml_text;  // the source, kept verbatim for the store
};

struct ParseOptions {
  // Directory against which relative PATHs are resolved; empty = the current directory.
  std::string base_dir;
};

// Parses and validates `yaml_text`; `origin` names it in messages (e.g. the file name).
Result<SweepSpec> ParseSweep(const std::string& yaml_text, const std::string& origin,
                             const ParseOptions& options = {});

// Reads `path` and parses it with base_dir = the file's directory and origin = `path`.
// A missing or unreadable file is kNotFound / kIoError naming the path.
Result<SweepSpec> ParseSweepFile(const std::string& path);

}  // namespace chromatune
