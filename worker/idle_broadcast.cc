#include "worker/idle_broadcast.h"

#include <chrono>
#include <cstdint>
#include <thread>

namespace chromatune::worker {

Status PatientBroadcastString(MpiCommunicator& comm, std::string* s, int root) {
  uint64_t length = comm.rank() == root ? s->size() : 0;
  MPI_Request request;
  int rc = MPI_Ibcast(&length, 1, MPI_UINT64_T, root, comm.comm(), &request);
  if (rc != MPI_SUCCESS) return Internal(MpiErrorText("MPI_Ibcast", rc));
  auto nap = std::chrono::milliseconds(1);
  for (;;) {
    int done = 0;
    rc = MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS) return Internal(MpiErrorText("MPI_Test", rc));
    if (done) break;
    std::this_thread::sleep_for(nap);
    nap = std::min(nap * 2, std::chrono::milliseconds(20));
  }
  if (comm.rank() != root) s->resize(length);
  if (length == 0) return Status::Ok();
  return comm.Broadcast(s->data(), length, root);
}

}  // namespace chromatune::worker
