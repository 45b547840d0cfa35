#include "experiments/methods/method_params.h"

#include <limits>

#include "experiments/methods/trial_spec.h"

namespace chromatune::methods {
namespace {

constexpr int64_t kMaxInt = std::numeric_limits<int32_t>::max();

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

}  // namespace

int64_t CoopEpochsForShots(int64_t shots) {
  if (shots <= 1) return 50;
  if (shots <= 4) return 100;
  return 200;
}

Status ParseTrainParams(const nlohmann::json& params, TrainParams defaults, TrainParams* out) {
  ParamReader r(params);
  TrainParams t = defaults;
  t.epochs = r.Int("epochs", defaults.epochs, 0, 100000);
  t.lr = r.Double("lr", defaults.lr, 0.0, 1e6);
  t.batch_size = r.Int("batch_size", defaults.batch_size, 1, kMaxInt);
  t.optimizer = r.Enum("optimizer", defaults.optimizer, {"sgd", "adamw"});
  t.schedule = r.Enum("schedule", defaults.schedule, {"cosine", "constant"});
  t.momentum = r.Double("momentum", defaults.momentum, 0.0, 1.0);
  t.weight_decay = r.Double("weight_decay", defaults.weight_decay, 0.0, 1e3);
  *out = t;
  return r.status();
}

const std::vector<std::string>& Clip7Templates() {
  static const std::vector<std::string> k = {
      "itap of a {}.",
      "a bad photo of the {}.",
      "a origami {}.",
      "a photo of the large {}.",
      "a {} in a video game.",
      "art of the {}.",
      "a photo of the small {}.",
  };
  return k;
}

Result<datasets::NamedColor> ColorByName(const std::string& name) {
  if (name == "cpt-red") return datasets::CptRed();
  if (auto c = datasets::FindColor(name)) return *c;
  std::string known = "cpt-red";
  for (const auto& c : datasets::BlockPalette()) known += ", " + c.name;
  return InvalidArgument("unknown colour \"" + name + "\" (known: " + known + ")");
}

Result<ZeroShotParams> ParseZeroShot(const nlohmann::json& params) {
  ParamReader r(params);
  ZeroShotParams p;
  p.template_text = r.String("template", p.template_text);
  if (r.status().ok() && p.template_text.find("{}") == std::string::npos) {
    r.Fail("template", "must contain \"{}\" where the class name goes");
  }
  CT_RETURN_IF_ERROR(r.status());
  return p;
}

Result<EnsembleParams> ParseEnsemble(const nlohmann::json& params) {
  EnsembleParams p;
  const nlohmann::json v = params.value("templates", nlohmann::json("builtin:clip-7"));
  if (v.is_string() && v.get<std::string>() == "builtin:clip-7") {
    p.templates = Clip7Templates();
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
        "params.templates: expected \"builtin:clip-7\" or a non-empty list of strings, got " +
        v.dump());
  }
  return p;
}

Result<CoopParams> ParseCoop(const nlohmann::json& params, int64_t shots) {
  ParamReader r(params);
  CoopParams p;
  p.ctx_len = r.Int("ctx_len", p.ctx_len, 1, 64);
  p.class_position = r.Enum("class_position", p.class_position, {"end", "middle", "front"});
  p.csc = r.Bool("csc", p.csc);
  p.init = r.String("init", p.init);
  CT_RETURN_IF_ERROR(r.status());
  TrainParams d;
  d.epochs = CoopEpochsForShots(shots);
  CT_RETURN_IF_ERROR(ParseTrainParams(params, d, &p.train));
  return p;
}

Result<VptParams> ParseVpt(const nlohmann::json& params, int64_t shots) {
  ParamReader r(params);
  VptParams p;
  p.tokens = r.Int("tokens", p.tokens, 1, 256);
  p.deep = r.Bool("deep", p.deep);
  CT_RETURN_IF_ERROR(r.status());
  TrainParams d;
  d.epochs = CoopEpochsForShots(shots);
  d.lr = 0.01;
  CT_RETURN_IF_ERROR(ParseTrainParams(params, d, &p.train));
  return p;
}

Result<PadPromptParams> ParsePadPrompt(const nlohmann::json& params, int64_t shots) {
  ParamReader r(params);
  PadPromptParams p;
  p.width = r.Int("width", p.width, 1, 1024);
  CT_RETURN_IF_ERROR(r.status());
  TrainParams d;
  d.epochs = CoopEpochsForShots(shots);
  d.lr = 1.0;  // pixel prompts need a large step (Bahng et al. use SGD with lr 40 on 224 px)
  d.weight_decay = 0.0;
  CT_RETURN_IF_ERROR(ParseTrainParams(params, d, &p.train));
  return p;
}

Result<CptParams> ParseCpt(const nlohmann::json& params) {
  ParamReader r(params);
  CptParams p;
  p.alpha = r.Double("alpha", p.alpha, 0.0, 1.0);
  p.marker = r.Enum("marker", p.marker, {"block", "mask"});
  p.template_text = r.String("template", p.template_text);
  if (r.status().ok() && (p.template_text.find("{query}") == std::string::npos ||
                          p.template_text.find("[MASK]") == std::string::npos)) {
    r.Fail("template", "must contain \"{query}\" and \"[MASK]\", got \"" + p.template_text + "\"");
  }
  CT_RETURN_IF_ERROR(r.status());
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
    // The plan writes color null when a palette is set; absent or null means CPT's default.
    nlohmann::json color = params.value("color", nlohmann::json());
    if (color.is_null()) color = "cpt-red";
    CT_ASSIGN_OR_RETURN(auto c, ParseColor(color, "params.color"));
    p.colors.push_back(c);
  }
  TrainParams d;
  d.epochs = 0;
  CT_RETURN_IF_ERROR(ParseTrainParams(params, d, &p.train));
  return p;
}

Result<RedCircleParams> ParseRedCircle(const nlohmann::json& params) {
  ParamReader r(params);
  RedCircleParams p;
  p.thickness = r.Int("thickness", p.thickness, 1, 64);
  p.template_text = r.String("template", p.template_text);
  if (r.status().ok() && p.template_text.find("{query}") == std::string::npos) {
    r.Fail("template", "must contain \"{query}\"");
  }
  CT_RETURN_IF_ERROR(r.status());
  if (params.contains("color")) {
    CT_ASSIGN_OR_RETURN(p.color, ParseColor(params["color"], "params.color"));
  }
  return p;
}

Result<LinearProbeParams> ParseLinearProbe(const nlohmann::json& params) {
  LinearProbeParams p;
  TrainParams d;
  d.epochs = 200;
  d.lr = 0.01;
  d.optimizer = "adamw";
  d.weight_decay = 1e-4;
  d.batch_size = 256;
  CT_RETURN_IF_ERROR(ParseTrainParams(params, d, &p.train));
  return p;
}

Result<FinetuneParams> ParseFinetune(const nlohmann::json& params, int64_t shots) {
  ParamReader r(params);
  FinetuneParams p;
  p.last_k_blocks = r.Int("last_k_blocks", p.last_k_blocks, 0, 1024);
  p.head = r.Enum("head", p.head, {"text", "random"});
  CT_RETURN_IF_ERROR(r.status());
  TrainParams d;
  d.epochs = CoopEpochsForShots(shots);
  d.lr = 1e-4;
  d.optimizer = "adamw";
  d.weight_decay = 0.01;
  CT_RETURN_IF_ERROR(ParseTrainParams(params, d, &p.train));
  return p;
}

}  // namespace chromatune::methods
