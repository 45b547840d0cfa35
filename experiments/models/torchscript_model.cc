#include "experiments/models/torchscript_model.h"

#include <cmath>

namespace chromatune::models {

TorchScriptModel::TorchScriptModel(std::string path, torch::jit::Module module, Tokenizer tokenizer)
    : path_(std::move(path)), module_(std::move(module)), tokenizer_(std::move(tokenizer)) {}

Result<std::shared_ptr<TorchScriptModel>> TorchScriptModel::Load(const std::string& path) {
  torch::jit::Module module;
  try {
    module = torch::jit::load(path, torch::kCPU);
  } catch (const c10::Error& e) {
    return InvalidArgument(path +
                           ": cannot load TorchScript module: " + e.what_without_backtrace());
  }
  for (const char* method : {"encode_image", "encode_text", "token_embedding",
                             "encode_text_from_embeddings", "vocabulary"}) {
    if (!module.find_method(method)) {
      return InvalidArgument(path + ": TorchScript module has no method \"" + std::string(method) +
                             "\"");
    }
  }
  for (const char* attr : {"image_size", "context_length"}) {
    if (!module.hasattr(attr) || !module.attr(attr).isInt()) {
      return InvalidArgument(path + ": TorchScript module has no int attribute \"" +
                             std::string(attr) + "\"");
    }
  }
  try {
    module.eval();
    std::vector<std::string> words;
    for (const auto& w : module.get_method("vocabulary")({}).toListRef())
      words.push_back(w.toStringRef());
    auto tok = Tokenizer::FromWords(std::move(words));
    if (!tok.ok()) return InvalidArgument(path + ": vocabulary(): " + tok.status().message());
    std::shared_ptr<TorchScriptModel> model(new TorchScriptModel(path, module, std::move(*tok)));
    model->image_size_ = module.attr("image_size").toInt();
    model->context_length_ = module.attr("context_length").toInt();
    // Probe the widths with one tiny forward pass.
    torch::NoGradGuard no_grad;
    auto enc = model->tokenizer_.Encode({"a"}, model->context_length_);
    auto emb = model->TokenEmbedding(enc.ids);
    model->token_width_ = emb.size(2);
    model->embed_dim_ = model->EncodeTextFromEmbeddings(emb, enc.eos_index).size(1);
    auto img = model->EncodeImage(torch::zeros({1, 3, model->image_size_, model->image_size_}), {});
    if (img.dim() != 2 || img.size(1) != model->embed_dim_) {
      return InvalidArgument(path +
                             ": encode_image and encode_text disagree on the embedding size");
    }
    return model;
  } catch (const c10::Error& e) {
    return InvalidArgument(path +
                           ": TorchScript module failed its probe: " + e.what_without_backtrace());
  }
}

torch::Tensor TorchScriptModel::EncodeImage(const torch::Tensor& images,
                                            const VisualPrompt& prompt) {
  TORCH_CHECK(prompt.empty(), name(), ": visual prompts are not supported by TorchScript models");
  return module_.get_method("encode_image")({images.to(device_, torch::kFloat32)}).toTensor();
}

torch::Tensor TorchScriptModel::TokenEmbedding(const torch::Tensor& ids) {
  return module_.get_method("token_embedding")({ids.to(device_, torch::kInt64)}).toTensor();
}

torch::Tensor TorchScriptModel::EncodeTextFromEmbeddings(const torch::Tensor& embeds,
                                                         const torch::Tensor& eos_index) {
  return module_
      .get_method("encode_text_from_embeddings")(
          {embeds.to(device_), eos_index.to(device_, torch::kInt64)})
      .toTensor();
}

torch::Tensor TorchScriptModel::LogitScale() {
  if (module_.hasattr("logit_scale") && module_.attr("logit_scale").isTensor()) {
    return module_.attr("logit_scale").toTensor().exp().clamp_max(100.0).reshape({});
  }
  return torch::full({}, 100.0, torch::TensorOptions().device(device_));
}

ParameterGroups TorchScriptModel::parameter_groups() {
  ParameterGroups g;
  g.image_blocks.emplace_back();
  g.text_blocks.emplace_back();
  for (const auto& p : module_.named_parameters(true)) {
    if (p.name == "logit_scale") {
      g.other.push_back(p.value);
    } else if (p.name.rfind("visual", 0) == 0) {
      g.image_blocks[0].push_back(p.value);
    } else {
      g.text_blocks[0].push_back(p.value);
    }
  }
  return g;
}

std::vector<torch::Tensor> TorchScriptModel::parameters() {
  std::vector<torch::Tensor> out;
  for (const auto& p : module_.parameters(true)) out.push_back(p);
  return out;
}

void TorchScriptModel::To(torch::Device device) {
  module_.to(device);
  device_ = device;
}

std::shared_ptr<VisionLanguageModel> TorchScriptModel::Clone() const {
  std::shared_ptr<TorchScriptModel> copy(
      new TorchScriptModel(path_, module_.deepcopy(), tokenizer_));
  copy->image_size_ = image_size_;
  copy->context_length_ = context_length_;
  copy->embed_dim_ = embed_dim_;
  copy->token_width_ = token_width_;
  copy->device_ = device_;
  return copy;
}

}  // namespace chromatune::models
