#include "experiments/methods/method_params.h"

#include <limits>

#include "experiments/methods/trial_spec.h"
#include "experiments/sweep/method_catalog.h"

namespace chromatune::methods {
namespace {

// The palette word closest (Euclidean RGB) to `rgb`.
std::string NearestColorName(const datasets::Rgb& rgb) {
  std::string best;
  int64_t best_d = std::numeric_limits<int64_t>::max();
  for (const auto& c : datasets::BlockPalette()) {
    const int64_t dr = int64_t{c.rgb.r} - rgb.r, dg = int64_t{c.rgb.g} - rgb.g,
                  db = int64_t{c.rgb.b} - rgb.b;
    const int64_t d = dr * dr + dg * dg + db * db;
    if (d < best_d) {
      best_d = d;
      best = c.name;
    }
  }
  return best;
}

Result<datasets::Rgb> ParseRgbTriple(const nlohmann::json& v, const std::string& f) {
  if (!v.is_array() || v.size() != 3) {
    return InvalidArgument(f + ": expected [r, g, b], got " + v.dump());
  }
  uint8_t channels[3];
  for (int i = 0; i < 3; ++i) {
    if (!v[i].is_number_integer() || v[i].get<int64_t>() < 0 || v[i].get<int64_t>() > 255) {
      return InvalidArgument(f + ": channel " + std::to_string(i) +
                             " must be an integer in [0, 255], got " + v[i].dump());
    }
    channels[i] = static_cast<uint8_t>(v[i].get<int64_t>());
  }
  return datasets::Rgb{channels[0], channels[1], channels[2]};
}

// A colour as a name ("red"), [r, g, b] (prompted with the nearest known name), or
// {"name": "red", "rgb": [r, g, b]} (the plan's resolved form).
Result<datasets::NamedColor> ParseColor(const nlohmann::json& v, const std::string& field) {
  if (v.is_string()) {
    auto c = ColorByName(v.get<std::string>());
    if (!c.ok()) return InvalidArgument(field + ": " + c.status().message());
    return c;
  }
  if (v.is_array()) {
    CT_ASSIGN_OR_RETURN(auto rgb, ParseRgbTriple(v, field));
    return datasets::NamedColor{NearestColorName(rgb), rgb};
  }
  if (v.is_object() && v.contains("rgb")) {
    CT_ASSIGN_OR_RETURN(auto rgb, ParseRgbTriple(v["rgb"], field + ".rgb"));
    std::string name = NearestColorName(rgb);
    if (v.contains("name")) {
      if (!v["name"].is_string() || v["name"].get<std::string>().empty()) {
        return InvalidArgument(field + ".name: expected a colour word, got " + v["name"].dump());
      }
      name = v["name"].get<std::string>();
    }
    return datasets::NamedColor{name, rgb};
  }
  return InvalidArgument(field + ": expected a colour name, [r, g, b] or {name, rgb}, got " +
                         v.dump());
}

// `params` completed with `method`'s catalog defaults at `shots` shots (WithDefaults). The
// readers below fall back to the struct's zero values only for what the catalog leaves null.
nlohmann::json Filled(const std::string& method, const nlohmann::json& params, int64_t shots) {
  return WithDefaults(*FindMethod(method), params, shots);
}

// Reads a method's parameters, completed with the catalog's defaults at `shots` shots
// (Filled), with the catalog's ranges and choices (its ParamDefs): the checks the sweep
// validator applies to a file hold for a hand-written trial spec too, and are stated once,
// in method_catalog.cc. The first problem is kept; errors read "params.NAME: problem".
class CatalogReader {
 public:
  CatalogReader(const std::string& method, const nlohmann::json& given, int64_t shots)
      : method_(*FindMethod(method)), params_(Filled(method, given, shots)), reader_(params_) {}

  // The completed parameters, for values the typed readers below do not cover.
  const nlohmann::json& params() const { return params_; }

  int64_t Int(const std::string& name) {
    const ParamDef* d = Def(name, ParamType::kInt);
    if (d == nullptr) return 0;
    const int64_t x = reader_.Int(name, 0, std::numeric_limits<int64_t>::min(),
                                  std::numeric_limits<int64_t>::max());
    CheckRange(*d, static_cast<double>(x), std::to_string(x));
    return x;
  }
  double Double(const std::string& name) {
    const ParamDef* d = Def(name, ParamType::kFloat);
    if (d == nullptr) return 0.0;
    const double x = reader_.Double(name, 0.0, -std::numeric_limits<double>::infinity(),
                                    std::numeric_limits<double>::infinity());
    CheckRange(*d, x, reader_.Raw(name, x).dump());
    return x;
  }
  std::string Enum(const std::string& name) {
    const ParamDef* d = Def(name, ParamType::kEnum);
    return d == nullptr ? std::string() : reader_.Enum(name, std::string(), d->choices);
  }
  bool Bool(const std::string& name) {
    return Def(name, ParamType::kBool) == nullptr ? false : reader_.Bool(name, false);
  }
  std::string String(const std::string& name) {
    return Def(name, ParamType::kString) == nullptr ? std::string() : reader_.String(name, "");
  }
  // The optimisation fields of a training method (the catalog's AddTraining).
  TrainParams Train() {
    TrainParams t;
    t.epochs = Int("epochs");
    t.lr = Double("lr");
    t.batch_size = Int("batch_size");
    t.optimizer = Enum("optimizer");
    t.schedule = Enum("schedule");
    t.momentum = Double("momentum");
    t.weight_decay = Double("weight_decay");
    if (Declares("warmup_epochs")) {
      t.warmup_epochs = Int("warmup_epochs");
      t.warmup_lr = Double("warmup_lr");
    }
    return t;
  }
  bool Declares(const std::string& name) const {
    for (const ParamDef& d : method_.params) {
      if (d.name == name) return true;
    }
    return false;
  }
  void Fail(const std::string& name, const std::string& problem) { reader_.Fail(name, problem); }
  const Status& status() const { return reader_.status(); }

 private:
  // The catalog's range check and wording (InRange, RangeText), as `sweep validate` gives
  // them; `shown` is the value as written.
  void CheckRange(const ParamDef& d, double x, const std::string& shown) {
    if (reader_.status().ok() && !InRange(d, x))
      reader_.Fail(d.name, RangeText(d) + ", got " + shown);
  }

  // The catalog's definition of `name`; a name or type the catalog does not declare is a
  // mistake in this file, reported like a bad value rather than read unchecked.
  const ParamDef* Def(const std::string& name, ParamType type) {
    for (const ParamDef& d : method_.params) {
      if (d.name == name && d.type == type) return &d;
    }
    reader_.Fail(name, "not a parameter of method " + method_.name + " of that type (catalog)");
    return nullptr;
  }

  const MethodDef& method_;
  const nlohmann::json params_;
  ParamReader reader_;  // reads params_ (declared after it)
};

}  // namespace

TrainParams DefaultTrainParams(const std::string& method, int64_t shots) {
  // The catalog's own defaults are in range (method_params_test), so nothing can fail here.
  return CatalogReader(method, nlohmann::json::object(), shots).Train();
}

Result<datasets::NamedColor> ColorByName(const std::string& name) {
  if (name == "cpt-red") return datasets::CptRed();
  if (auto c = datasets::FindColor(name)) return *c;
  std::string known = "cpt-red";
  for (const auto& c : datasets::BlockPalette()) known += ", " + c.name;
  return InvalidArgument("unknown colour \"" + name + "\" (known: " + known + ")");
}

Result<ZeroShotParams> ParseZeroShot(const nlohmann::json& given) {
  CatalogReader r("zero-shot", given, 0);
  ZeroShotParams p;
  p.template_text = r.String("template");
  if (r.status().ok() && p.template_text.find("{}") == std::string::npos) {
    r.Fail("template", "must contain \"{}\" where the class name goes");
  }
  CT_RETURN_IF_ERROR(r.status());
  return p;
}

Result<EnsembleParams> ParseEnsemble(const nlohmann::json& given) {
  const nlohmann::json params = Filled("ensemble", given, 0);
  EnsembleParams p;
  const nlohmann::json v =
      params.is_object() ? params.value("templates", nlohmann::json()) : nlohmann::json();
  if (v.is_string() && FindBuiltinTemplates(v.get<std::string>()) != nullptr) {
    p.templates = *FindBuiltinTemplates(v.get<std::string>());
  } else if (v.is_array() && !v.empty()) {
    for (size_t i = 0; i < v.size(); ++i) {
      const std::string f = "params.templates[" + std::to_string(i) + "]";
      if (!v[i].is_string()) return InvalidArgument(f + ": expected a string");
      if (v[i].get<std::string>().find("{}") == std::string::npos) {
        return InvalidArgument(f + ": must contain \"{}\"");
      }
      p.templates.push_back(v[i].get<std::string>());
    }
  } else {
    return InvalidArgument(
        "params.templates: expected \"builtin:clip-7\", \"builtin:clip-80\" or a non-empty list of "
        "strings, got " +
        v.dump());
  }
  return p;
}

Result<CoopParams> ParseCoop(const nlohmann::json& given, int64_t shots) {
  CatalogReader r("coop", given, shots);
  CoopParams p;
  p.ctx_len = r.Int("ctx_len");
  p.class_position = r.Enum("class_position");
  p.csc = r.Bool("csc");
  p.init = r.String("init");
  p.train = r.Train();
  CT_RETURN_IF_ERROR(r.status());
  return p;
}

Result<VptParams> ParseVpt(const nlohmann::json& given, int64_t shots) {
  CatalogReader r("vpt", given, shots);
  VptParams p;
  p.tokens = r.Int("tokens");
  p.deep = r.Bool("deep");
  p.train = r.Train();
  CT_RETURN_IF_ERROR(r.status());
  return p;
}

Result<PadPromptParams> ParsePadPrompt(const nlohmann::json& given, int64_t shots) {
  CatalogReader r("pad-prompt", given, shots);
  PadPromptParams p;
  p.width = r.Int("width");
  p.train = r.Train();
  CT_RETURN_IF_ERROR(r.status());
  return p;
}

Result<CptParams> ParseCpt(const nlohmann::json& given) {
  CatalogReader r("cpt", given, 0);
  CptParams p;
  p.alpha = r.Double("alpha");
  p.marker = r.Enum("marker");
  p.template_text = r.String("template");
  if (r.status().ok() && (p.template_text.find("{query}") == std::string::npos ||
                          p.template_text.find("[MASK]") == std::string::npos)) {
    r.Fail("template", "must contain \"{query}\" and \"[MASK]\", got \"" + p.template_text + "\"");
  }
  CT_RETURN_IF_ERROR(r.status());
  const nlohmann::json& params = r.params();
  const nlohmann::json palette = params.value("palette", nlohmann::json());
  if (palette.is_string() && palette.get<std::string>() == "cpt-5") {
    p.colors = datasets::CptColors();
  } else if (palette.is_string() && palette.get<std::string>() == "all-8") {
    p.colors = datasets::BlockPalette();
  } else if (palette.is_array() && !palette.empty()) {
    for (size_t i = 0; i < palette.size(); ++i) {
      CT_ASSIGN_OR_RETURN(auto c,
                          ParseColor(palette[i], "params.palette[" + std::to_string(i) + "]"));
      p.colors.push_back(c);
    }
  } else if (!palette.is_null() && !(palette.is_array() && palette.empty())) {
    return InvalidArgument(
        "params.palette: expected \"cpt-5\", \"all-8\" or a list of colours, got " +
        palette.dump());
  }
  if (p.colors.empty()) {
    // The plan writes color null when a palette is set; without a palette, null means the
    // catalog's default colour (absent was filled with it above).
    nlohmann::json color = params.value("color", nlohmann::json());
    if (color.is_null()) color = Filled("cpt", nlohmann::json::object(), 0)["color"];
    CT_ASSIGN_OR_RETURN(auto c, ParseColor(color, "params.color"));
    p.colors.push_back(c);
  }
  p.train = r.Train();
  CT_RETURN_IF_ERROR(r.status());
  return p;
}

Result<RedCircleParams> ParseRedCircle(const nlohmann::json& given) {
  CatalogReader r("red-circle", given, 0);
  RedCircleParams p;
  p.thickness = r.Int("thickness");
  p.template_text = r.String("template");
  if (r.status().ok() && p.template_text.find("{query}") == std::string::npos) {
    r.Fail("template", "must contain \"{query}\"");
  }
  CT_RETURN_IF_ERROR(r.status());
  if (r.params().contains("color")) {
    CT_ASSIGN_OR_RETURN(p.color, ParseColor(r.params()["color"], "params.color"));
  }
  return p;
}

Result<LinearProbeParams> ParseLinearProbe(const nlohmann::json& given) {
  CatalogReader r("linear-probe", given, 0);
  LinearProbeParams p;
  p.train = r.Train();
  CT_RETURN_IF_ERROR(r.status());
  return p;
}

Result<FinetuneParams> ParseFinetune(const nlohmann::json& given, int64_t shots) {
  CatalogReader r("finetune", given, shots);
  FinetuneParams p;
  p.last_k_blocks = r.Int("last_k_blocks");
  p.head = r.Enum("head");
  p.train = r.Train();
  CT_RETURN_IF_ERROR(r.status());
  return p;
}

}  // namespace chromatune::methods
