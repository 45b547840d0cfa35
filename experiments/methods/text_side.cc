#include "experiments/methods/text_side.h"

#include <algorithm>

namespace chromatune::methods {
namespace {

torch::Tensor Normalized(const torch::Tensor& x) {
  return torch::nn::functional::normalize(x, torch::nn::functional::NormalizeFuncOptions().dim(-1));
}

class TemplateTextSide final : public TextSide {
 public:
  static constexpr size_t kChunk = 1024;  // sentences encoded at once (bounded memory)

  TemplateTextSide(std::shared_ptr<models::VisionLanguageModel> m,
                   std::vector<std::string> templates)
      : model_(std::move(m)), templates_(std::move(templates)) {}

  // Every filled template must fit the text tower: nothing is cut silently.
  Status Check(const std::vector<TextRequest>& requests) const override {
    std::vector<std::string> sentences;
    for (const auto& r : requests) {
      for (const auto& t : templates_) sentences.push_back(FillTemplate(t, r.name, r.color));
    }
    return model_->tokenizer().CheckFits(sentences, model_->context_length());
  }

  torch::Tensor Encode(const std::vector<TextRequest>& requests) override {
    torch::NoGradGuard no_grad;
    std::vector<std::string> todo_keys;
    std::vector<std::string> sentences;
    for (const auto& r : requests) {
      const std::string key = r.name + '\x1f' + r.color;
      if (cache_.count(key) ||
          std::find(todo_keys.begin(), todo_keys.end(), key) != todo_keys.end())
        continue;
      todo_keys.push_back(key);
      for (const auto& t : templates_) sentences.push_back(FillTemplate(t, r.name, r.color));
    }
    if (!sentences.empty()) {
      const int64_t nt = static_cast<int64_t>(templates_.size());
      std::vector<torch::Tensor> parts;
      for (size_t i = 0; i < sentences.size(); i += kChunk) {
        std::vector<std::string> part(sentences.begin() + i,
                                      sentences.begin() + std::min(sentences.size(), i + kChunk));
        parts.push_back(Normalized(model_->EncodeTexts(part)).to(torch::kCPU));
      }
      torch::Tensor feats = torch::cat(parts);
      feats = Normalized(feats.view({-1, nt, feats.size(-1)}).mean(1));
      for (size_t i = 0; i < todo_keys.size(); ++i) {
        cache_[todo_keys[i]] = feats[static_cast<int64_t>(i)];
      }
    }
    std::vector<torch::Tensor> rows;
    for (const auto& r : requests) rows.push_back(cache_.at(r.name + '\x1f' + r.color));
    return torch::stack(rows).to(model_->device());
  }

 private:
  std::shared_ptr<models::VisionLanguageModel> model_;
  std::vector<std::string> templates_;
  std::map<std::string, torch::Tensor> cache_;
};

class LearnedTextSide final : public TextSide {
 public:
  LearnedTextSide(std::shared_ptr<models::VisionLanguageModel> m, PromptLearner learner)
      : model_(std::move(m)), learner_(std::move(learner)) {}

  Status Check(const std::vector<TextRequest>& requests) const override {
    return learner_.Check(requests);
  }
  torch::Tensor Encode(const std::vector<TextRequest>& requests) override {
    PromptBatch b = learner_.Build(requests);
    return Normalized(model_->EncodeTextFromEmbeddings(b.embeds, b.eos_index));
  }
  std::vector<torch::Tensor> Parameters() override { return {learner_.context()}; }
  const PromptLearner* learner() const override { return &learner_; }

 private:
  std::shared_ptr<models::VisionLanguageModel> model_;
  PromptLearner learner_;
};

}  // namespace

std::unique_ptr<TextSide> MakeTemplateTextSide(std::shared_ptr<models::VisionLanguageModel> m,
                                               std::vector<std::string> templates) {
  return std::make_unique<TemplateTextSide>(std::move(m), std::move(templates));
}

std::unique_ptr<TextSide> MakeLearnedTextSide(std::shared_ptr<models::VisionLanguageModel> m,
                                              PromptLearner learner) {
  return std::make_unique<LearnedTextSide>(std::move(m), std::move(learner));
}

std::function<torch::Tensor(const torch::Tensor&)> TokenEmbedder(
    std::shared_ptr<models::VisionLanguageModel> m) {
  return [m](const torch::Tensor& ids) { return m->TokenEmbedding(ids); };
}

}  // namespace chromatune::methods
