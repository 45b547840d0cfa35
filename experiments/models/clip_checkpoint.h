// Reading CLIP checkpoints as users have them into one flat map of named fp32 tensors with
// OpenAI's parameter names ("visual.conv1.weight", "transformer.resblocks.0.attn.in_proj_weight",
// "token_embedding.weight", ...).
//
// Accepted files (the format is told by the content, never by the extension):
//   - OpenAI's TorchScript archives as `clip.load` downloads them (ViT-B-32.pt, RN50.pt): the
//     parameters and buffers are read through torch::jit::load on the CPU; the graph (with
//     CUDA devices and fp16 baked in) is never run.
//   - a state dict written by torch.save (zip format): OpenAI's weights as clip.load(jit=False)
//     rebuilds them (with the int entries input_resolution, context_length, vocab_size, which
//     are dropped), open_clip's .pt/.bin files with or without a top-level "state_dict" entry
//     and "module." prefixes.
//   - .safetensors (open_clip's hub format): an 8-byte little-endian header length, a JSON
//     header {name: {dtype, shape, data_offsets}}, raw little-endian buffers (F32, F16, BF16).
// fp16 and bf16 weights are converted to fp32. Errors name the file and what is wrong
// (kNotFound, kInvalidArgument for a non-regular file, kCorruption for anything unreadable).
#pragma once

#include <map>
#include <string>

#include <torch/types.h>

#include "common/status.h"

namespace chromatune::models {

using StateDict = std::map<std::string, torch::Tensor>;

// Which of the accepted formats a file turned out to be ("openai-jit", "state-dict",
// "safetensors"), with its tensors.
struct ClipCheckpoint {
  std::string format;
  StateDict tensors;  // fp32, contiguous, CPU
};

Result<ClipCheckpoint> ReadClipCheckpoint(const std::string& path);

// The safetensors part on its own (also used by tests): parses `bytes` of a file named
// `origin` in errors.
Result<StateDict> ParseSafetensors(const std::string& bytes, const std::string& origin);

}  // namespace chromatune::models
