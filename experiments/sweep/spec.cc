#include "experiments/sweep/spec.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "experiments/sweep/backbone_ref.h"
#include "experiments/sweep/did_you_mean.h"
#include "experiments/sweep/duration.h"
#include "experiments/sweep/method_catalog.h"
#include "experiments/sweep/param_value.h"
#include "experiments/sweep/yaml_node.h"

namespace chromatune {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string>& TopLevelKeys() {
  static const std::vector<std::string> kKeys = {
      "name",   "task",      "dataset", "backbone", "shots", "shot_unit", "replicates", "methods",
      "search", "resources", "retries", "priority", "rerun", "objective", "precision",  "timeout"};
  return kKeys;
}

// Named datasets and the task each serves; PATH forms are "coop-split:" and "refexp:".
const std::vector<std::pair<std::string, std::string>>& NamedDatasets() {
  static const std::vector<std::pair<std::string, std::string>> kDatasets = {
      {"fashion-mnist", "classification"},
      {"fashion-mnist-shift", "classification"},
      {"fashion-ref", "grounding"},
      {"fashion-ref-shift", "grounding"},
  };
  return kDatasets;
}

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

std::string JoinInts(const std::vector<int64_t>& values) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) out += (i > 0 ? ", " : "") + std::to_string(values[i]);
  return out;
}

ParamDef IntField(const std::string& name, double min, double max) {
  ParamDef def;
  def.name = name;
  def.type = ParamType::kInt;
  def.min = min;
  def.max = max;
  return def;
}

ParamDef EnumField(const std::string& name, std::vector<std::string> choices) {
  ParamDef def;
  def.name = name;
  def.type = ParamType::kEnum;
  def.choices = std::move(choices);
  return def;
}

class SpecParser {
 public:
  SpecParser(const std::string& origin, const ParseOptions& options)
      : diag_(origin), options_(options) {}

  Result<SweepSpec> Parse(const std::string& text) {
    spec_.origin = diag_.origin();
    spec_.yaml_text = text;
    CT_ASSIGN_OR_RETURN(YAML::Node root, LoadYaml(text, diag_.origin()));
    if (!root.IsDefined() || root.IsNull()) {
      return InvalidArgument(diag_.origin() +
                             ": the file is empty; a sweep file is a YAML mapping with name, "
                             "task, dataset, shots and methods");
    }
    if (!root.IsMap()) {
      diag_.Add(MarkOf(root), "",
                "expected a mapping of sweep fields (name, task, dataset, shots, methods, ...), "
                "got " +
                    DescribeNode(root));
      return diag_.ToStatus();
    }
    CheckDuplicateKeys(root, "", diag_);
    root_mark_ = MarkOf(root);
    Fields(root);
    if (!diag_.empty()) return diag_.ToStatus();
    return std::move(spec_);
  }

 private:
  // Reads every field of the root mapping (a const node: lookups never insert).
  void Fields(const YAML::Node& root) {
    for (auto it = root.begin(); it != root.end(); ++it) {
      const std::string key = it->first.IsScalar() ? it->first.Scalar() : "";
      const auto& known = TopLevelKeys();
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        diag_.Add(MarkOf(it->first), key.empty() ? DescribeNode(it->first) : key,
                  "unknown field" + DidYouMean(key, known));
      }
    }
    ParseName(root["name"]);
    ParseTask(root["task"]);
    ParseDataset(root["dataset"]);
    ParseBackbone(root["backbone"]);
    ParseShots(root["shots"]);
    ParseShotUnit(root["shot_unit"]);
    ParseReplicates(root["replicates"]);
    ParseSearch(root["search"]);
    ParseResources(root["resources"]);
    ParsePrecision(root["precision"]);
    if (auto v = OptionalInt(root["retries"], "retries", 0, 100)) spec_.retries = *v;
    if (auto v = OptionalInt(root["priority"], "priority", -1000000, 1000000)) {
      spec_.priority = *v;
    }
    ParseRerun(root["rerun"]);
    ParseTimeout(root["timeout"]);
    ParseMethods(root["methods"]);
    ParseObjective(root["objective"]);
    CheckSchedulerEpochs();
  }

  bool Missing(const YAML::Node& node, const std::string& field, bool required) {
    if (node.IsDefined()) return false;
    if (required) diag_.Add(root_mark_, field, "missing required field");
    return true;
  }

  std::optional<std::string> StringField(const YAML::Node& node, const std::string& path) {
    TypedScalar t = node.IsScalar() ? TypeScalar(node) : TypedScalar{};
    if (!node.IsScalar() || t.kind != TypedScalar::Kind::kString) {
      diag_.Add(MarkOf(node), path, "expected a string, got " + DescribeNode(node));
      return std::nullopt;
    }
    return t.text;
  }

  std::optional<int64_t> OptionalInt(const YAML::Node& node, const std::string& path, double min,
                                     double max) {
    if (Missing(node, path, false)) return std::nullopt;
    auto v = ParseParamValue(IntField(path, min, max), node, path, diag_);
    if (!v) return std::nullopt;
    return v->get<int64_t>();
  }

  // An integer or a non-empty list of distinct integers in [min, max].
  std::optional<std::vector<int64_t>> IntList(const YAML::Node& node, const std::string& path,
                                              double min, double max) {
    const ParamDef def = IntField(path, min, max);
    std::vector<int64_t> out;
    if (!node.IsSequence()) {
      auto v = ParseParamValue(def, node, path, diag_);
      if (!v) return std::nullopt;
      return std::vector<int64_t>{v->get<int64_t>()};
    }
    if (node.size() == 0) {
      diag_.Add(MarkOf(node), path, "an empty list; give at least one value");
      return std::nullopt;
    }
    bool ok = true;
    for (size_t i = 0; i < node.size(); ++i) {
      auto v = ParseParamValue(def, node[i], IndexPath(path, i), diag_);
      if (!v) {
        ok = false;
        continue;
      }
      const int64_t x = v->get<int64_t>();
      if (std::find(out.begin(), out.end(), x) != out.end()) {
        diag_.Add(MarkOf(node[i]), IndexPath(path, i),
                  "the value " + std::to_string(x) + " is listed twice");
        ok = false;
        continue;
      }
      out.push_back(x);
    }
    if (!ok) return std::nullopt;
    return out;
  }

  void ParseName(const YAML::Node& node) {
    if (Missing(node, "name", true)) return;
    auto name = StringField(node, "name");
    if (!name) return;
    // Names are labels people read (reports, dashboard), so any printable text is allowed;
    // every consumer escapes them and file names derived from them are sanitized
    // (ArtifactStore::PathFor). Control characters and edge spaces would only confuse.
    const bool control = std::any_of(name->begin(), name->end(), [](char c) {
      return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
    });
    if (name->empty() || name->size() > 128 || control || name->front() == ' ' ||
        name->back() == ' ') {
      diag_.Add(MarkOf(node), "name",
                "a sweep name is 1 to 128 printable characters without control characters or "
                "leading/trailing spaces, got \"" +
                    *name + "\"");
      return;
    }
    spec_.name = *name;
  }

  void ParseTask(const YAML::Node& node) {
    if (Missing(node, "task", true)) return;
    auto v =
        ParseParamValue(EnumField("task", {"classification", "grounding"}), node, "task", diag_);
    if (v) spec_.task = v->get<std::string>();
  }

  // Makes PATH absolute against the base directory and checks that the file exists.
  std::optional<std::string> ResolvePath(const std::string& kind, const std::string& path,
                                         const YAML::Node& node, const std::string& field) {
    if (path.empty()) {
      diag_.Add(MarkOf(node), field, kind + " needs a file path after the colon");
      return std::nullopt;
    }
    fs::path p(path);
    if (p.is_relative()) {
      fs::path base = options_.base_dir.empty() ? fs::current_path() : fs::path(options_.base_dir);
      p = fs::absolute(base / p);
    }
    p = p.lexically_normal();
    std::error_code ec;
    if (!fs::exists(p, ec)) {
      diag_.Add(MarkOf(node), field, "file not found: " + p.string());
      return std::nullopt;
    }
    if (fs::is_directory(p, ec)) {
      diag_.Add(MarkOf(node), field, "is a directory, expected a file: " + p.string());
      return std::nullopt;
    }
    if (!fs::is_regular_file(p, ec)) {
      // A device or FIFO would block whoever reads it (the coordinator fingerprints it).
      diag_.Add(MarkOf(node), field,
                "is not a regular file (a device, FIFO or socket): " + p.string());
      return std::nullopt;
    }
    return p.string();
  }

  // Makes DIR absolute against the base directory and checks that it is a folder.
  std::optional<std::string> ResolveDirectory(const std::string& kind, const std::string& dir,
                                              const YAML::Node& node, const std::string& field) {
    if (dir.empty()) {
      diag_.Add(MarkOf(node), field, kind + " needs a folder path");
      return std::nullopt;
    }
    fs::path p(dir);
    if (p.is_relative()) {
      fs::path base = options_.base_dir.empty() ? fs::current_path() : fs::path(options_.base_dir);
      p = fs::absolute(base / p);
    }
    p = p.lexically_normal();
    if (!p.has_filename() && p.has_relative_path()) p = p.parent_path();  // "DIR/" -> "DIR"
    std::error_code ec;
    if (!fs::exists(p, ec)) {
      diag_.Add(MarkOf(node), field, "folder not found: " + p.string());
      return std::nullopt;
    }
    if (!fs::is_directory(p, ec)) {
      diag_.Add(MarkOf(node), field, "is not a folder: " + p.string());
      return std::nullopt;
    }
    return p.string();
  }

  void ParseDataset(const YAML::Node& node) {
    if (Missing(node, "dataset", true)) return;
    spec_.dataset_mark = MarkOf(node);
    if (node.IsMap()) {
      ParseDatasetMapping(node);
      return;
    }
    auto name = StringField(node, "dataset");
    if (name) SetDatasetSource(*name, node, "dataset");
  }

  // Resolves a dataset name (named, or SCHEME:PATH) into spec_.dataset; false on a problem.
  bool SetDatasetSource(std::string name, const YAML::Node& node, const std::string& field) {
    std::string serves;
    for (const auto& [known, task] : NamedDatasets()) {
      if (name == known) serves = task;
    }
    struct PathScheme {
      const char* prefix;
      const char* task;
      bool folder;
    };
    for (const PathScheme& scheme : {PathScheme{"coop-split:", "classification", false},
                                     PathScheme{"csv:", "classification", false},
                                     PathScheme{"imagefolder:", "classification", true},
                                     PathScheme{"refexp:", "grounding", false}}) {
      const std::string prefix = scheme.prefix;
      if (!StartsWith(name, prefix)) continue;
      const std::string kind = prefix.substr(0, prefix.size() - 1);
      const std::string rest = name.substr(prefix.size());
      auto path = scheme.folder ? ResolveDirectory(kind, rest, node, field)
                                : ResolvePath(kind, rest, node, field);
      if (!path) return false;
      name = prefix + *path;
      serves = scheme.task;
    }
    if (serves.empty()) {
      std::vector<std::string> candidates = {"coop-split:PATH", "refexp:PATH", "csv:PATH",
                                             "imagefolder:ROOT"};
      for (const auto& d : NamedDatasets()) candidates.push_back(d.first);
      diag_.Add(MarkOf(node), field,
                "unknown dataset \"" + name + "\"" + DidYouMean(name, candidates) +
                    "; known: fashion-mnist, fashion-mnist-shift, fashion-ref, "
                    "fashion-ref-shift, imagefolder:ROOT, csv:PATH, coop-split:PATH, refexp:PATH");
      return false;
    }
    if (!spec_.task.empty() && serves != spec_.task) {
      diag_.Add(MarkOf(node), field,
                "\"" + name + "\" is a " + serves + " dataset, but task is " + spec_.task);
      return false;
    }
    spec_.dataset = name;
    return true;
  }

  // Reports keys of `node` outside `known` (did-you-mean as for the root's keys).
  void UnknownKeys(const YAML::Node& node, const std::string& path,
                   const std::vector<std::string>& known) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key = it->first.IsScalar() ? it->first.Scalar() : "";
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        diag_.Add(MarkOf(it->first), ChildPath(path, key.empty() ? DescribeNode(it->first) : key),
                  "unknown field" + DidYouMean(key, known));
      }
    }
  }

  // `dataset: {source, image_root, proposals, eval}` (../shared/INTERFACES.md).
  void ParseDatasetMapping(const YAML::Node& node) {
    UnknownKeys(node, "dataset", {"source", "image_root", "proposals", "eval"});
    if (!node["source"].IsDefined()) {
      diag_.Add(MarkOf(node), "dataset.source",
                "missing required field (e.g. fashion-mnist, imagefolder:ROOT, csv:FILE, "
                "coop-split:FILE, refexp:FILE)");
      return;
    }
    auto source = StringField(node["source"], "dataset.source");
    if (!source || !SetDatasetSource(*source, node["source"], "dataset.source")) return;
    const std::string& d = spec_.dataset;
    const bool user = StartsWith(d, "coop-split:") || StartsWith(d, "csv:") ||
                      StartsWith(d, "imagefolder:") || StartsWith(d, "refexp:");
    datasets::DatasetOptions& options = spec_.dataset_options;
    if (const YAML::Node root = node["image_root"]; root.IsDefined()) {
      auto dir = StringField(root, "dataset.image_root");
      if (dir &&
          !(StartsWith(d, "coop-split:") || StartsWith(d, "csv:") || StartsWith(d, "refexp:"))) {
        diag_.Add(MarkOf(root), "dataset.image_root",
                  "is for csv:, coop-split: and refexp: sources" +
                      std::string(StartsWith(d, "imagefolder:")
                                      ? "; an image folder's images are under its ROOT"
                                      : "; \"" + d + "\" brings its own images"));
      } else if (dir) {
        if (auto path = ResolveDirectory("image_root", *dir, root, "dataset.image_root")) {
          options.image_root = *path;
        }
      }
    }
    if (const YAML::Node proposals = node["proposals"]; proposals.IsDefined()) {
      auto file = StringField(proposals, "dataset.proposals");
      if (file && !StartsWith(d, "refexp:")) {
        diag_.Add(MarkOf(proposals), "dataset.proposals",
                  "is for refexp: sources (grounding on your own images)");
      } else if (file) {
        if (auto path = ResolvePath("proposals", *file, proposals, "dataset.proposals")) {
          options.proposals = *path;
        }
      }
    }
    if (const YAML::Node eval = node["eval"]; eval.IsDefined()) ParseEval(eval, user);
  }

  // `eval: {split: S | [S, ...], size: all | N, domain: plain | shift}`. Users' split names
  // are checked against the manifest by the plan; builtin datasets have test and val.
  void ParseEval(const YAML::Node& node, bool user) {
    if (!node.IsMap()) {
      diag_.Add(MarkOf(node), "dataset.eval",
                "expected a mapping {split, size, domain}, got " + DescribeNode(node));
      return;
    }
    UnknownKeys(node, "dataset.eval", {"split", "size", "domain"});
    datasets::EvalOptions& eval = spec_.dataset_options.eval;
    if (const YAML::Node split = node["split"]; split.IsDefined()) {
      std::vector<std::pair<YAML::Node, std::string>> items;  // (node, field path)
      if (split.IsSequence()) {
        if (split.size() == 0) {
          diag_.Add(MarkOf(split), "dataset.eval.split", "an empty list; give at least one split");
        }
        for (size_t i = 0; i < split.size(); ++i) {
          items.emplace_back(split[i], IndexPath("dataset.eval.split", i));
        }
      } else {
        items.emplace_back(split, "dataset.eval.split");
      }
      for (const auto& [item, path] : items) {
        auto name = StringField(item, path);
        if (!name) continue;
        if (std::find(eval.splits.begin(), eval.splits.end(), *name) != eval.splits.end()) {
          diag_.Add(MarkOf(item), path, "the split \"" + *name + "\" is listed twice");
          continue;
        }
        if (!user && *name != "test" && *name != "val") {
          diag_.Add(MarkOf(item), path,
                    "unknown split \"" + *name + "\" for " + spec_.dataset +
                        DidYouMean(*name, {"test", "val"}) + "; known: test, val");
          continue;
        }
        eval.splits.push_back(*name);
      }
    }
    if (const YAML::Node size = node["size"]; size.IsDefined()) {
      const TypedScalar t = size.IsScalar() ? TypeScalar(size) : TypedScalar{};
      if (size.IsScalar() && t.kind == TypedScalar::Kind::kString && t.text == "all") {
        eval.size = datasets::kEvalSizeAll;
      } else if (size.IsScalar() && t.kind == TypedScalar::Kind::kInt && t.integer >= 1) {
        eval.size = t.integer;
      } else {
        diag_.Add(MarkOf(size), "dataset.eval.size",
                  "expected all or an integer >= 1 (items per split), got " + DescribeNode(size));
      }
    }
    if (const YAML::Node domain = node["domain"]; domain.IsDefined()) {
      auto v = ParseParamValue(EnumField("dataset.eval.domain", {"plain", "shift"}), domain,
                               "dataset.eval.domain", diag_);
      if (v && *v == "shift" && user) {
        diag_.Add(MarkOf(domain), "dataset.eval.domain",
                  "shift is the shifted rendering of the builtin datasets (fashion-mnist, "
                  "fashion-ref); \"" +
                      spec_.dataset + "\" has none");
      } else if (v && *v == "shift") {
        eval.domain = "shift";  // "plain" is the default and is left out
      }
    }
  }

  // `backbone: {source: clip:PATH, vocab: FILE, activation: quick_gelu | gelu}`: the same
  // backbone as the string clip:PATH with its options (backbone_ref.h).
  void ParseBackboneMapping(const YAML::Node& node) {
    static const std::vector<std::string> kKeys = {"source", "vocab", "activation"};
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key = it->first.IsScalar() ? it->first.Scalar() : "";
      if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end()) {
        diag_.Add(MarkOf(it->first), "backbone." + key, "unknown field" + DidYouMean(key, kKeys));
      }
    }
    if (!node["source"].IsDefined()) {
      diag_.Add(MarkOf(node), "backbone.source", "missing required field (e.g. clip:PATH)");
      return;
    }
    auto source = StringField(node["source"], "backbone.source");
    if (!source) return;
    if (!StartsWith(*source, "clip:")) {
      diag_.Add(MarkOf(node["source"]), "backbone.source",
                "the mapping form is for clip:PATH backbones; write other backbones as a string");
      return;
    }
    ClipBackboneRef ref;
    auto checkpoint = ResolvePath("clip", source->substr(5), node["source"], "backbone.source");
    if (!checkpoint) return;
    ref.checkpoint = *checkpoint;
    if (node["vocab"].IsDefined()) {
      auto vocab = StringField(node["vocab"], "backbone.vocab");
      if (!vocab) return;
      auto path = ResolvePath("vocab", *vocab, node["vocab"], "backbone.vocab");
      if (!path) return;
      ref.vocab = *path;
    }
    if (node["activation"].IsDefined()) {
      auto activation = StringField(node["activation"], "backbone.activation");
      if (!activation) return;
      if (*activation != "quick_gelu" && *activation != "gelu") {
        diag_.Add(MarkOf(node["activation"]), "backbone.activation",
                  "expected quick_gelu (OpenAI's models) or gelu (open_clip's own), got \"" +
                      *activation + "\"");
        return;
      }
      ref.quick_gelu = *activation == "quick_gelu";
    }
    SetClipBackbone(ref, node);
  }

  // Completes the vocabulary (beside the checkpoint by default) and stores the name.
  void SetClipBackbone(ClipBackboneRef ref, const YAML::Node& node) {
    std::string name = "clip:" + ref.checkpoint;
    if (!ref.vocab.empty()) name += "?vocab=" + ref.vocab;
    if (!ref.quick_gelu) name += std::string(ref.vocab.empty() ? "?" : "&") + "activation=gelu";
    auto parsed = ParseClipBackbone(name);
    if (!parsed.ok()) {
      diag_.Add(MarkOf(node), "backbone", parsed.status().message());
      return;
    }
    if (auto vocab = ResolvePath("vocab", parsed->vocab, node, "backbone.vocab")) {
      parsed->vocab = *vocab;
      spec_.backbone = ClipBackboneName(*parsed);
    }
  }

  void ParseBackbone(const YAML::Node& node) {
    spec_.backbone = "builtin:tiny-clip";
    if (Missing(node, "backbone", false)) return;
    if (node.IsMap()) {
      ParseBackboneMapping(node);
      return;
    }
    auto name = StringField(node, "backbone");
    if (!name) return;
    if (StartsWith(*name, "clip:")) {
      if (name->find('?') != std::string::npos) {
        diag_.Add(MarkOf(node), "backbone",
                  "write options as a mapping: backbone: {source: clip:PATH, vocab: FILE}");
        return;
      }
      if (auto checkpoint = ResolvePath("clip", name->substr(5), node, "backbone")) {
        ClipBackboneRef ref;
        ref.checkpoint = *checkpoint;
        SetClipBackbone(ref, node);
      }
      return;
    }
    if (*name == "builtin:tiny-clip" || *name == "builtin:tiny-fusion") {
      spec_.backbone = *name;
      return;
    }
    if (StartsWith(*name, "torchscript:")) {
      if (auto path = ResolvePath("torchscript", name->substr(12), node, "backbone")) {
        spec_.backbone = "torchscript:" + *path;
      }
      return;
    }
    diag_.Add(MarkOf(node), "backbone",
              "unknown backbone \"" + *name + "\"" +
                  DidYouMean(*name, {"builtin:tiny-clip", "builtin:tiny-fusion", "torchscript:PATH",
                                     "clip:PATH"}) +
                  "; known: builtin:tiny-clip, builtin:tiny-fusion, torchscript:PATH, clip:PATH");
  }

  void ParseShots(const YAML::Node& node) {
    if (Missing(node, "shots", true)) return;
    spec_.shots_mark = MarkOf(node);
    if (auto shots = IntList(node, "shots", 0, 100000)) spec_.shots = *shots;
  }

  void ParseShotUnit(const YAML::Node& node) {
    spec_.shot_unit = spec_.task == "grounding" ? "total" : "per_class";
    if (Missing(node, "shot_unit", false)) return;
    auto v =
        ParseParamValue(EnumField("shot_unit", {"per_class", "total"}), node, "shot_unit", diag_);
    if (v) spec_.shot_unit = v->get<std::string>();
  }

  // A mapping whose keys must be among `known`; reports the others. False if not a mapping.
  bool CheckMapping(const YAML::Node& node, const std::string& path,
                    const std::vector<std::string>& known) {
    if (!node.IsMap()) {
      diag_.Add(MarkOf(node), path, "expected a mapping, got " + DescribeNode(node));
      return false;
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key = it->first.IsScalar() ? it->first.Scalar() : "";
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        diag_.Add(MarkOf(it->first), ChildPath(path, key),
                  "unknown field" + DidYouMean(key, known));
      }
    }
    return true;
  }

  void ParseReplicates(const YAML::Node& node) {
    spec_.data_seeds = {1};
    spec_.train_seeds = {1};
    if (Missing(node, "replicates", false)) return;
    if (!CheckMapping(node, "replicates", {"backbone_seeds", "data_seeds", "train_seeds"})) {
      return;
    }
    const double kMaxSeed = 4294967295.0;
    if (const YAML::Node seeds = node["backbone_seeds"]; seeds.IsDefined()) {
      if (!IsBuiltinBackbone(spec_.backbone)) {
        diag_.Add(MarkOf(seeds), "replicates.backbone_seeds",
                  "backbone seeds are pretraining runs of a builtin backbone (builtin:tiny-clip, "
                  "builtin:tiny-fusion); " +
                      BackboneKeyName(spec_.backbone) +
                      " backbones are the weights of a file: remove backbone_seeds");
      } else if (auto v = IntList(seeds, "replicates.backbone_seeds", 0, kMaxSeed)) {
        spec_.backbone_seeds = *v;
      }
    }
    if (node["data_seeds"]) {
      if (auto v = IntList(node["data_seeds"], "replicates.data_seeds", 0, kMaxSeed)) {
        spec_.data_seeds = *v;
      }
    }
    if (node["train_seeds"]) {
      if (auto v = IntList(node["train_seeds"], "replicates.train_seeds", 0, kMaxSeed)) {
        spec_.train_seeds = *v;
      }
    }
  }

  void ParseSearch(const YAML::Node& node) {
    if (Missing(node, "search", false)) return;
    if (!CheckMapping(node, "search", {"mode", "samples", "seed", "n_startup", "scheduler"})) {
      return;
    }
    if (node["mode"]) {
      auto v = ParseParamValue(EnumField("search.mode", {"grid", "random", "tpe"}), node["mode"],
                               "search.mode", diag_);
      if (v) {
        spec_.search_mode = *v == "random" ? SearchMode::kRandom
                            : *v == "tpe"  ? SearchMode::kTpe
                                           : SearchMode::kGrid;
      }
    }
    if (auto v = OptionalInt(node["samples"], "search.samples", 1, 1000000)) {
      spec_.samples = *v;
    } else if (spec_.search_mode != SearchMode::kGrid && !node["samples"]) {
      diag_.Add(MarkOf(node), "search.samples",
                std::string("required when search.mode is ") +
                    (spec_.search_mode == SearchMode::kTpe ? "tpe" : "random"));
    }
    if (auto v = OptionalInt(node["seed"], "search.seed", 0, 9007199254740991.0)) {
      spec_.search_seed = static_cast<uint64_t>(*v);
    }
    if (auto v = OptionalInt(node["n_startup"], "search.n_startup", 1, 1000000)) {
      if (spec_.search_mode != SearchMode::kTpe) {
        diag_.Add(MarkOf(node["n_startup"]), "search.n_startup", "is for search.mode tpe");
      }
      spec_.n_startup = *v;
    }
    if (node["scheduler"]) ParseScheduler(node["scheduler"]);
  }

  // `scheduler: {name: asha, resource: epochs, min: R_MIN, max: R_MAX, eta: 3}`.
  void ParseScheduler(const YAML::Node& node) {
    const std::string path = "search.scheduler";
    if (!CheckMapping(node, path, {"name", "resource", "min", "max", "eta"})) return;
    SchedulerSpec& s = spec_.scheduler;
    s.mark = MarkOf(node);
    if (!node["name"]) {
      diag_.Add(MarkOf(node), path + ".name", "missing required field (asha)");
      return;
    }
    if (!ParseParamValue(EnumField(path + ".name", {"asha"}), node["name"], path + ".name",
                         diag_)) {
      return;
    }
    if (node["resource"]) {
      ParseParamValue(EnumField(path + ".resource", {"epochs"}), node["resource"],
                      path + ".resource", diag_);
    }
    bool ok = true;
    if (auto v = OptionalInt(node["min"], path + ".min", 1, 100000)) s.min = *v;
    if (!node["max"]) {
      diag_.Add(MarkOf(node), path + ".max",
                "missing required field: the epochs of a full run (it replaces the methods' "
                "epochs)");
      ok = false;
    } else if (auto v = OptionalInt(node["max"], path + ".max", 1, 100000)) {
      s.max = *v;
    } else {
      ok = false;
    }
    if (auto v = OptionalInt(node["eta"], path + ".eta", 2, 1000)) s.eta = *v;
    if (ok && s.min >= s.max) {
      diag_.Add(MarkOf(node["min"] ? node["min"] : node), path + ".min",
                "must be below max (" + std::to_string(s.max) +
                    "): the first rung stops configurations before the full run");
      ok = false;
    }
    s.asha = ok;
  }

  // `objective: {metric: M, mode: max | min}`; the default (docs/sweeps.md, "Search").
  void ParseObjective(const YAML::Node& node) {
    ObjectiveSpec& o = spec_.objective;
    const auto& splits = spec_.dataset_options.eval.splits;
    const bool val_first = !splits.empty() && splits.front() == "val";
    o.metric = val_first ? "accuracy/val" : "accuracy";
    if (!Missing(node, "objective", false) && CheckMapping(node, "objective", {"metric", "mode"})) {
      if (node["metric"]) {
        if (auto m = StringField(node["metric"], "objective.metric")) {
          if (m->empty()) {
            diag_.Add(MarkOf(node["metric"]), "objective.metric", "an empty metric name");
          } else {
            o.metric = *m;
            o.is_default = false;
          }
        }
      }
      if (node["mode"]) {
        auto v = ParseParamValue(EnumField("objective.mode", {"max", "min"}), node["mode"],
                                 "objective.mode", diag_);
        if (v) o.maximize = *v == "max";
      }
    }
    const bool searching = spec_.search_mode == SearchMode::kTpe || spec_.scheduler.asha;
    if (searching && o.is_default && !val_first) {
      spec_.warnings.push_back(
          diag_.origin() + ": objective: the search optimises \"accuracy\" on the dataset's " +
          (splits.empty() ? std::string("test") : splits.front()) +
          " split: it is tuning on the data it reports; evaluate a validation split first "
          "(dataset: {eval: {split: [val, test]}}) to optimise accuracy/val");
    }
  }

  // With ASHA, `max` is every trained method's epochs: a file that sets epochs as well is
  // contradicting itself.
  void CheckSchedulerEpochs() {
    if (!spec_.scheduler.asha) return;
    for (const MethodSpec& m : spec_.methods) {
      auto it = m.params.find("epochs");
      if (it == m.params.end() || it->second.is_default) continue;
      diag_.Add(it->second.mark, "methods[" + std::to_string(m.index) + "].epochs",
                "search.scheduler.max (" + std::to_string(spec_.scheduler.max) +
                    ") replaces the epochs of every method that trains; remove epochs here");
    }
  }

  void ParseResources(const YAML::Node& node) {
    if (Missing(node, "resources", false)) return;
    if (!CheckMapping(node, "resources", {"ranks"})) return;
    if (auto v = OptionalInt(node["ranks"], "resources.ranks", 1, 4096)) spec_.ranks = *v;
  }

  void ParsePrecision(const YAML::Node& node) {
    if (Missing(node, "precision", false)) return;
    auto v =
        ParseParamValue(EnumField("precision", {"fp32", "bf16", "fp16"}), node, "precision", diag_);
    if (v) spec_.precision = v->get<std::string>();
  }

  void ParseRerun(const YAML::Node& node) {
    if (Missing(node, "rerun", false)) return;
    ParamDef def;
    def.type = ParamType::kBool;
    if (auto v = ParseParamValue(def, node, "rerun", diag_)) spec_.rerun = v->get<bool>();
  }

  // `timeout: DURATION | none` (duration.h): how long a trial may go without a step.
  void ParseTimeout(const YAML::Node& node) {
    if (Missing(node, "timeout", false)) return;
    if (!node.IsScalar()) {
      diag_.Add(MarkOf(node), "timeout",
                "expected a duration such as 30m, got " + DescribeNode(node));
      return;
    }
    auto ms = ParseTimeoutMs(node.Scalar());
    if (!ms.ok()) {
      diag_.Add(MarkOf(node), "timeout", ms.status().message());
      return;
    }
    spec_.timeout_ms = *ms;
  }

  void ParseMethods(const YAML::Node& node) {
    if (Missing(node, "methods", true)) return;
    if (!node.IsSequence()) {
      diag_.Add(MarkOf(node), "methods", "expected a list of methods, got " + DescribeNode(node));
      return;
    }
    if (node.size() == 0) {
      diag_.Add(MarkOf(node), "methods", "an empty list; give at least one method");
      return;
    }
    for (size_t i = 0; i < node.size(); ++i) ParseMethod(node[i], static_cast<int>(i));
  }

  static std::vector<std::string> MethodNames() {
    std::vector<std::string> names;
    for (const auto& m : MethodCatalog()) names.push_back(m.name);
    return names;
  }

  static std::string JoinStrings(const std::vector<std::string>& v) {
    std::string out;
    for (size_t i = 0; i < v.size(); ++i) out += (i > 0 ? ", " : "") + v[i];
    return out;
  }

  void ParseMethod(const YAML::Node& node, int index) {
    const std::string path = IndexPath("methods", static_cast<size_t>(index));
    // "- zero-shot" (a bare name) is the method with all its defaults.
    const YAML::Node name_node = node.IsMap() ? node["name"] : node;
    if (node.IsMap()) {
      if (!name_node) {
        diag_.Add(MarkOf(node), path + ".name",
                  "missing method name; one of " + JoinStrings(MethodNames()));
        return;
      }
    } else if (!node.IsScalar()) {
      diag_.Add(MarkOf(node), path,
                "expected a method (a mapping with name and parameters, or a name), got " +
                    DescribeNode(node));
      return;
    }
    const std::string name_path = node.IsMap() ? path + ".name" : path;
    auto name = StringField(name_node, name_path);
    if (!name) return;
    const MethodDef* def = FindMethod(*name);
    if (def == nullptr) {
      diag_.Add(MarkOf(name_node), name_path,
                "unknown method \"" + *name + "\"" + DidYouMean(*name, MethodNames()) +
                    "; known: " + JoinStrings(MethodNames()));
      return;
    }
    if (!spec_.task.empty() &&
        std::find(def->tasks.begin(), def->tasks.end(), spec_.task) == def->tasks.end()) {
      diag_.Add(MarkOf(name_node), name_path,
                "method " + def->name + " is for " + JoinStrings(def->tasks) + ", not for task " +
                    spec_.task);
    }
    MethodSpec method;
    method.name = def->name;
    method.index = index;
    method.mark = MarkOf(node);
    std::vector<std::string> param_names;
    for (const auto& p : def->params) param_names.push_back(p.name);
    bool ok = true;
    if (node.IsMap()) {
      for (auto it = node.begin(); it != node.end(); ++it) {
        const std::string key = it->first.IsScalar() ? it->first.Scalar() : "";
        if (key == "name") continue;
        const std::string param_path = ChildPath(path, key);
        const ParamDef* param = nullptr;
        for (const auto& p : def->params) {
          if (p.name == key) param = &p;
        }
        if (param == nullptr) {
          diag_.Add(MarkOf(it->first), param_path,
                    "unknown parameter of " + def->name + DidYouMean(key, param_names) +
                        OtherMethodHint(key) + "; its parameters: " + JoinStrings(param_names));
          ok = false;
          continue;
        }
        if (method.params.count(key) > 0) continue;  // a duplicate key, reported already
        auto setting = ParseParamSetting(*param, it->second, param_path, diag_);
        if (!setting) {
          ok = false;
          continue;
        }
        method.params[key] = std::move(*setting);
      }
    }
    for (const auto& p : def->params) {
      if (method.params.count(p.name) == 0) method.params[p.name] = DefaultSetting(p, spec_.shots);
    }
    if (!ok) return;
    CheckMethod(*def, method, path);
    spec_.methods.push_back(std::move(method));
  }

  // " (ctx_len is a parameter of coop)" when another method has a parameter of that name.
  static std::string OtherMethodHint(const std::string& key) {
    std::vector<std::string> owners;
    for (const auto& m : MethodCatalog()) {
      for (const auto& p : m.params) {
        if (p.name == key) owners.push_back(m.name);
      }
    }
    if (owners.empty()) return "";
    return " (" + key + " is a parameter of " + JoinStrings(owners) + ")";
  }

  // The largest epochs value the cpt setting can take (0 = never trains).
  static double MaxEpochs(const ParamSetting& s) {
    double max = 0;
    for (const auto& v : s.values) max = std::max(max, v.get<double>());
    for (const auto& [shots, v] : s.per_shot) max = std::max(max, v.get<double>());
    if (s.kind == ParamSetting::Kind::kDistribution &&
        s.distribution != DistributionKind::kChoice) {
      max = std::max(max, s.high);
    }
    return max;
  }

  // Checks that need the whole method: per-shot maps, colour vs palette, shots to train at.
  void CheckMethod(const MethodDef& def, MethodSpec& method, const std::string& path) {
    bool trains = def.trains;
    if (def.name == "cpt") {
      ParamSetting& epochs = method.params["epochs"];
      trains = MaxEpochs(epochs) > 0 || epochs.kind == ParamSetting::Kind::kPerShot;
      for (const auto& [shots, v] : epochs.per_shot) {
        if (v.get<int64_t>() == 0) {
          diag_.Add(epochs.mark, path + ".epochs[" + std::to_string(shots) + "]",
                    "per-shot epochs must be > 0 (epochs: 0 is zero-shot CPT, which runs at "
                    "shots 0 only)");
        }
      }
      ParamSetting& palette = method.params["palette"];
      ParamSetting& color = method.params["color"];
      if (!palette.is_default) {
        if (!color.is_default) {
          diag_.Add(palette.mark, path + ".palette",
                    "set color or palette, not both (line " + std::to_string(color.mark.line) +
                        " sets color)");
        }
        color = ParamSetting{};
        color.values.push_back(nullptr);
        color.is_default = true;
      }
    }
    std::vector<int64_t> training_shots;
    for (int64_t k : spec_.shots) {
      if (k >= 1) training_shots.push_back(k);
    }
    for (const auto& [name, setting] : method.params) {
      if (setting.kind != ParamSetting::Kind::kPerShot) continue;
      const std::string param_path = ChildPath(path, name);
      if (!trains) {
        diag_.Add(setting.mark, param_path,
                  "a per-shot map needs a method that trains; " + def.name +
                      (def.name == "cpt" ? " with epochs 0" : "") + " runs once at shots 0");
        continue;
      }
      std::vector<int64_t> missing;
      for (int64_t k : training_shots) {
        if (setting.per_shot.count(k) == 0) missing.push_back(k);
      }
      if (!missing.empty()) {
        std::vector<int64_t> has;
        for (const auto& [k, v] : setting.per_shot) has.push_back(k);
        diag_.Add(
            setting.mark, param_path,
            "no value for shots " + JoinInts(missing) + " (the map has " + JoinInts(has) + ")");
      }
    }
    if (trains && !spec_.shots.empty() && training_shots.empty()) {
      diag_.Add(method.mark, path,
                def.name + " trains, but shots has no count >= 1 to train at (shots: " +
                    JoinInts(spec_.shots) + ")");
    }
  }

  Diagnostics diag_;
  ParseOptions options_;
  SweepSpec spec_;
  SourceMark root_mark_;
};

}  // namespace

Result<SweepSpec> ParseSweep(const std::string& yaml_text, const std::string& origin,
                             const ParseOptions& options) {
  SpecParser parser(origin, options);
  return parser.Parse(yaml_text);
}

Result<SweepSpec> ParseSweepFile(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return NotFound(path + ": sweep file not found");
  if (fs::is_directory(path, ec)) return InvalidArgument(path + ": is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError(path + ": cannot read the sweep file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return IoError(path + ": error while reading the sweep file");
  ParseOptions options;
  options.base_dir = fs::absolute(fs::path(path)).parent_path().string();
  return ParseSweep(text.str(), path, options);
}

}  // namespace chromatune
