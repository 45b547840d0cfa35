#include "experiments/sweep/method_catalog.h"

#include <sstream>

#include "experiments/sweep/colors.h"

namespace chromatune {
namespace {

// CLIP's 7 ImageNet templates (the selection of CLIP's prompt-engineering notebook, also
// CoOp's ensemble baseline).
const std::vector<std::string>& Clip7() {
  static const std::vector<std::string> kTemplates = {
      "itap of a {}.",
      "a bad photo of the {}.",
      "a origami {}.",
      "a photo of the large {}.",
      "a {} in a video game.",
      "art of the {}.",
      "a photo of the small {}.",
  };
  return kTemplates;
}

// CLIP's 80 ImageNet templates (CLIP's prompt-engineering notebook), the full ensemble of
// CLIP's zero-shot ImageNet result.
const std::vector<std::string>& Clip80() {
  static const std::vector<std::string> kTemplates = {
      "a bad photo of a {}.",
      "a photo of many {}.",
      "a sculpture of a {}.",
      "a photo of the hard to see {}.",
      "a low resolution photo of the {}.",
      "a rendering of a {}.",
      "graffiti of a {}.",
      "a bad photo of the {}.",
      "a cropped photo of the {}.",
      "a tattoo of a {}.",
      "the embroidered {}.",
      "a photo of a hard to see {}.",
      "a bright photo of a {}.",
      "a photo of a clean {}.",
      "a photo of a dirty {}.",
      "a dark photo of the {}.",
      "a drawing of a {}.",
      "a photo of my {}.",
      "the plastic {}.",
      "a photo of the cool {}.",
      "a close-up photo of a {}.",
      "a black and white photo of the {}.",
      "a painting of the {}.",
      "a painting of a {}.",
      "a pixelated photo of the {}.",
      "a sculpture of the {}.",
      "a bright photo of the {}.",
      "a cropped photo of a {}.",
      "a plastic {}.",
      "a photo of the dirty {}.",
      "a jpeg corrupted photo of a {}.",
      "a blurry photo of the {}.",
      "a photo of the {}.",
      "a good photo of the {}.",
      "a rendering of the {}.",
      "a {} in a video game.",
      "a photo of one {}.",
      "a doodle of a {}.",
      "a close-up photo of the {}.",
      "a photo of a {}.",
      "the origami {}.",
      "the {} in a video game.",
      "a sketch of a {}.",
      "a doodle of the {}.",
      "a origami {}.",
      "a low resolution photo of a {}.",
      "the toy {}.",
      "a rendition of the {}.",
      "a photo of the clean {}.",
      "a photo of a large {}.",
      "a rendition of a {}.",
      "a photo of a nice {}.",
      "a photo of a weird {}.",
      "a blurry photo of a {}.",
      "a cartoon {}.",
      "art of a {}.",
      "a sketch of the {}.",
      "a embroidered {}.",
      "a pixelated photo of a {}.",
      "itap of the {}.",
      "a jpeg corrupted photo of the {}.",
      "a good photo of a {}.",
      "a plushie {}.",
      "a photo of the nice {}.",
      "a photo of the small {}.",
      "a photo of the weird {}.",
      "the cartoon {}.",
      "art of the {}.",
      "a drawing of the {}.",
      "a photo of the large {}.",
      "a black and white photo of a {}.",
      "the plushie {}.",
      "a dark photo of a {}.",
      "itap of a {}.",
      "graffiti of the {}.",
      "a toy {}.",
      "itap of my {}.",
      "a photo of a cool {}.",
      "a photo of a small {}.",
      "a tattoo of the {}.",
  };
  return kTemplates;
}

constexpr double kMaxLr = 100.0;
constexpr double kMaxEpochs = 100000;
constexpr double kMaxBatch = 65536;

ParamDef Int(std::string name, int64_t def, double min, double max, std::string doc) {
  ParamDef p;
  p.name = std::move(name);
  p.type = ParamType::kInt;
  p.default_value = def;
  p.min = min;
  p.max = max;
  p.doc = std::move(doc);
  return p;
}

ParamDef Float(std::string name, double def, double min, double max, bool exclusive_min,
               std::string doc) {
  ParamDef p;
  p.name = std::move(name);
  p.type = ParamType::kFloat;
  p.default_value = def;
  p.min = min;
  p.max = max;
  p.exclusive_min = exclusive_min;
  p.doc = std::move(doc);
  return p;
}

ParamDef Bool(std::string name, bool def, std::string doc) {
  ParamDef p;
  p.name = std::move(name);
  p.type = ParamType::kBool;
  p.default_value = def;
  p.doc = std::move(doc);
  return p;
}

ParamDef Enum(std::string name, std::vector<std::string> choices, std::string def,
              std::string doc) {
  ParamDef p;
  p.name = std::move(name);
  p.type = ParamType::kEnum;
  p.default_value = std::move(def);
  p.choices = std::move(choices);
  p.doc = std::move(doc);
  return p;
}

ParamDef Text(std::string name, std::string def, std::vector<std::string> placeholders,
              std::string doc) {
  ParamDef p;
  p.name = std::move(name);
  p.type = ParamType::kString;
  p.default_value = std::move(def);
  p.placeholders = std::move(placeholders);
  p.doc = std::move(doc);
  return p;
}

ParamDef Color(std::string name, const nlohmann::json& def, std::string doc) {
  ParamDef p;
  p.name = std::move(name);
  p.type = ParamType::kColor;
  p.default_value = def;
  p.doc = std::move(doc);
  return p;
}

// The optimisation parameters every method that trains reads (experiments/methods
// TrainParams), with that method's defaults. epochs < 0 means CoOp's schedule by shot count.
struct TrainingDefaults {
  double lr = 0.002;
  int64_t epochs = -1;
  int64_t epochs_min = 1;
  int64_t batch_size = 32;
  std::string optimizer = "sgd";
  double weight_decay = 5e-4;
  // CoOp's warm-up: this many epochs at the constant warmup_lr before the schedule starts
  // (the schedule keeps counting from epoch 0, as Dassl's ConstantWarmupScheduler does).
  // -1: the method has no warm-up parameters at all (their keys stay what they were).
  int64_t warmup_epochs = -1;
};

void AddTraining(std::vector<ParamDef>& params, const TrainingDefaults& d) {
  params.push_back(Float("lr", d.lr, 0.0, kMaxLr, true, "learning rate"));
  ParamDef epochs = Int("epochs", d.epochs, static_cast<double>(d.epochs_min), kMaxEpochs,
                        "passes over the support set");
  if (d.epochs < 0) {
    epochs.default_value = nullptr;
    epochs.per_shot_default = &CoopEpochSchedule;
  }
  params.push_back(epochs);
  params.push_back(Int("batch_size", d.batch_size, 1, kMaxBatch, "examples per optimiser step"));
  params.push_back(Enum("optimizer", {"sgd", "adamw"}, d.optimizer, "optimiser"));
  params.push_back(Enum("schedule", {"cosine", "constant"}, "cosine", "learning-rate schedule"));
  params.push_back(Float("momentum", 0.9, 0.0, 1.0, false, "SGD momentum"));
  params.push_back(Float("weight_decay", d.weight_decay, 0.0, 1000.0, false, "L2 penalty"));
  if (d.warmup_epochs >= 0) {
    params.push_back(Int("warmup_epochs", d.warmup_epochs, 0, kMaxEpochs,
                         "first epochs at the constant warmup_lr, before the schedule"));
    params.push_back(Float("warmup_lr", 1e-5, 0.0, kMaxLr, true, "learning rate of the warm-up"));
  }
}

std::vector<MethodDef> BuildCatalog() {
  const std::vector<std::string> kClassification = {"classification"};
  const std::vector<std::string> kGrounding = {"grounding"};
  const std::vector<std::string> kBoth = {"classification", "grounding"};
  std::vector<MethodDef> methods;

  methods.push_back({"zero-shot",
                     false,
                     kClassification,
                     {Text("template", "a photo of a {}.", {"{}"},
                           "hand prompt; {} is replaced by the class name")},
                     "CLIP zero-shot with one hand prompt"});

  ParamDef templates;
  templates.name = "templates";
  templates.type = ParamType::kTemplates;
  templates.default_value = Clip7();
  templates.placeholders = {"{}"};
  templates.doc = "builtin:clip-7, builtin:clip-80 or a list of templates, each with one {}";
  methods.push_back({"ensemble",
                     false,
                     kClassification,
                     {templates},
                     "CLIP prompt ensemble: mean of normalised text embeddings"});

  MethodDef coop{"coop", true, kClassification, {}, "CoOp: learned context vectors in the text"};
  coop.params = {
      Int("ctx_len", 16, 1, 64, "M, the number of learned context vectors"),
      Enum("class_position", {"end", "middle", "front"}, "end", "where the class token goes"),
      Bool("csc", false, "class-specific context (true) or one unified context (false)"),
      Text("init", "", {}, "phrase whose word embeddings initialise the context; \"\" = random")};
  TrainingDefaults coop_training;
  coop_training.warmup_epochs = 1;  // CoOp's published recipe: one epoch at lr 1e-5
  AddTraining(coop.params, coop_training);
  methods.push_back(coop);

  MethodDef vpt{"vpt", true, kClassification, {}, "VPT: learned visual prompt tokens"};
  vpt.params = {Int("tokens", 8, 1, 256, "L, learned visual tokens"),
                Bool("deep", false, "tokens at every image-tower block (true) or the input")};
  TrainingDefaults vpt_training;
  vpt_training.lr = 0.01;
  AddTraining(vpt.params, vpt_training);
  methods.push_back(vpt);

  MethodDef pad{"pad-prompt", true, kClassification, {}, "visual prompting: a pixel border"};
  pad.params = {Int("width", 4, 1, 64, "P, the learned pixel border width")};
  TrainingDefaults pad_training;
  pad_training.lr = 1.0;  // pixel prompts need large steps (Bahng et al.: SGD, lr 40)
  pad_training.weight_decay = 0.0;
  AddTraining(pad.params, pad_training);
  methods.push_back(pad);

  const SweepColor cpt_red = *FindSweepColor("cpt-red");
  ParamDef palette;
  palette.name = "palette";
  palette.type = ParamType::kPalette;
  palette.default_value = nullptr;
  palette.doc = "colour set for multi-colour rendering: a name or a list of colours";
  MethodDef cpt{"cpt", false, kGrounding, {}, "CPT: colour-based prompt tuning"};
  cpt.params = {
      Color("color", ColorJson(cpt_red.word, cpt_red.rgb),
            "marker colour: a name or [r, g, b] (null when palette is set)"),
      palette, Float("alpha", 127.0 / 255.0, 0.0, 1.0, false, "marker opacity in [0, 1]"),
      Enum("marker", {"block", "mask"}, "block", "filled box (block) or segment mask (mask)"),
      Text("template", "{query} is in [MASK] color.", {"{query}", "[MASK]"},
           "prompt with one {query} and one [MASK]")};
  TrainingDefaults cpt_training;
  cpt_training.epochs = 0;  // zero-shot unless the file says otherwise
  cpt_training.epochs_min = 0;
  AddTraining(cpt.params, cpt_training);
  methods.push_back(cpt);

  methods.push_back(
      {"red-circle",
       false,
       kGrounding,
       {Int("thickness", 2, 1, 64, "ellipse outline width in pixels"),
        Color("color", ColorJson("red", {255, 0, 0}), "outline colour"),
        Text("template", "a photo of {query}.", {"{query}"}, "prompt with one {query}")},
       "an ellipse drawn around each proposal"});

  MethodDef probe{"linear-probe", true, kClassification, {}, "a linear head on frozen features"};
  TrainingDefaults probe_training;
  probe_training.lr = 0.01;
  probe_training.epochs = 200;
  probe_training.batch_size = 256;
  probe_training.optimizer = "adamw";
  probe_training.weight_decay = 1e-4;
  AddTraining(probe.params, probe_training);
  methods.push_back(probe);

  MethodDef finetune{"finetune", true, kBoth, {}, "fine-tuning the backbone plus a head"};
  finetune.params = {
      Int("last_k_blocks", 0, 0, 1000, "train only the last k blocks of each tower; 0 = all"),
      Enum("head", {"text", "random"}, "text",
           "text: initialised from the class text embeddings (zero-shot head); random")};
  TrainingDefaults finetune_training;
  finetune_training.lr = 1e-4;
  finetune_training.optimizer = "adamw";
  finetune_training.weight_decay = 0.01;
  AddTraining(finetune.params, finetune_training);
  methods.push_back(finetune);

  methods.push_back(
      {"noop",
       true,
       kBoth,
       {Int("sleep_ms", 0, 0, 86400000, "how long the trial sleeps"),
        Float("value", 0.5, -1e12, 1e12, false, "the accuracy it reports"),
        Int("epochs", 1, 1, 100000, "epochs of its curve; sleep_ms is spread over them"),
        Float("rate", 0.0, 0.0, 1000.0, false,
              "its curve: accuracy value*(1-exp(-rate*e)) after epoch e; 0: value throughout"),
        Enum("fail", {"none", "error", "throw", "segfault", "hang"}, "none",
             "for fault tests: how the trial fails (none: it succeeds; hang: it stops making "
             "progress, deaf to cancellation)"),
        Int("array_size", 0, 0, 16777216,
            "for fault tests: the trial also reports a float array \"noop_values\" of this "
            "many elements, stored in HDF5 (0: none)")},
       "a method that trains nothing but is planned like one (load and fault tests)"});
  return methods;
}

}  // namespace

int64_t CoopEpochSchedule(int64_t shots) {
  if (shots <= 1) return 50;
  if (shots <= 4) return 100;
  return 200;
}

const std::vector<MethodDef>& MethodCatalog() {
  static const std::vector<MethodDef> kCatalog = BuildCatalog();
  return kCatalog;
}

bool InRange(const ParamDef& def, double v) {
  if (def.exclusive_min ? !(v > def.min) : !(v >= def.min)) return false;
  return v <= def.max;
}

std::string RangeText(const ParamDef& def) {
  auto number = [](double v) {
    std::ostringstream out;
    out << v;
    return out.str();
  };
  return "must be " + std::string(def.exclusive_min ? "> " : ">= ") + number(def.min) +
         " and <= " + number(def.max);
}

const MethodDef* FindMethod(const std::string& name) {
  for (const auto& m : MethodCatalog()) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

const std::vector<std::string>* FindBuiltinTemplates(const std::string& name) {
  if (name == "builtin:clip-7") return &Clip7();
  if (name == "builtin:clip-80") return &Clip80();
  return nullptr;
}

std::vector<std::string> BuiltinTemplateNames() { return {"builtin:clip-7", "builtin:clip-80"}; }

nlohmann::json WithDefaults(const MethodDef& method, const nlohmann::json& params, int64_t shots) {
  if (!params.is_object()) return params;
  nlohmann::json full = params;
  for (const ParamDef& p : method.params) {
    if (full.contains(p.name)) continue;
    full[p.name] =
        p.per_shot_default != nullptr ? nlohmann::json(p.per_shot_default(shots)) : p.default_value;
  }
  return full;
}

int64_t MethodDefaultTimeoutMs(const std::string& method) {
  constexpr int64_t kMinute = 60 * 1000;
  if (method == "noop") return 10 * kMinute;
  // Whole-backbone epochs are the slowest steps there are.
  if (method == "finetune") return 120 * kMinute;
  return 60 * kMinute;
}

bool SettingTrains(const MethodDef& method, const nlohmann::json& params) {
  if (method.name == "cpt") {
    auto it = params.find("epochs");
    return it != params.end() && it->is_number_integer() && it->get<int64_t>() > 0;
  }
  return method.trains;
}

}  // namespace chromatune
