// `chromatune model embed|info --backbone B`: check a checkpoint before a sweep uses it.
//
//   embed [--text T]... [--image FILE]...   prints {"tokens": [[ids] per text], "text":
//       [[D floats] per text], "image": [[D floats] per image]}: the token ids the text tower
//       reads (context length, padded) and the projected, unnormalised features that CLIP's
//       encode_text and encode_image return. Images are decoded and preprocessed as CLIP does
//       (shorter side to the resolution with Pillow's bicubic, centre crop).
//   info   the architecture, parameter count, resolution, context length and the weight
//          fingerprint that enters trial keys.
// B is any backbone name a sweep accepts: clip:PATH (with --vocab FILE and --activation when
// they are not the defaults), torchscript:PATH, builtin:... (from the checkpoint cache).
// Exit codes: 0, 2 bad input (unreadable checkpoint, vocabulary, image or a text too long).
#include <iostream>

#include "cli/command.h"
#include "cli/runner_setup.h"
#include "datasets/image_io.h"
#include "datasets/resample.h"
#include "experiments/models/backbone.h"
#include "experiments/models/clip_model.h"
#include "experiments/models/image_tensor.h"
#include "experiments/sweep/backbone_ref.h"
#include "experiments/sweep/fingerprint.h"

namespace chromatune::cli {
namespace {

struct ModelArgs {
  std::string backbone;
  std::string vocab;
  std::string activation;
  std::vector<std::string> texts;
  std::vector<std::string> images;
  std::string embed_format = "json";
  std::string info_format = "text";
  std::string cache_dir = RunnerOptions{}.cache_dir;
  int threads = RunnerOptions{}.threads;
};

int Fail(const std::string& what, const Status& status) {
  std::cerr << "chromatune model " << what << ": " << status.message() << "\n";
  return kExitBadInput;
}

// The backbone name with --vocab/--activation folded in (clip: only).
Result<std::string> BackboneName(const ModelArgs& args) {
  if (args.vocab.empty() && args.activation.empty()) return args.backbone;
  if (args.backbone.rfind("clip:", 0) != 0) {
    return InvalidArgument("--vocab and --activation are options of clip: backbones");
  }
  ClipBackboneRef ref;
  ref.checkpoint = args.backbone.substr(5);
  ref.vocab = args.vocab;
  if (!args.activation.empty() && args.activation != "gelu" && args.activation != "quick_gelu") {
    return InvalidArgument("--activation: expected gelu or quick_gelu, got " + args.activation);
  }
  ref.quick_gelu = args.activation != "gelu";
  if (ref.vocab.empty()) {
    std::string name = "clip:" + ref.checkpoint + (ref.quick_gelu ? "" : "?activation=gelu");
    CT_ASSIGN_OR_RETURN(ClipBackboneRef parsed, ParseClipBackbone(name));
    ref.vocab = parsed.vocab;
  }
  return ClipBackboneName(ref);
}

Result<std::shared_ptr<models::Backbone>> Load(const ModelArgs& args, std::string* name) {
  CT_ASSIGN_OR_RETURN(*name, BackboneName(args));
  torch::set_num_threads(std::max(1, args.threads));
  return models::LoadOrPretrain(*name, args.cache_dir, nullptr, nullptr);
}

nlohmann::json Rows(const torch::Tensor& t) {
  nlohmann::json rows = nlohmann::json::array();
  const torch::Tensor c = t.to(torch::kCPU, torch::kFloat64).contiguous();
  for (int64_t i = 0; i < c.size(0); ++i) {
    const double* p = c[i].data_ptr<double>();
    rows.push_back(std::vector<double>(p, p + c.size(1)));
  }
  return rows;
}

int Embed(const ModelArgs& args) {
  std::string name;
  auto backbone = Load(args, &name);
  if (!backbone.ok()) return Fail("embed", backbone.status());
  auto model = (*backbone)->dual;
  if (!model) return Fail("embed", InvalidArgument(name + " is not a dual encoder"));
  torch::NoGradGuard no_grad;
  model->SetTraining(false);
  nlohmann::json out = {{"tokens", nlohmann::json::array()},
                        {"text", nlohmann::json::array()},
                        {"image", nlohmann::json::array()}};
  if (!args.texts.empty()) {
    Status fits = model->tokenizer().CheckFits(args.texts, model->context_length());
    if (!fits.ok()) return Fail("embed", fits);
    auto enc = model->tokenizer().Encode(args.texts, model->context_length());
    for (int64_t i = 0; i < enc.ids.size(0); ++i) {
      const int64_t* p = enc.ids[i].data_ptr<int64_t>();
      out["tokens"].push_back(std::vector<int64_t>(p, p + enc.ids.size(1)));
    }
    out["text"] = Rows(model->EncodeText(enc.ids, enc.eos_index));
  }
  std::vector<datasets::Image> images;
  for (const std::string& path : args.images) {
    auto decoded = datasets::ReadImageFile(path);
    if (!decoded.ok()) return Fail("embed", decoded.status());
    auto ready = datasets::ClipPreprocess(*decoded, static_cast<int>(model->image_size()));
    if (!ready.ok()) return Fail("embed", ready.status().WithContext(path));
    images.push_back(std::move(*ready));
  }
  if (!images.empty()) out["image"] = Rows(model->EncodeImage(models::ImagesToTensor(images)));
  std::cout << out.dump() << "\n";
  return kExitOk;
}

int Info(const ModelArgs& args) {
  std::string name;
  auto backbone = Load(args, &name);
  if (!backbone.ok()) return Fail("info", backbone.status());
  auto fingerprint = BackboneFingerprint(name);
  if (!fingerprint.ok()) return Fail("info", fingerprint.status());
  auto model = (*backbone)->dual;
  if (!model) return Fail("info", InvalidArgument(name + " is not a dual encoder"));
  int64_t params = 0;
  for (const auto& p : model->parameters()) params += p.numel();
  std::string architecture = "builtin or TorchScript dual encoder";
  if (auto clip = std::dynamic_pointer_cast<models::ClipModel>(model)) {
    architecture = clip->architecture().Describe();
  }
  nlohmann::json info = {{"backbone", name},
                         {"architecture", architecture},
                         {"parameters", params},
                         {"image_resolution", model->image_size()},
                         {"context_length", model->context_length()},
                         {"vocab_size", model->tokenizer().vocab_size()},
                         {"embed_dim", model->embed_dim()},
                         {"fingerprint", *fingerprint}};
  if (args.info_format == "json") {
    std::cout << info.dump(2) << "\n";
  } else {
    for (const auto& [key, value] : info.items()) {
      std::cout << key << ": " << (value.is_string() ? value.get<std::string>() : value.dump())
                << "\n";
    }
  }
  return kExitOk;
}

void AddBackboneOptions(CLI::App* sub, ModelArgs* args) {
  sub->add_option("--backbone", args->backbone, "clip:PATH, torchscript:PATH or builtin:...")
      ->required();
  sub->add_option("--vocab", args->vocab,
                  "CLIP's BPE vocabulary (default: bpe_simple_vocab_16e6.txt.gz beside PATH)");
  sub->add_option("--activation", args->activation,
                  "quick_gelu (OpenAI's models, default) or gelu (open_clip's own)");
  sub->add_option("--cache-dir", args->cache_dir, "builtin checkpoint cache");
  sub->add_option("--threads", args->threads, "LibTorch threads");
}

CommandRegistrar registrar("model", [](CLI::App& root) {
  auto args = std::make_shared<ModelArgs>();
  CLI::App* app = root.add_subcommand("model", "inspect a backbone: embed texts/images, info");
  app->require_subcommand(1);
  CLI::App* embed = app->add_subcommand("embed", "token ids and projected embeddings (JSON)");
  AddBackboneOptions(embed, args.get());
  embed->add_option("--text", args->texts, "a text to encode (repeatable)");
  embed->add_option("--image", args->images, "an image file to encode (repeatable)");
  embed->add_option("--format", args->embed_format, "json")->check(CLI::IsMember({"json"}));
  CLI::App* info = app->add_subcommand("info", "architecture, sizes and weight fingerprint");
  AddBackboneOptions(info, args.get());
  info->add_option("--format", args->info_format, "text or json")
      ->check(CLI::IsMember({"json", "text"}));
  return CommandSetup{app, [args, embed] { return embed->parsed() ? Embed(*args) : Info(*args); }};
});

}  // namespace
}  // namespace chromatune::cli
