// Fuzzes the sweep file loader and validator (experiments/sweep/spec.h) and, for a file that
// validates into a small plan, the planner (plan.h): nothing may throw or crash, a rejected
// file is one kInvalidArgument whose lines name the origin, and a plan's JSON is valid.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "experiments/sweep/plan.h"
#include "experiments/sweep/spec.h"

using namespace chromatune;

namespace {

void Die(const std::string& what) {
  std::fprintf(stderr, "sweep_spec_fuzz: %s\n", what.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto spec = ParseSweep(text, "fuzz.yaml");
  if (!spec.ok()) {
    if (spec.status().message().find("fuzz.yaml") == std::string::npos) {
      Die("an error that does not name the file: " + spec.status().ToString());
    }
    return 0;
  }
  // Plans of a few thousand trials at most: the bound is what the server checks first too.
  const int64_t bound = CountPlanUpperBound(*spec);
  if (bound < 0) Die("negative plan bound");
  if (bound > 4096) return 0;
  auto plan = PlanSweep(*spec);
  if (!plan.ok()) return 0;
  const std::string json = PlanJsonText(*plan);
  if (nlohmann::json::parse(json, nullptr, false).is_discarded()) Die("plan JSON does not parse");
  return 0;
}
