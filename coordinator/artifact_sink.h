// ArtifactSink: where the coordinator writes a completed trial's arrays before it marks
// the trial done (the coordinator is the only writer of HDF5, DESIGN.md). The production
// sink is the HDF5 artifact store (hdf5_artifact_sink.h); tests inject failing sinks.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "experiments/trial_result.h"

namespace chromatune::coordinator {

class ArtifactSink {
 public:
  virtual ~ArtifactSink() = default;
  // Stores the result's arrays (and curves) of trial `trial_id` of `sweep`, whole or not
  // at all. Called only for the current attempt, at most once per trial that completes.
  virtual Status WriteTrial(const std::string& sweep, int64_t trial_id, int attempt,
                            const nlohmann::json& item, const TrialResult& result) = 0;
};

}  // namespace chromatune::coordinator
