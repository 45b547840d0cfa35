// Private to the result store (storage/result_store*.cc): the state behind ResultStore.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "storage/result_store.h"
#include "storage/sqlite_db.h"

namespace chromatune {

class ResultStore::Impl {
 public:
  Impl(std::string path, StoreMode mode, StoreOptions options, std::unique_ptr<SqliteDb> db)
      : path_(std::move(path)), mode_(mode), options_(std::move(options)), db_(std::move(db)) {}

  int64_t Now() const { return options_.now_ms(); }
  Status CheckWritable() const;
  // A fresh lease id: "L<trial>.<attempt>.<32 hex digits>", 128 bits from OpenSSL's
  // RAND_bytes (a worker must present it with every report: nobody can guess it).
  // kInternal when the generator fails (nothing is leased then).
  static Result<std::string> NewLeaseId(int64_t trial_id, int attempt);

  // Inside an open transaction.
  Status InsertEvent(const std::string& kind, const std::string& message,
                     std::optional<int64_t> sweep_id, std::optional<int64_t> trial_id);
  Status InsertAudit(const std::string& user, const std::string& action, const std::string& sweep,
                     const std::string& detail);
  Result<TrialRecord> LoadTrial(int64_t trial_id);
  // Closes the current attempt of a leased/running trial with `outcome` and `error`.
  Status CloseAttempt(int64_t trial_id, int attempt, const std::string& outcome,
                      const std::string& error);
  Result<TrialCounts> Counts(int64_t sweep_id);
  // The steps of a sweep draft (storage/result_store_drafts.cc), inside an open transaction.
  Result<std::unique_ptr<SweepDraft>> BeginDraft(const NewSweep& sweep);
  Result<bool> StepDraft(SweepDraft* draft, int64_t max_rows);
  Result<SweepInfo> LoadSweep(const std::string& where, int64_t id, const std::string& name);

  std::mutex mu;
  std::string path_;
  StoreMode mode_;
  StoreOptions options_;
  std::unique_ptr<SqliteDb> db_;
  int schema_version_ = 0;
};

// The columns of TrialRecord in `trials t JOIN sweeps s`, in the order ReadTrialRow reads.
extern const char* const kTrialColumns;
TrialRecord ReadTrialRow(const SqliteStatement& stmt);

// Guards a non-ok state in messages: "trial 12 (attempt 3, state leased)".
std::string DescribeTrial(const TrialRecord& t);

}  // namespace chromatune
