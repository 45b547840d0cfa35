#include "coordinator/store_fault.h"

namespace chromatune::coordinator {

bool IsStoreFault(const Status& s) {
  return s.code() == StatusCode::kResourceExhausted || s.code() == StatusCode::kUnavailable ||
         s.code() == StatusCode::kIoError;
}

Status RetryLater(const Status& s, const std::string& what) {
  if (s.ok() || !IsStoreFault(s)) return s;
  return Unavailable("the coordinator cannot " + what + " now: " + s.message() +
                     "; nothing was stored, send it again later");
}

}  // namespace chromatune::coordinator
