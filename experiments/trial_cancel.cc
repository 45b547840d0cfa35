#include "experiments/trial_cancel.h"

#include <cstdint>

namespace chromatune {

Result<bool> CancelledEverywhere(TrialContext& ctx) {
  uint8_t flag = (ctx.comm->rank() == 0 && ctx.cancelled && ctx.cancelled()) ? 1 : 0;
  if (ctx.comm->size() > 1) CT_RETURN_IF_ERROR(ctx.comm->Broadcast(&flag, 1, 0));
  return flag != 0;
}

}  // namespace chromatune
