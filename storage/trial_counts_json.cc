#include "storage/trial_counts_json.h"

namespace chromatune {

nlohmann::json TrialCountsJson(const TrialCounts& c) {
  return {{"pending", c.pending}, {"leased", c.leased}, {"running", c.running},
          {"done", c.done},       {"failed", c.failed}, {"cancelled", c.cancelled},
          {"stopped", c.stopped}, {"total", c.total()}, {"finished", c.finished()}};
}

}  // namespace chromatune
