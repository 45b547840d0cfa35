// TextSide: how a method turns prompt requests (class names or expressions, colours) into
// L2-normalised text features [K, D] with a dual encoder.
//   Templates  hand-written prompts, frozen: one template is CLIP's zero-shot prompt; several
//              are CLIP's prompt ensemble (the mean of the normalised features of every
//              template, normalised again). Features are cached per request.
//   Learned    a PromptLearner (CoOp context, CPT prompt tuning) spliced into the token
//              embeddings; its context table is the trained tensor.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "common/status.h"
#include "experiments/methods/prompt_learner.h"
#include "experiments/methods/prompt_text.h"
#include "experiments/models/backbone.h"

namespace chromatune::methods {

class TextSide {
 public:
  virtual ~TextSide() = default;
  // Errors when a request cannot be encoded (e.g. too long for the learned context).
  virtual Status Check(const std::vector<TextRequest>& requests) const = 0;
  virtual torch::Tensor Encode(const std::vector<TextRequest>& requests) = 0;
  virtual std::vector<torch::Tensor> Parameters() { return {}; }
  // The learner of a Learned side, nullptr otherwise.
  virtual const PromptLearner* learner() const { return nullptr; }
};

std::unique_ptr<TextSide> MakeTemplateTextSide(std::shared_ptr<models::VisionLanguageModel> m,
                                               std::vector<std::string> templates);
std::unique_ptr<TextSide> MakeLearnedTextSide(std::shared_ptr<models::VisionLanguageModel> m,
                                              PromptLearner learner);

// The dual encoder's TokenEmbedding as a function (for PromptLearner).
std::function<torch::Tensor(const torch::Tensor&)> TokenEmbedder(
    std::shared_ptr<models::VisionLanguageModel> m);

}  // namespace chromatune::methods
