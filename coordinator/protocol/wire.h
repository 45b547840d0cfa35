// Wire form of a trial result in the coordinator protocol (docs/protocol.md): the JSON of
// TrialResultToJson, except that each array travels as binary (little-endian float32,
// base64) instead of a JSON number list, which is 3-4x smaller and exact.
//
//   {"metrics": {...}, "curves": [{"name","step","value"}...], "info": {...},
//    "wall_seconds": s,
//    "arrays": [{"name": "predictions", "shape": [N], "dtype": "f32le", "data_b64": "..."}]}
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "experiments/trial_result.h"

namespace chromatune::protocol {

nlohmann::json EncodeResult(const TrialResult& result);
// Errors name the field ("result.arrays[2].data_b64: length 7 is not a multiple of 4").
Result<TrialResult> DecodeResult(const nlohmann::json& j);

std::string Base64Encode(const std::string& bytes);
// kInvalidArgument on characters outside the alphabet or a bad length.
Result<std::string> Base64Decode(const std::string& text);

}  // namespace chromatune::protocol
