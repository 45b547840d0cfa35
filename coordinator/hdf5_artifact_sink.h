// The production ArtifactSink: the HDF5 artifact store (storage/artifact_store.h), one
// file per sweep, "<dir>/<sweep>.h5", each write one all-or-nothing session. Not
// thread-safe by itself: the Coordinator calls it under its mutex.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "coordinator/artifact_sink.h"

namespace chromatune::coordinator {

// Creates `dir` if missing (kIoError naming it when that fails).
Result<std::unique_ptr<ArtifactSink>> OpenHdf5ArtifactSink(const std::string& dir);

}  // namespace chromatune::coordinator
