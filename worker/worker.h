// RunWorker: the loop of every rank of a worker group (`chromatune worker` under
// `mpirun -np R`). Rank 0 leases rounds of trials from the coordinator (worker/leader.h)
// and broadcasts each round over MPI; every rank runs its slot's trial through the
// TrialRunner on a sub-communicator of the trial's ranks; the outcomes come back to rank 0,
// which delivers them. SIGTERM drains: a trial that rank 0 runs alone is stopped and its
// lease released; others finish and are delivered; then every rank returns.
#pragma once

#include "common/status.h"
#include "experiments/runner.h"
#include "worker/mpi_communicator.h"
#include "worker/worker_options.h"

namespace chromatune::worker {

// `world` null: a one-rank group without MPI. Returns Ok after a drain; an MPI error
// otherwise (the group cannot go on; mpirun ends the other ranks).
Status RunWorker(const WorkerOptions& options, MpiCommunicator* world, TrialRunner& runner);

}  // namespace chromatune::worker
