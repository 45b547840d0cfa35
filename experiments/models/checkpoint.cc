#include "experiments/models/checkpoint.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "experiments/models/tiny_clip.h"
#include "experiments/models/tiny_fusion.h"

namespace chromatune::models {
namespace {

namespace fs = std::filesystem;

torch::nn::Module& ModuleOf(const PretrainedModel& model) {
  if (model.dual) return *static_cast<TinyClip&>(*model.dual).net();
  return *static_cast<TinyFusion&>(*model.fusion).net();
}

}  // namespace

std::string CheckpointDir(const std::string& cache_dir, const PretrainSpec& spec) {
  return (fs::path(cache_dir) / spec.Hash()).string();
}

Status SaveCheckpoint(const std::string& dir, const PretrainSpec& spec,
                      const PretrainedModel& model, const nlohmann::json& training) {
  if (!model.dual && !model.fusion) return InvalidArgument("SaveCheckpoint: no model");
  const TextTokenizer& tok = model.dual ? model.dual->tokenizer() : model.fusion->tokenizer();
  const fs::path target(dir);
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  if (ec) return IoError(target.parent_path().string() + ": cannot create: " + ec.message());
  std::random_device rd;
  const fs::path tmp =
      target.parent_path() / (target.filename().string() + ".tmp-" + std::to_string(::getpid()) +
                              "-" + std::to_string(rd()));
  fs::create_directories(tmp, ec);
  if (ec) return IoError(tmp.string() + ": cannot create: " + ec.message());
  try {
    torch::serialize::OutputArchive archive;
    torch::nn::Module& module = ModuleOf(model);
    for (const auto& item : module.named_parameters(true)) {
      archive.write(item.key(), item.value().detach().to(torch::kCPU));
    }
    for (const auto& item : module.named_buffers(true)) {
      archive.write(item.key(), item.value().to(torch::kCPU), /*is_buffer=*/true);
    }
    archive.save_to((tmp / "weights.pt").string());
  } catch (const c10::Error& e) {
    fs::remove_all(tmp, ec);
    return IoError((tmp / "weights.pt").string() + ": cannot write: " + e.what_without_backtrace());
  }
  nlohmann::json meta = {{"format", kCheckpointFormat},
                         {"spec", spec.CanonicalJson()},
                         {"hash", spec.Hash()},
                         {"vocabulary", tok.words()},
                         {"training", training}};
  {
    std::ofstream out(tmp / "spec.json");
    out << meta.dump(2) << "\n";
    if (!out) {
      fs::remove_all(tmp, ec);
      return IoError((tmp / "spec.json").string() + ": cannot write");
    }
  }
  fs::rename(tmp, target, ec);
  if (ec) {
    fs::remove_all(tmp, ec);
    // Another process finished the same spec first: its checkpoint stands.
    if (fs::exists(target / "spec.json")) return Status::Ok();
    return IoError(target.string() + ": cannot move checkpoint into place");
  }
  return Status::Ok();
}

Result<PretrainedModel> LoadCheckpoint(const std::string& dir, PretrainSpec* spec_out) {
  const fs::path root(dir);
  const fs::path meta_path = root / "spec.json";
  const fs::path weights_path = root / "weights.pt";
  std::ifstream in(meta_path);
  if (!in) return NotFound(meta_path.string() + ": checkpoint metadata not found");
  nlohmann::json meta;
  try {
    meta = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    return Corruption(meta_path.string() + ": not valid JSON: " + e.what());
  }
  if (!meta.is_object() || meta.value("format", "") != kCheckpointFormat) {
    return Corruption(meta_path.string() + ": field \"format\" is not \"" +
                      std::string(kCheckpointFormat) + "\"");
  }
  if (!meta.contains("spec") || !meta["spec"].is_object() || !meta["spec"].contains("kind")) {
    return Corruption(meta_path.string() + ": field \"spec\" missing or not an object");
  }
  auto base = DefaultPretrainSpec(meta["spec"].value("kind", ""));
  if (!base.ok())
    return Corruption(meta_path.string() + ": field \"spec.kind\": " + base.status().message());
  auto spec = PretrainSpecFromJson(meta["spec"], *base, meta_path.string() + ": spec");
  if (!spec.ok()) return Corruption(spec.status().message());
  if (meta.value("hash", "") != spec->Hash()) {
    return Corruption(meta_path.string() + ": field \"hash\" does not match the spec");
  }
  if (!meta.contains("vocabulary") || !meta["vocabulary"].is_array()) {
    return Corruption(meta_path.string() + ": field \"vocabulary\" missing or not a list");
  }
  std::vector<std::string> words;
  for (const auto& w : meta["vocabulary"]) {
    if (!w.is_string())
      return Corruption(meta_path.string() + ": field \"vocabulary\" holds a non-string");
    words.push_back(w.get<std::string>());
  }
  auto tok = Tokenizer::FromWords(std::move(words));
  if (!tok.ok())
    return Corruption(meta_path.string() + ": field \"vocabulary\": " + tok.status().message());

  PretrainedModel model;
  if (spec->kind == "tiny-clip") {
    model.dual = std::make_shared<TinyClip>(*spec, *tok);
  } else {
    model.fusion = std::make_shared<TinyFusion>(*spec, *tok);
  }
  if (!fs::exists(weights_path))
    return NotFound(weights_path.string() + ": checkpoint weights not found");
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(weights_path.string());
    torch::NoGradGuard no_grad;
    torch::nn::Module& module = ModuleOf(model);
    for (auto& item : module.named_parameters(true)) {
      torch::Tensor value;
      if (!archive.try_read(item.key(), value)) {
        return Corruption(weights_path.string() + ": parameter \"" + item.key() + "\" missing");
      }
      if (value.sizes() != item.value().sizes()) {
        return Corruption(weights_path.string() + ": parameter \"" + item.key() +
                          "\" has the wrong shape");
      }
      item.value().copy_(value);
    }
    for (auto& item : module.named_buffers(true)) {
      torch::Tensor value;
      if (!archive.try_read(item.key(), value, /*is_buffer=*/true)) {
        return Corruption(weights_path.string() + ": buffer \"" + item.key() + "\" missing");
      }
      item.value().copy_(value);
    }
  } catch (const c10::Error& e) {
    return Corruption(weights_path.string() +
                      ": cannot read weights: " + e.what_without_backtrace());
  }
  if (model.dual) model.dual->SetTraining(false);
  if (model.fusion) model.fusion->SetTraining(false);
  if (meta.contains("training") && meta["training"].is_object()) {
    model.stats.seconds = meta["training"].value("seconds", 0.0);
    model.stats.steps_per_second = meta["training"].value("steps_per_second", 0.0);
  }
  if (spec_out != nullptr) *spec_out = *spec;
  return model;
}

}  // namespace chromatune::models
