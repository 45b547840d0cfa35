// PromptLearner: learned continuous prompts in the text input (CoOp; CPT prompt tuning).
//
// A prompt is a layout of segments between [SOS] and [EOS]:
//   context  n learned vectors of the token-embedding width E,
//   name     the word tokens of the class name or referring expression (frozen),
//   color    the word tokens of the colour (frozen),
//   mask     the [MASK] token (frozen; a fusion model predicts it).
// CoOp (Zhou et al. 2022): M context vectors and the class name, with the class at the
// end ([SOS] ctx_1..ctx_M name [EOS]), front ([SOS] name ctx [EOS]) or middle
// ([SOS] ctx_1..ctx_{M/2} name ctx_{M/2+1}..ctx_M [EOS], M/2 rounded down, as CoOp). Unified
// context is shared by all classes ([M, E]); class-specific context (csc) has one set per
// class ([C, M, E]), chosen by TextRequest::class_id. Initialisation: N(0, 0.02), or an init
// phrase whose word embeddings fill the LAST context positions (next to the class name, so
// "a photo of a" reads as in the hand prompt) while the others stay random.
// CPT prompt tuning: the literal words of the template ("is in", "color") become context
// initialised from their own embeddings; {query} is a name segment, [MASK] a color segment
// (dual encoder) or a mask segment (fusion model).
//
// Literal template words become as many context vectors as the backbone's tokenizer makes
// of them (the word tokenizer drops punctuation; CLIP's BPE keeps it as tokens).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "common/status.h"
#include "experiments/methods/prompt_text.h"
#include "experiments/models/tokenizer.h"

namespace chromatune::methods {

struct PromptSegment {
  enum class Kind { kContext, kName, kColor, kMask };
  Kind kind = Kind::kContext;
  int64_t first = 0;  // kContext: index of its first vector in the context table
  int64_t count = 0;  // kContext: number of vectors
};

// The text input of a batch of prompts, ready for a text tower.
struct PromptBatch {
  torch::Tensor embeds;      // [K, T, E]
  torch::Tensor ids;         // [K, T] (context positions hold the placeholder id)
  torch::Tensor eos_index;   // [K]
  torch::Tensor mask_index;  // [K] position of [MASK] (or of the colour's first token), -1 if none
};

class PromptLearner {
 public:
  // `embed` maps ids [B, T] to token embeddings [B, T, E] (the backbone's TokenEmbedding);
  // `context` is the learned table [N, E] or [C, N, E] (csc), already requires_grad.
  PromptLearner(const models::TextTokenizer* tokenizer, int64_t context_length,
                std::function<torch::Tensor(const torch::Tensor&)> embed,
                std::vector<PromptSegment> layout, torch::Tensor context);

  // CoOp. Errors: an init phrase with more words than ctx_len, or unknown words in it.
  static Result<PromptLearner> Coop(const models::TextTokenizer* tokenizer, int64_t context_length,
                                    std::function<torch::Tensor(const torch::Tensor&)> embed,
                                    int64_t ctx_len, const std::string& class_position, bool csc,
                                    int64_t num_classes, const std::string& init);
  // CPT prompt tuning from a template with {query} and [MASK]; `mask_token` true keeps [MASK]
  // for a fusion model, false scores colour words with a dual encoder.
  static Result<PromptLearner> FromTemplate(
      const models::TextTokenizer* tokenizer, int64_t context_length,
      std::function<torch::Tensor(const torch::Tensor&)> embed, const std::string& templ,
      bool mask_token);

  // Errors when a request does not fit the context length or names a bad class_id (csc).
  Status Check(const std::vector<TextRequest>& requests) const;
  // Assumes Check passed.
  PromptBatch Build(const std::vector<TextRequest>& requests) const;

  const torch::Tensor& context() const { return context_; }
  bool class_specific() const { return context_.dim() == 3; }
  // The vocabulary word nearest (Euclidean, as CoOp's interpret_prompt.py) to each context
  // vector, in table order (class by class for csc).
  std::vector<std::string> NearestWords() const;

 private:
  const models::TextTokenizer* tokenizer_;
  int64_t context_length_;
  std::function<torch::Tensor(const torch::Tensor&)> embed_;
  std::vector<PromptSegment> layout_;
  torch::Tensor context_;
};

}  // namespace chromatune::methods
