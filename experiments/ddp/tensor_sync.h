// Tensor collectives for data-parallel training: making replicas equal and checking that
// they are.
//
// Tensors must satisfy CheckReducibleTensors (float32, dense, contiguous, one device, no
// duplicates; CPU for "mpi", CUDA for "nccl"). Every rank calls these functions with tensors
// of the same shapes in the same order (they are collectives).
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "common/communicator.h"
#include "common/status.h"

namespace chromatune::ddp {

// kInvalidArgument naming the first tensor that the communicator `backend` cannot reduce.
Status CheckReducibleTensors(const std::vector<torch::Tensor>& tensors, const std::string& backend);

// Overwrites every rank's tensors with root's values (in place, without autograd). Used at
// the start of training for parameters and buffers (e.g. normalisation statistics).
Status BroadcastTensors(const std::vector<torch::Tensor>& tensors, Communicator* comm, int root);

// Checks that every rank holds bitwise the same values as rank 0. Returns ok on every rank,
// or kFailedPrecondition on every rank naming the first differing tensor and how many ranks
// differ from rank 0 in it. Costs one broadcast of all values plus one small all-reduce.
Status VerifyReplicas(const std::vector<torch::Tensor>& tensors, Communicator* comm);

}  // namespace chromatune::ddp
