// The device communicator of a trial (TrialContext::device_comm, experiments/runner.h): NCCL
// for trials whose tensors are on GPUs, bootstrapped over the trial's MPI communicator.
#pragma once

#include <functional>
#include <memory>

#include "common/communicator.h"
#include "common/status.h"

namespace chromatune::worker {

// A TrialContext::device_comm for a trial whose ranks talk over `bootstrap`: the first call
// creates an NCCL communicator over bootstrap's ranks on the given CUDA device (a collective:
// every rank calls it at the same point) and keeps it in *holder, which must outlive the
// trial; later calls return it. Empty where this binary was built without NCCL (then CUDA
// trials of several ranks fail with a message saying so, experiments/methods/trainer.cc).
std::function<Result<Communicator*>(int device)> DeviceCommFor(
    Communicator& bootstrap, std::unique_ptr<Communicator>* holder);

}  // namespace chromatune::worker
