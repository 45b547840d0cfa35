#include "experiments/sweep/method_catalog.h"

#include "experiments/sweep/colors.h"

namespace chromatune {
namespace {

// CLIP's 7 ImageNet templates (the selection of CLIP's prompt-engineering notebook, also
// CoOp's ensemble baseline).
const std::vector<std::string>& Clip7() {
  static const std::vector<std::string> kTemplates = {
      "itap of a {}.",          "a bad photo of the {}.", "a origami {}.",
      "a photo of the large {}.", "a {} in a video game.", "art of the {}.",
      "a photo of the small {}.",
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

ParamDef Lr(double def) {
  return Float("lr", def, 0.0, kMaxLr, true, "learning rate (> 0)");
}

ParamDef Epochs(int64_t def, int64_t min) {
  return Int("epochs", def, static_cast<double>(min), kMaxEpochs, "passes over the support set");
}

ParamDef Batch() { return Int("batch_size", 32, 1, kMaxBatch, "examples per optimiser step"); }

ParamDef Bool(std::string name, bool def, std::string doc) {
  ParamDef p;
  p.name = std::move(name);
  p.type = ParamType::kBool;
  p.default_value = def;
  p.doc = std::move(doc);
  return p;
}

ParamDef Enum(std::string name, std::vector<std::string> choices, std::string doc) {
  ParamDef p;
  p.name = std::move(name);
  p.type = ParamType::kEnum;
  p.default_value = choices.front();
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

std::vector<MethodDef> BuildCatalog() {
  const std::vector<std::string> kClassification = {"classification"};
  const std::vector<std::string> kGrounding = {"grounding"};
  const std::vector<std::string> kBoth = {"classification", "grounding"};
  std::vector<MethodDef> methods;

  methods.push_back({"zero-shot", false, kClassification,
                     {Text("template", "a photo of a {}.", {"{}"},
                           "hand prompt; {} is replaced by the class name")},
                     "CLIP zero-shot with one hand prompt"});

  ParamDef templates;
  templates.name = "templates";
  templates.type = ParamType::kTemplates;
  templates.default_value = Clip7();
  templates.placeholders = {"{}"};
  templates.doc = "builtin:clip-7 or a list of templates, each with one {}";
  methods.push_back({"ensemble", false, kClassification, {templates},
                     "CLIP prompt ensemble: mean of normalised text embeddings"});

  methods.push_back(
      {"coop",
       true,
       kClassification,
       {Int("ctx_len", 16, 1, 64, "M, the number of learned context vectors"),
        Enum("class_position", {"end", "middle", "front"}, "where the class token goes"),
        Bool("csc", false, "class-specific context (true) or one unified context (false)"),
        Text("init", "", {}, "phrase whose word embeddings initialise the context; \"\" = random"),
        Lr(0.002), Epochs(50, 1), Batch(),
        Enum("optimizer", {"sgd", "adam", "adamw"}, "optimiser"),
        Enum("schedule", {"cosine", "constant"}, "learning-rate schedule")},
       "CoOp: learned context vectors in the text input"});

  methods.push_back({"vpt",
                     true,
                     kClassification,
                     {Int("tokens", 8, 1, 256, "L, learned visual tokens"),
                      Bool("deep", false, "tokens at every image-tower block (true) or the input"),
                      Lr(0.01), Epochs(50, 1), Batch()},
                     "VPT: learned visual prompt tokens"});

  methods.push_back({"pad-prompt",
                     true,
                     kClassification,
                     {Int("width", 4, 1, 64, "P, the learned pixel border width"), Lr(0.1),
                      Epochs(50, 1), Batch()},
                     "visual prompting: a learned pixel border"});

  ParamDef color;
  color.name = "color";
  color.type = ParamType::kColor;
  const SweepColor cpt_red = *FindSweepColor("cpt-red");
  color.default_value = ColorJson(cpt_red.word, cpt_red.rgb);
  color.doc = "marker colour: a name or [r, g, b] (null when palette is set)";
  ParamDef palette;
  palette.name = "palette";
  palette.type = ParamType::kPalette;
  palette.default_value = nullptr;
  palette.doc = "colour set for multi-colour rendering: a name or a list of colours";
  methods.push_back(
      {"cpt",
       false,
       kGrounding,
       {color, palette,
        Float("alpha", 127.0 / 255.0, 0.0, 1.0, false, "marker opacity in [0, 1]"),
        Enum("marker", {"block", "mask"}, "filled box (block) or segment mask (mask)"),
        Text("template", "{query} is in [MASK] color.", {"{query}", "[MASK]"},
             "prompt with one {query} and one [MASK]"),
        Epochs(0, 0), Float("lr", 0.0001, 0.0, kMaxLr, true, "learning rate when epochs > 0"),
        Batch()},
       "CPT: colour-based prompt tuning; epochs 0 = zero-shot, > 0 = few-shot"});

  methods.push_back({"red-circle",
                     false,
                     kGrounding,
                     {Int("thickness", 2, 1, 32, "ellipse outline width in pixels")},
                     "a red ellipse drawn around each proposal"});

  methods.push_back(
      {"linear-probe",
       true,
       kClassification,
       {Lr(0.01), Epochs(100, 1),
        Float("weight_decay", 0.0, 0.0, 1.0, false, "L2 penalty on the head"), Batch()},
       "a linear head on frozen image features"});

  methods.push_back(
      {"finetune",
       true,
       kBoth,
       {Lr(0.0001), Epochs(50, 1),
        Int("last_k_blocks", 0, 0, 1000, "train only the last k blocks of each tower; 0 = all"),
        Enum("head", {"linear", "text"},
             "linear: a new linear head; text: class text embeddings as the head"),
        Batch()},
       "fine-tuning the backbone plus a head"});

  methods.push_back(
      {"noop",
       true,
       kBoth,
       {Int("sleep_ms", 0, 0, 86400000, "how long the trial sleeps"),
        Float("value", 0.5, -1e12, 1e12, false, "the accuracy it reports"),
        Enum("fail", {"none", "error", "throw", "segfault"},
             "for fault tests: how the trial fails (none: it succeeds)")},
       "a method that trains nothing but is planned like one (load and fault tests)"});
  return methods;
}

}  // namespace

const std::vector<MethodDef>& MethodCatalog() {
  static const std::vector<MethodDef> kCatalog = BuildCatalog();
  return kCatalog;
}

const MethodDef* FindMethod(const std::string& name) {
  for (const auto& m : MethodCatalog()) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

const std::vector<std::string>* FindBuiltinTemplates(const std::string& name) {
  return name == "builtin:clip-7" ? &Clip7() : nullptr;
}

std::vector<std::string> BuiltinTemplateNames() { return {"builtin:clip-7"}; }

bool SettingTrains(const MethodDef& method, const nlohmann::json& params) {
  if (method.name == "cpt") {
    auto it = params.find("epochs");
    return it != params.end() && it->is_number_integer() && it->get<int64_t>() > 0;
  }
  return method.trains;
}

}  // namespace chromatune
