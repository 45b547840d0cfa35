#include "worker/device_comm.h"

#ifdef CHROMATUNE_HAVE_NCCL
#include "worker/nccl_communicator.h"
#endif

namespace chromatune::worker {

std::function<Result<Communicator*>(int device)> DeviceCommFor(
    Communicator& bootstrap, std::unique_ptr<Communicator>* holder) {
#ifdef CHROMATUNE_HAVE_NCCL
  return [&bootstrap, holder](int device) -> Result<Communicator*> {
    if (!*holder) {
      CT_ASSIGN_OR_RETURN(auto nccl, NcclCommunicator::Create(bootstrap, device));
      *holder = std::move(nccl);
    }
    return holder->get();
  };
#else
  (void)bootstrap;
  (void)holder;
  return {};
#endif
}

}  // namespace chromatune::worker
