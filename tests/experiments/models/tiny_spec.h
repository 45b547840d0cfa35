// A pretraining spec small enough for unit tests (a few steps in well under a second each).
#pragma once

#include "experiments/models/pretrain_spec.h"

namespace chromatune::models::testing {

inline PretrainSpec TinySpec(const std::string& kind = "tiny-clip") {
  PretrainSpec s;
  s.kind = kind;
  s.image_size = 32;
  s.conv_widths = {8, 16, 16};  // 8x8 patch grid
  s.vision_layers = 2;
  s.vision_heads = 2;
  s.text_width = 16;
  s.text_layers = 1;
  s.text_heads = 2;
  s.context_length = 12;
  s.embed_dim = 16;
  s.fusion_layers = 1;
  s.steps = 3;
  s.batch_size = 8;
  s.warmup_steps = 0;
  s.lr = 3e-3;
  s.threads = 1;
  return s;
}

}  // namespace chromatune::models::testing
