#include "experiments/methods/head.h"

namespace chromatune::methods {
namespace {

class CosineHead final : public Head {
 public:
  explicit CosineHead(torch::Tensor scale) : scale_(scale.detach()) {}
  torch::Tensor Classify(const torch::Tensor& image, const torch::Tensor& text) override {
    return scale_.to(image.device()) * image.matmul(text.t());
  }
  torch::Tensor Pair(const torch::Tensor& image, const torch::Tensor& text) override {
    return scale_.to(image.device()) * (image * text).sum(-1);
  }

 private:
  torch::Tensor scale_;
};

class LinearHead final : public Head {
 public:
  explicit LinearHead(const torch::Tensor& weight)
      : weight_(weight.detach().clone().requires_grad_(true)),
        bias_(torch::zeros({weight.size(0)}, weight.options()).requires_grad_(true)) {}
  torch::Tensor Classify(const torch::Tensor& image, const torch::Tensor&) override {
    return torch::addmm(bias_, image, weight_.t());
  }
  std::vector<torch::Tensor> Parameters() override { return {weight_, bias_}; }

 private:
  torch::Tensor weight_, bias_;
};

class BilinearHead final : public Head {
 public:
  BilinearHead(int64_t dim, torch::Tensor scale)
      : weight_(torch::eye(dim).requires_grad_(true)), scale_(scale.detach()) {}
  torch::Tensor Classify(const torch::Tensor& image, const torch::Tensor& text) override {
    return scale_.to(image.device()) * Map(image).matmul(text.t());
  }
  torch::Tensor Pair(const torch::Tensor& image, const torch::Tensor& text) override {
    return scale_.to(image.device()) * (Map(image) * text).sum(-1);
  }
  std::vector<torch::Tensor> Parameters() override { return {weight_}; }

 private:
  torch::Tensor Map(const torch::Tensor& image) {
    return torch::nn::functional::normalize(image.matmul(weight_.to(image.device())),
                                            torch::nn::functional::NormalizeFuncOptions().dim(-1));
  }
  torch::Tensor weight_, scale_;
};

}  // namespace

torch::Tensor Head::Pair(const torch::Tensor&, const torch::Tensor&) {
  TORCH_CHECK(false, "this head scores classes, not (image, text) pairs");
  return {};
}

std::unique_ptr<Head> MakeCosineHead(torch::Tensor logit_scale) {
  return std::make_unique<CosineHead>(std::move(logit_scale));
}
std::unique_ptr<Head> MakeLinearHead(const torch::Tensor& weight) {
  return std::make_unique<LinearHead>(weight);
}
std::unique_ptr<Head> MakeBilinearHead(int64_t dim, torch::Tensor logit_scale) {
  return std::make_unique<BilinearHead>(dim, std::move(logit_scale));
}

}  // namespace chromatune::methods
