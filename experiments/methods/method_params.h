// Typed parameters of every method, parsed from a plan item's "params". Each Parse* reports
// the first bad field as "params.FIELD: problem". A parameter the item leaves out takes its
// default from the method catalog (experiments/sweep/method_catalog.cc, WithDefaults): the
// one place defaults are stated, shared with the plan.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "datasets/colors.h"

namespace chromatune::methods {

// Optimisation of the trained methods (defaults: the catalog's, per method; CoOp's SGD,
// lr 0.002, cosine, batch 32 and its epochs schedule for most).
struct TrainParams {
  int64_t epochs = 0;
  double lr = 0.0;
  int64_t batch_size = 0;
  std::string optimizer;  // sgd | adamw
  std::string schedule;   // cosine | constant
  double momentum = 0.0;
  double weight_decay = 0.0;
  // The first warmup_epochs epochs run at the constant warmup_lr; the schedule (cosine over
  // all epochs) applies from then on, counted from epoch 0 (CoOp's ConstantWarmupScheduler).
  int64_t warmup_epochs = 0;
  double warmup_lr = 0.0;
  // Dynamic loss scaling (loss_scaler.h): set by the trial engine for precision fp16, never
  // a method parameter.
  bool loss_scaling = false;
};

// The catalog's optimisation defaults of `method` at `shots` shots, for code that builds a
// method's parameters itself (a default-constructed TrainParams is all zeros).
TrainParams DefaultTrainParams(const std::string& method, int64_t shots);

// What the Parse* below return. A default-constructed one holds zeros, not the method's
// defaults: ParseX(nlohmann::json::object()) gives those.
struct ZeroShotParams {
  std::string template_text;
};

struct EnsembleParams {
  std::vector<std::string> templates;  // each contains "{}"
};

struct CoopParams {
  int64_t ctx_len = 0;
  std::string class_position;  // end | middle | front
  bool csc = false;            // class-specific context
  std::string init;            // phrase; "" = random N(0, 0.02)
  TrainParams train;
};

struct VptParams {
  int64_t tokens = 0;
  bool deep = false;
  TrainParams train;
};

struct PadPromptParams {
  int64_t width = 0;  // pixels of learnable border
  TrainParams train;
};

// A colour by name from datasets::BlockPalette() (the colour words the backbones saw in
// pretraining), or "cpt-red": CPT's released marker (240,0,30), prompted as "red".
Result<datasets::NamedColor> ColorByName(const std::string& name);

struct CptParams {
  std::vector<datasets::NamedColor> colors;  // one colour or a palette
  double alpha = 0.0;
  std::string marker;  // block | mask
  std::string template_text;
  TrainParams train;  // epochs 0 = zero-shot
};

struct RedCircleParams {
  int64_t thickness = 0;
  datasets::NamedColor color;
  std::string template_text;
};

struct LinearProbeParams {
  TrainParams train;
};

struct FinetuneParams {
  int64_t last_k_blocks = 0;  // 0 = all layers
  std::string head;           // text (zero-shot init) | random
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
