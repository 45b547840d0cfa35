#include "common/communicator.h"

namespace chromatune {
namespace {

class DoneHandle final : public CollectiveHandle {
 public:
  Status Wait() override { return Status::Ok(); }
};

}  // namespace

Status Communicator::BroadcastString(std::string* s, int root) {
  uint64_t len = s->size();
  CT_RETURN_IF_ERROR(Broadcast(&len, sizeof(len), root));
  s->resize(len);
  if (len == 0) return Status::Ok();
  return Broadcast(s->data(), len, root);
}

std::unique_ptr<CollectiveHandle> LocalCommunicator::AllReduceSumAsync(float*, size_t) {
  return std::make_unique<DoneHandle>();
}

}  // namespace chromatune
