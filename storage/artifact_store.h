// ArtifactStore: the HDF5 artifact store, one file per result store with a group per sweep
// (docs/hdf5-layout.md): `runs/demo.sqlite` keeps its arrays in `runs/demo.h5`.
//
// Under /sweeps/<sweep group>/trials, a group trial-<id zero-padded to 8> per trial holds
// the curves (one group per curve with extendible, chunked, deflated `step` and `value`
// datasets), every NamedArray of the TrialResult under arrays/ (predictions, learned prompt
// vectors, CPT per-colour scores, ...; float32, chunked and deflated, chunks <= 256 KiB,
// well under HDF5's 1 MiB chunk cache) and the trial's plan item as attributes (key,
// method, shots, seeds, each scalar parameter as param.<name>, the whole item and params as
// JSON strings). The sweep group's `sweep` attribute holds the exact sweep name.
//
// Atomicity: each WriteTrials call is one session of the journaling driver
// (storage/hdf5_journal.h) over the whole file: its trials (and a new sweep group) appear
// whole or not at all, even when the process is killed mid-write or the disk fills up; the
// next read-write open rolls an interrupted session back. Writing a trial that exists
// replaces it. The file is opened per call and closed after it, so read-only users
// (dashboard, scripts, h5dump) can open it between writes; an open conflicting with a write
// in progress fails with kUnavailable. One file is safe because there is one writer: the
// coordinator, which serializes its writes (a second writer process gets kUnavailable).
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
  // The artifact file of the result store at `db_path`: its extension .sqlite, .sqlite3 or
  // .db replaced by .h5, any other name with .h5 appended (runs/demo.sqlite -> runs/demo.h5).
  static std::string DefaultPathFor(const std::string& db_path);

  // The name of a sweep's group under /sweeps: the name itself when it is made of letters,
  // digits and . _ - + (not starting with '.'); any other name becomes `<name with unsafe
  // characters as '_'>-<12 hex of its SHA-256>`, so free-text names stay valid, distinct
  // HDF5 link names. kInvalidArgument only for an empty name.
  static Result<std::string> GroupFor(const std::string& sweep);

  // A handle on the artifacts of `sweep` (non-empty) in the file at `path`. Read-write:
  // creates the file (atomically: written under a temporary name, then renamed) if missing,
  // else rolls back an interrupted write; the sweep's group is created by its first write.
  // Read-only: a sweep without a group has no trials. Errors name the path: kCorruption (not
  // an HDF5 file), kFailedPrecondition (an HDF5 file that is not a chromatune artifact file,
  // or of another layout version, or whose group for this name holds another sweep),
  // kPermissionDenied (read-only directory or file), kNotFound (read-only and missing),
  // kUnavailable (another process is writing it).
  static Result<std::unique_ptr<ArtifactStore>> Open(const std::string& path,
                                                     const std::string& sweep, StoreMode mode);

  const std::string& path() const { return path_; }
  const std::string& sweep() const { return sweep_; }

  // Writes the trials in one all-or-nothing session. Bad arrays (shape does not match the
  // data, empty or duplicate names, '/' in a name) are refused before anything is written.
  Status WriteTrials(const std::vector<TrialArtifactsRef>& trials);
  Status WriteTrial(int64_t trial_id, int attempt, const nlohmann::json& item,
                    const TrialResult& result);

  // Ids of the sweep's trials stored, ascending.
  Result<std::vector<int64_t>> ListTrials();
  // kNotFound when the trial has no artifacts.
  Result<TrialArtifacts> ReadTrial(int64_t trial_id);

 private:
  ArtifactStore(std::string path, std::string sweep, std::string group, StoreMode mode)
      : path_(std::move(path)), sweep_(std::move(sweep)), group_(std::move(group)), mode_(mode) {}
  std::string path_;
  std::string sweep_;
  std::string group_;  // "sweeps/<GroupFor(sweep)>"
  StoreMode mode_;
};

}  // namespace chromatune
