// The code version that enters every trial key: bump kTrialCodeVersion whenever a change
// alters what a trial computes, so that the store stops reusing results of older code.
#pragma once

namespace chromatune {

inline constexpr const char* kChromatuneVersion = "0.1.0";
inline constexpr const char* kTrialCodeVersion = "trial-code-1";

}  // namespace chromatune
