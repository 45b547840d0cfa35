// Round: the unit of work a worker group's rank 0 broadcasts to all its ranks: the trials
// it leased, each assigned a contiguous block of ranks (its sub-communicator), or "stop".
// All ranks run the round's trials at once and meet again when every trial has ended, so a
// group of R ranks runs several smaller trials side by side (gang scheduling).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace chromatune::worker {

struct RoundTrial {
  int64_t trial_id = 0;
  int attempt = 0;
  int first_rank = 0;  // ranks [first_rank, first_rank + ranks) run it
  int ranks = 1;
  nlohmann::json item;
  std::string lease_id;  // of the grant: rank 0 reports with it, every rank's crash note names it
};

struct Round {
  bool stop = false;  // the group exits
  std::vector<RoundTrial> trials;
};

std::string EncodeRound(const Round& round);
Result<Round> DecodeRound(const std::string& text);

// Assigns consecutive rank blocks to trials in order. kInvalidArgument when their ranks
// exceed `group_size` (the coordinator never leases that; a guard against a bad reply).
Status AssignRanks(std::vector<RoundTrial>* trials, int group_size);

// Index of the trial that `rank` runs, or -1 when the rank idles this round.
int SlotOf(const Round& round, int rank);

// What a slot's root rank sends back to rank 0: a result (wire form) or an error.
struct TrialOutcomeMessage {
  bool ok = false;
  nlohmann::json result;   // protocol::EncodeResult when ok
  std::string error;       // when !ok
  bool final = false;      // !ok and retrying cannot help (bad parameters)
  bool cancelled = false;  // stopped on request (drain or sweep cancel): release, not fail
};
std::string EncodeOutcome(const TrialOutcomeMessage& m);
Result<TrialOutcomeMessage> DecodeOutcome(const std::string& text);

}  // namespace chromatune::worker
