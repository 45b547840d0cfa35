#include "experiments/models/pretrain_spec.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <functional>
#include <map>

#include "common/sha256.h"

namespace chromatune::models {
namespace {

// One setter per field: reads the JSON value into the spec or says what is wrong.
using Setter = std::function<Status(PretrainSpec&, const nlohmann::json&)>;

template <typename T>
Status ReadNumber(const nlohmann::json& v, T* out) {
  if constexpr (std::is_integral_v<T>) {
    if (!v.is_number_integer()) return InvalidArgument("must be an integer");
  } else {
    if (!v.is_number()) return InvalidArgument("must be a number");
  }
  *out = v.get<T>();
  return Status::Ok();
}

template <typename T>
Setter Field(T PretrainSpec::*member) {
  return [member](PretrainSpec& s, const nlohmann::json& v) { return ReadNumber(v, &(s.*member)); };
}

const std::map<std::string, Setter>& Setters() {
  static const std::map<std::string, Setter> kSetters = {
      {"kind",
       [](PretrainSpec& s, const nlohmann::json& v) {
         if (!v.is_string()) return InvalidArgument("must be a string");
         s.kind = v.get<std::string>();
         return Status::Ok();
       }},
      {"corpus",
       [](PretrainSpec&, const nlohmann::json& v) {
         // One corpus exists; the field is there so checkpoints say what they saw.
         if (v != nlohmann::json(kPretrainCorpus)) {
           return InvalidArgument(std::string("must be \"") + kPretrainCorpus + "\"");
         }
         return Status::Ok();
       }},
      {"image_size", Field(&PretrainSpec::image_size)},
      {"conv_widths",
       [](PretrainSpec& s, const nlohmann::json& v) {
         if (!v.is_array()) return InvalidArgument("must be a list of integers");
         std::vector<int64_t> widths;
         for (const auto& w : v) {
           if (!w.is_number_integer()) return InvalidArgument("must be a list of integers");
           widths.push_back(w.get<int64_t>());
         }
         s.conv_widths = widths;
         return Status::Ok();
       }},
      {"vision_layers", Field(&PretrainSpec::vision_layers)},
      {"vision_heads", Field(&PretrainSpec::vision_heads)},
      {"text_width", Field(&PretrainSpec::text_width)},
      {"text_layers", Field(&PretrainSpec::text_layers)},
      {"text_heads", Field(&PretrainSpec::text_heads)},
      {"context_length", Field(&PretrainSpec::context_length)},
      {"embed_dim", Field(&PretrainSpec::embed_dim)},
      {"fusion_layers", Field(&PretrainSpec::fusion_layers)},
      {"max_items", Field(&PretrainSpec::max_items)},
      {"hard_negative_fraction", Field(&PretrainSpec::hard_negative_fraction)},
      {"single_item_fraction", Field(&PretrainSpec::single_item_fraction)},
      {"data_seed", Field(&PretrainSpec::data_seed)},
      {"steps", Field(&PretrainSpec::steps)},
      {"batch_size", Field(&PretrainSpec::batch_size)},
      {"lr", Field(&PretrainSpec::lr)},
      {"weight_decay", Field(&PretrainSpec::weight_decay)},
      {"warmup_steps", Field(&PretrainSpec::warmup_steps)},
      {"seed", Field(&PretrainSpec::seed)},
      {"threads", Field(&PretrainSpec::threads)},
  };
  return kSetters;
}

Status Positive(const char* field, int64_t v) {
  if (v <= 0) return InvalidArgument(std::string(field) + " must be > 0");
  return Status::Ok();
}

nlohmann::json YamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json j = nlohmann::json::object();
      for (const auto& kv : node) j[kv.first.as<std::string>()] = YamlToJson(kv.second);
      return j;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& v : node) j.push_back(YamlToJson(v));
      return j;
    }
    case YAML::NodeType::Scalar: {
      const std::string s = node.Scalar();
      if (node.Tag() != "!") {  // unquoted: try integer, then float
        int64_t i = 0;
        if (YAML::convert<int64_t>::decode(node, i)) return i;
        double d = 0;
        if (YAML::convert<double>::decode(node, d)) return d;
      }
      return s;
    }
    default:
      return nullptr;
  }
}

}  // namespace

nlohmann::json PretrainSpec::CanonicalJson() const {
  // nlohmann::json objects are std::map-backed: keys come out sorted.
  return nlohmann::json{
      {"kind", kind},
      {"image_size", image_size},
      {"conv_widths", conv_widths},
      {"vision_layers", vision_layers},
      {"vision_heads", vision_heads},
      {"text_width", text_width},
      {"text_layers", text_layers},
      {"text_heads", text_heads},
      {"context_length", context_length},
      {"embed_dim", embed_dim},
      {"fusion_layers", fusion_layers},
      {"max_items", max_items},
      {"hard_negative_fraction", hard_negative_fraction},
      {"single_item_fraction", single_item_fraction},
      {"data_seed", data_seed},
      {"steps", steps},
      {"batch_size", batch_size},
      {"lr", lr},
      {"weight_decay", weight_decay},
      {"warmup_steps", warmup_steps},
      {"seed", seed},
      // The images pretraining draws from (datasets/fashion_pools.h): checkpoints pretrained
      // on the whole train split before the pools existed are other models.
      {"corpus", kPretrainCorpus},
  };
}

std::string PretrainSpec::Hash() const { return Sha256Hex(CanonicalJson().dump()); }

Status PretrainSpec::Validate() const {
  if (kind != "tiny-clip" && kind != "tiny-fusion") {
    return InvalidArgument("kind must be \"tiny-clip\" or \"tiny-fusion\", got \"" + kind + "\"");
  }
  if (conv_widths.empty()) return InvalidArgument("conv_widths must not be empty");
  for (int64_t w : conv_widths) CT_RETURN_IF_ERROR(Positive("conv_widths[]", w));
  const int64_t downsample = int64_t{1} << (conv_widths.size() - 1);
  if (image_size <= 0 || image_size % downsample != 0) {
    return InvalidArgument("image_size must be a positive multiple of 2^(len(conv_widths)-1) = " +
                           std::to_string(downsample));
  }
  CT_RETURN_IF_ERROR(Positive("vision_heads", vision_heads));
  CT_RETURN_IF_ERROR(Positive("vision_layers", vision_layers));
  if (conv_widths.back() % vision_heads != 0) {
    return InvalidArgument("vision_heads must divide the last conv width");
  }
  CT_RETURN_IF_ERROR(Positive("text_width", text_width));
  CT_RETURN_IF_ERROR(Positive("text_layers", text_layers));
  CT_RETURN_IF_ERROR(Positive("text_heads", text_heads));
  if (text_width % text_heads != 0) return InvalidArgument("text_heads must divide text_width");
  if (context_length < 4) return InvalidArgument("context_length must be >= 4");
  CT_RETURN_IF_ERROR(Positive("embed_dim", embed_dim));
  CT_RETURN_IF_ERROR(Positive("fusion_layers", fusion_layers));
  if (max_items < 1 || max_items > 6) return InvalidArgument("max_items must be in 1..6");
  if (hard_negative_fraction < 0 || hard_negative_fraction > 1) {
    return InvalidArgument("hard_negative_fraction must be in [0, 1]");
  }
  if (single_item_fraction < 0 || hard_negative_fraction + single_item_fraction > 1) {
    return InvalidArgument(
        "single_item_fraction must be >= 0 and hard_negative_fraction + single_item_fraction <= 1");
  }
  CT_RETURN_IF_ERROR(Positive("steps", steps));
  if (batch_size < 2) return InvalidArgument("batch_size must be >= 2");
  if (!(lr > 0)) return InvalidArgument("lr must be > 0");
  if (weight_decay < 0) return InvalidArgument("weight_decay must be >= 0");
  if (warmup_steps < 0) return InvalidArgument("warmup_steps must be >= 0");
  CT_RETURN_IF_ERROR(Positive("threads", threads));
  return Status::Ok();
}

Result<PretrainSpec> DefaultPretrainSpec(const std::string& kind) {
  PretrainSpec spec;
  if (kind == "tiny-clip") return spec;
  if (kind == "tiny-fusion") {
    spec.kind = kind;
    spec.steps = 600;
    spec.batch_size = 64;
    // The fusion model's recipe predates the single-item share (docs/models.md).
    spec.single_item_fraction = 0.0;
    spec.lr = 2e-3;
    return spec;
  }
  return InvalidArgument("unknown builtin backbone kind \"" + kind +
                         "\" (known: tiny-clip, tiny-fusion)");
}

Result<PretrainSpec> PretrainSpecFromJson(const nlohmann::json& j, const PretrainSpec& base,
                                          const std::string& where) {
  if (!j.is_object()) return InvalidArgument(where + ": a pretraining spec must be a mapping");
  PretrainSpec spec = base;
  for (const auto& [key, value] : j.items()) {
    auto it = Setters().find(key);
    if (it == Setters().end()) {
      return InvalidArgument(where + ": unknown field \"" + key + "\"");
    }
    Status s = it->second(spec, value);
    if (!s.ok()) return InvalidArgument(where + ": field \"" + key + "\" " + s.message());
  }
  Status s = spec.Validate();
  if (!s.ok()) return InvalidArgument(where + ": " + s.message());
  return spec;
}

Result<PretrainSpec> LoadPretrainSpecFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound(path + ": cannot open pretraining spec");
  nlohmann::json j;
  try {
    j = YamlToJson(YAML::Load(in));
  } catch (const YAML::Exception& e) {
    return InvalidArgument(path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  std::string kind = "tiny-clip";
  if (j.is_object() && j.contains("kind")) {
    if (!j["kind"].is_string()) return InvalidArgument(path + ": field \"kind\" must be a string");
    kind = j["kind"].get<std::string>();
  }
  auto base = DefaultPretrainSpec(kind);
  if (!base.ok()) return InvalidArgument(path + ": field \"kind\": " + base.status().message());
  return PretrainSpecFromJson(j, *base, path);
}

}  // namespace chromatune::models
