// ArtifactStore: the HDF5 artifact store, one file per sweep (docs/hdf5-layout.md).
//
// Per trial, a group /trials/trial-<id zero-padded to 8> holds the curves (one group per
// curve with extendible, chunked, deflated `step` and `value` datasets), every NamedArray of
// the TrialResult under arrays/ (predictions, learned prompt vectors, CPT per-colour scores,
// ...; float32, chunked and deflated, chunks <= 256 KiB, well under HDF5's 1 MiB chunk
// cache) and the trial's plan item as attributes (key, method, shots, seeds, each scalar
// parameter as param.<name>, the whole item and params as JSON strings).
//
// Atomicity: each WriteTrials call is one session of the journaling driver
// (storage/hdf5_journal.h): its trials appear whole or not at all, even when the process is
// killed mid-write or the disk fills up; the next read-write open rolls an interrupted
// session back. Writing a trial that exists replaces it. The file is opened per call and
// closed after it, so read-only users (dashboard, scripts, h5dump) can open it between
// writes; an open conflicting with a write in progress fails with kUnavailable.
//
// The coordinator writes a result's arrays before it marks the trial done in SQLite
// (ResultStore::CheckCurrentAttempt first): a crash in between leaves arrays for a trial
// that runs again and whose next result replaces them.
//
// Thread safety: HDF5 is serial; every call takes a process-wide mutex, so stores may be
// used from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "experiments/trial_result.h"
#include "storage/result_store.h"

namespace chromatune {

// One trial to write. The references must outlive the WriteTrials call.
struct TrialArtifactsRef {
  int64_t trial_id;
  int attempt;                 // stored as an attribute (which attempt produced it)
  const nlohmann::json& item;  // the plan item (experiments/runner.h)
  const TrialResult& result;   // curves and arrays are written; metrics are SQLite's
};

// One trial as read back.
struct TrialArtifacts {
  int64_t trial_id = 0;
  int attempt = 0;
  nlohmann::json item;  // the plan item as written
  std::vector<CurvePoint> curves;
  std::vector<NamedArray> arrays;
};

class ArtifactStore {
 public:
  // `<dir>/<sweep>.h5` for a name of letters, digits and . _ - + (not starting with '.');
  // any other name maps to `<dir>/<name with unsafe characters as '_'>-<12 hex of its
  // SHA-256>.h5`, always inside `dir`. kInvalidArgument only for an empty name.
  static Result<std::string> PathFor(const std::string& dir, const std::string& sweep);

  // Read-write: creates the file (atomically: written under a temporary name, then renamed)
  // if missing, else rolls back an interrupted write. Errors name the path: kCorruption
  // (not an HDF5 file), kFailedPrecondition (an HDF5 file that is not a chromatune artifact
  // file, or of another sweep), kPermissionDenied (read-only directory or file), kNotFound
  // (read-only and missing), kUnavailable (another process is writing it).
  static Result<std::unique_ptr<ArtifactStore>> Open(const std::string& path,
                                                     const std::string& sweep, StoreMode mode);

  const std::string& path() const { return path_; }
  const std::string& sweep() const { return sweep_; }

  // Writes the trials in one all-or-nothing session. Bad arrays (shape does not match the
  // data, empty or duplicate names, '/' in a name) are refused before anything is written.
  Status WriteTrials(const std::vector<TrialArtifactsRef>& trials);
  Status WriteTrial(int64_t trial_id, int attempt, const nlohmann::json& item,
                    const TrialResult& result);

  // Ids of the trials stored, ascending.
  Result<std::vector<int64_t>> ListTrials();
  // kNotFound when the trial has no artifacts.
  Result<TrialArtifacts> ReadTrial(int64_t trial_id);

 private:
  ArtifactStore(std::string path, std::string sweep, StoreMode mode)
      : path_(std::move(path)), sweep_(std::move(sweep)), mode_(mode) {}
  std::string path_;
  std::string sweep_;
  StoreMode mode_;
};

}  // namespace chromatune
