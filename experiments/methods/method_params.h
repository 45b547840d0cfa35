// Typed parameters of every method, parsed from a plan item's "params" (names and defaults
// as docs/sweeps.md and docs/methods.md list them). Each Parse* reports the first bad field
// as "params.FIELD: problem".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "datasets/colors.h"

namespace chromatune::methods {

// Optimisation of the trained methods. Defaults follow CoOp (SGD, lr 0.002, cosine,
// batch 32); epochs default to CoOp's schedule for the shot count (50/100/100/200/200 for
// 1/2/4/8/16 shots; 200 above, 50 below).
struct TrainParams {
  int64_t epochs = 0;
  double lr = 0.002;
  int64_t batch_size = 32;
  std::string optimizer = "sgd";    // sgd | adamw
  std::string schedule = "cosine";  // cosine | constant
  double momentum = 0.9;
  double weight_decay = 5e-4;
};

// CoOp's epochs for `shots` (per class).
int64_t CoopEpochsForShots(int64_t shots);

// Reads the TrainParams fields; `defaults` carries the method's own defaults.
Status ParseTrainParams(const nlohmann::json& params, TrainParams defaults, TrainParams* out);

struct ZeroShotParams {
  std::string template_text = "a photo of a {}.";
};

// CLIP's 7 ImageNet templates ("builtin:clip-7").
const std::vector<std::string>& Clip7Templates();

struct EnsembleParams {
  std::vector<std::string> templates;  // each contains "{}"
};

struct CoopParams {
  int64_t ctx_len = 16;
  std::string class_position = "end";  // end | middle | front
  bool csc = false;                    // class-specific context
  std::string init;                    // phrase; "" = random N(0, 0.02)
  TrainParams train;
};

struct VptParams {
  int64_t tokens = 8;
  bool deep = false;
  TrainParams train;
};

struct PadPromptParams {
  int64_t width = 4;  // pixels of learnable border
  TrainParams train;
};

// A colour by name from datasets::BlockPalette() (the colour words the backbones saw in
// pretraining), or "cpt-red": CPT's released marker (240,0,30), prompted as "red".
Result<datasets::NamedColor> ColorByName(const std::string& name);

struct CptParams {
  std::vector<datasets::NamedColor> colors;  // one colour or a palette
  double alpha = 127.0 / 255.0;
  std::string marker = "block";  // block | mask
  std::string template_text = "{query} is in [MASK] color.";
  TrainParams train;  // epochs 0 = zero-shot
};

struct RedCircleParams {
  int64_t thickness = 2;
  datasets::NamedColor color{"red", {255, 0, 0}};
  std::string template_text = "a photo of {query}.";
};

struct LinearProbeParams {
  TrainParams train;
};

struct FinetuneParams {
  int64_t last_k_blocks = 0;  // 0 = all layers
  std::string head = "text";  // text (zero-shot init) | random
  TrainParams train;
};

Result<ZeroShotParams> ParseZeroShot(const nlohmann::json& params);
Result<EnsembleParams> ParseEnsemble(const nlohmann::json& params);
Result<CoopParams> ParseCoop(const nlohmann::json& params, int64_t shots);
Result<VptParams> ParseVpt(const nlohmann::json& params, int64_t shots);
Result<PadPromptParams> ParsePadPrompt(const nlohmann::json& params, int64_t shots);
Result<CptParams> ParseCpt(const nlohmann::json& params);
Result<RedCircleParams> ParseRedCircle(const nlohmann::json& params);
Result<LinearProbeParams> ParseLinearProbe(const nlohmann::json& params);
Result<FinetuneParams> ParseFinetune(const nlohmann::json& params, int64_t shots);

}  // namespace chromatune::methods
