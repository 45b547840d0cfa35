// PatientBroadcastString: a string broadcast for ranks that may wait a long time (a worker
// group's ranks waiting for rank 0 to lease the next round). A blocking MPI_Bcast spins a
// core while it waits; this polls a non-blocking broadcast and sleeps in between (1 ms,
// growing to 20 ms), so idle groups leave the CPU to others. Collective over `comm`.
#pragma once

#include <string>

#include "common/status.h"
#include "worker/mpi_communicator.h"

namespace chromatune::worker {

Status PatientBroadcastString(MpiCommunicator& comm, std::string* s, int root);

}  // namespace chromatune::worker
