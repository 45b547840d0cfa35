// The production ArtifactSink: the HDF5 artifact store (storage/artifact_store.h), one file
// with a group per sweep (runs/demo.h5 next to runs/demo.sqlite), each write one
// all-or-nothing session. Not thread-safe by itself: the Coordinator calls it under its
// mutex, which makes it the file's single writer.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "coordinator/artifact_sink.h"

namespace chromatune::coordinator {

// Writes to the HDF5 file at `path` (created at the first write); creates its directory if
// missing (kIoError naming it when that fails).
Result<std::unique_ptr<ArtifactSink>> OpenHdf5ArtifactSink(const std::string& path);

}  // namespace chromatune::coordinator
