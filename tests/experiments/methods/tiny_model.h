// A small untrained TinyClip for fast component tests (weights random; frozen like the
// trial engine freezes a cached backbone). Test-only.
#pragma once

#include <memory>

#include "experiments/models/tiny_clip.h"

namespace chromatune::methods {

inline std::shared_ptr<models::TinyClip> TinyModel(int64_t context_length = 16) {
  torch::manual_seed(1);
  models::PretrainSpec spec;
  spec.image_size = 32;
  spec.conv_widths = {8, 16, 16};
  spec.vision_layers = 2;
  spec.vision_heads = 2;
  spec.text_width = 16;
  spec.text_layers = 1;
  spec.text_heads = 2;
  spec.context_length = context_length;
  spec.embed_dim = 16;
  auto m = std::make_shared<models::TinyClip>(spec, models::Tokenizer::Builtin());
  for (auto& p : m->parameters()) p.requires_grad_(false);
  m->SetTraining(false);
  return m;
}

}  // namespace chromatune::methods
