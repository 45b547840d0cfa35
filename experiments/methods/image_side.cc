#include "experiments/methods/image_side.h"

#include <cmath>

#include "experiments/models/image_tensor.h"

namespace chromatune::methods {
namespace {

constexpr int64_t kEncodeChunk = 256;

torch::Tensor Normalized(const torch::Tensor& x) {
  return torch::nn::functional::normalize(x, torch::nn::functional::NormalizeFuncOptions().dim(-1));
}

class FrozenImageSide final : public ImageSide {
 public:
  FrozenImageSide(std::shared_ptr<models::VisionLanguageModel> m, FeatureCache* cache)
      : model_(std::move(m)), cache_(cache) {}

  torch::Tensor Encode(const std::vector<const datasets::Image*>& images,
                       const std::vector<std::string>& keys) override {
    torch::NoGradGuard no_grad;
    return cache_->Get(keys, [&](const std::vector<int64_t>& positions) {
      std::vector<const datasets::Image*> todo;
      todo.reserve(positions.size());
      for (int64_t p : positions) todo.push_back(images[p]);
      return EncodeInChunks(todo, kEncodeChunk, [&](const torch::Tensor& batch) {
        return Normalized(model_->EncodeImage(batch));
      });
    });
  }
  models::VisionLanguageModel& model() override { return *model_; }

 private:
  std::shared_ptr<models::VisionLanguageModel> model_;
  FeatureCache* cache_;
};

class VptImageSide final : public ImageSide {
 public:
  VptImageSide(std::shared_ptr<models::VisionLanguageModel> m, torch::Tensor tokens, bool deep)
      : model_(std::move(m)), tokens_(std::move(tokens)), deep_(deep) {}

  torch::Tensor Encode(const std::vector<const datasets::Image*>& images,
                       const std::vector<std::string>&) override {
    models::VisualPrompt prompt;
    (deep_ ? prompt.deep : prompt.shallow) = tokens_;
    return Normalized(model_->EncodeImage(models::ImagesToTensor(images), prompt));
  }
  std::vector<torch::Tensor> Parameters() override { return {tokens_}; }
  models::VisionLanguageModel& model() override { return *model_; }

 private:
  std::shared_ptr<models::VisionLanguageModel> model_;
  torch::Tensor tokens_;
  bool deep_;
};

class PadImageSide final : public ImageSide {
 public:
  PadImageSide(std::shared_ptr<models::VisionLanguageModel> m, int64_t width)
      : model_(std::move(m)) {
    const int64_t s = model_->image_size();
    border_ = torch::zeros({1, 3, s, s}).requires_grad_(true);
    mask_ = torch::ones({1, 3, s, s});
    mask_.slice(2, width, s - width).slice(3, width, s - width).zero_();
  }

  torch::Tensor Encode(const std::vector<const datasets::Image*>& images,
                       const std::vector<std::string>&) override {
    torch::Tensor x = models::ImagesToTensor(images).to(model_->device());
    return Normalized(model_->EncodeImage(x + border_ * mask_.to(x.device())));
  }
  std::vector<torch::Tensor> Parameters() override { return {border_}; }
  models::VisionLanguageModel& model() override { return *model_; }

 private:
  std::shared_ptr<models::VisionLanguageModel> model_;
  torch::Tensor border_, mask_;
};

class FinetuneImageSide final : public ImageSide {
 public:
  FinetuneImageSide(std::shared_ptr<models::VisionLanguageModel> m,
                    std::vector<torch::Tensor> params)
      : model_(std::move(m)), params_(std::move(params)) {}

  torch::Tensor Encode(const std::vector<const datasets::Image*>& images,
                       const std::vector<std::string>&) override {
    return Normalized(model_->EncodeImage(models::ImagesToTensor(images)));
  }
  std::vector<torch::Tensor> Parameters() override { return params_; }
  void SetTraining(bool training) override { model_->SetTraining(training); }
  models::VisionLanguageModel& model() override { return *model_; }

 private:
  std::shared_ptr<models::VisionLanguageModel> model_;
  std::vector<torch::Tensor> params_;
};

}  // namespace

torch::Tensor EncodeInChunks(const std::vector<const datasets::Image*>& images, int64_t chunk,
                             const std::function<torch::Tensor(const torch::Tensor&)>& encode) {
  std::vector<torch::Tensor> parts;
  for (size_t start = 0; start < images.size(); start += chunk) {
    const size_t end = std::min(images.size(), start + static_cast<size_t>(chunk));
    std::vector<const datasets::Image*> part(images.begin() + start, images.begin() + end);
    parts.push_back(encode(models::ImagesToTensor(part)));
  }
  return torch::cat(parts);
}

std::unique_ptr<ImageSide> MakeFrozenImageSide(std::shared_ptr<models::VisionLanguageModel> m,
                                               FeatureCache* cache) {
  return std::make_unique<FrozenImageSide>(std::move(m), cache);
}

Result<std::unique_ptr<ImageSide>> MakeVptImageSide(std::shared_ptr<models::VisionLanguageModel> m,
                                                    int64_t tokens, bool deep) {
  if (!m->supports_visual_prompts()) {
    return InvalidArgument("method vpt: backbone " + m->name() +
                           " has no visual prompt support (use builtin:tiny-clip)");
  }
  const int64_t ev = m->vision_width();
  const double bound = std::sqrt(6.0 / (2.0 * static_cast<double>(ev)));
  std::vector<int64_t> shape = deep ? std::vector<int64_t>{m->vision_layers(), tokens, ev}
                                    : std::vector<int64_t>{tokens, ev};
  torch::Tensor t = (torch::rand(shape) * 2.0 - 1.0) * bound;
  t = t.to(m->device()).requires_grad_(true);
  std::unique_ptr<ImageSide> side = std::make_unique<VptImageSide>(std::move(m), t, deep);
  return side;
}

Result<std::unique_ptr<ImageSide>> MakePadImageSide(std::shared_ptr<models::VisionLanguageModel> m,
                                                    int64_t width) {
  if (2 * width >= m->image_size()) {
    return InvalidArgument("params.width: a border of " + std::to_string(width) +
                           " px leaves nothing of a " + std::to_string(m->image_size()) +
                           " px image (need 2 * width < image size)");
  }
  std::unique_ptr<ImageSide> side = std::make_unique<PadImageSide>(std::move(m), width);
  return side;
}

Result<std::unique_ptr<ImageSide>> MakeFinetuneImageSide(const models::VisionLanguageModel& m,
                                                         int64_t last_k_blocks) {
  std::shared_ptr<models::VisionLanguageModel> clone = m.Clone();
  for (auto& p : clone->parameters()) p.requires_grad_(false);
  const auto blocks = clone->parameter_groups().image_blocks;
  if (blocks.empty()) {
    return InvalidArgument("method finetune: backbone " + m.name() +
                           " exposes no image-tower parameters");
  }
  const int64_t n = static_cast<int64_t>(blocks.size());
  if (last_k_blocks > n) {
    return InvalidArgument("params.last_k_blocks: " + std::to_string(last_k_blocks) +
                           " exceeds the image tower's " + std::to_string(n) +
                           " entries (stem, blocks, head); use 0 for all");
  }
  const int64_t first = last_k_blocks == 0 ? 0 : n - last_k_blocks;
  std::vector<torch::Tensor> params;
  for (int64_t i = first; i < n; ++i) {
    for (auto& p : blocks[i]) {
      p.requires_grad_(true);
      params.push_back(p);
    }
  }
  std::unique_ptr<ImageSide> side =
      std::make_unique<FinetuneImageSide>(std::move(clone), std::move(params));
  return side;
}

}  // namespace chromatune::methods
