// Builtin backbones pretrained on a device: LoadOrPretrain / LoadOrPretrainSpec of
// backbone.h, whose missing checkpoint is pretrained on `device` ("cpu" or "cuda:N", a
// resolved DeviceChoice::str(): device_choice.h) instead of the CPU. What they return and
// cache is the same: the weights come back on the CPU (pretrain.h, PretrainOptions::device)
// and the caller moves them where its trials run. The checkpoint's key holds no device: a
// GPU-pretrained checkpoint serves CPU trials and the reverse (equal up to floating-point
// rounding; docs/decisions.md, issue 16).
#pragma once

#include <memory>
#include <string>

#include "common/communicator.h"
#include "common/status.h"
#include "experiments/models/backbone.h"
#include "experiments/models/pretrain_spec.h"

namespace chromatune::models {

Result<std::shared_ptr<Backbone>> LoadOrPretrainOn(const std::string& name,
                                                   const std::string& cache_dir, Communicator* comm,
                                                   const ProgressFn& progress,
                                                   const std::string& device);

Result<std::shared_ptr<Backbone>> LoadOrPretrainSpecOn(const PretrainSpec& spec,
                                                       const std::string& cache_dir,
                                                       Communicator* comm,
                                                       const ProgressFn& progress,
                                                       const std::string& device);

}  // namespace chromatune::models
