#include "worker/round.h"

namespace chromatune::worker {

std::string EncodeRound(const Round& round) {
  nlohmann::json trials = nlohmann::json::array();
  for (const auto& t : round.trials) {
    trials.push_back({{"trial_id", t.trial_id},
                      {"attempt", t.attempt},
                      {"first_rank", t.first_rank},
                      {"ranks", t.ranks},
                      {"item", t.item},
                      {"lease_id", t.lease_id}});
  }
  return nlohmann::json{{"stop", round.stop}, {"trials", std::move(trials)}}.dump();
}

Result<Round> DecodeRound(const std::string& text) {
  try {
    auto j = nlohmann::json::parse(text);
    Round round;
    round.stop = j.at("stop").get<bool>();
    for (const auto& t : j.at("trials")) {
      round.trials.push_back(RoundTrial{t.at("trial_id").get<int64_t>(), t.at("attempt").get<int>(),
                                        t.at("first_rank").get<int>(), t.at("ranks").get<int>(),
                                        t.at("item"), t.value("lease_id", "")});
    }
    return round;
  } catch (const nlohmann::json::exception& e) {
    return Internal(std::string("round message from rank 0 does not parse: ") + e.what());
  }
}

Status AssignRanks(std::vector<RoundTrial>* trials, int group_size) {
  int next = 0;
  for (auto& t : *trials) {
    if (t.ranks < 1 || next + t.ranks > group_size) {
      return InvalidArgument("trials of this round need more than the group's " +
                             std::to_string(group_size) + " ranks");
    }
    t.first_rank = next;
    next += t.ranks;
  }
  return Status::Ok();
}

int SlotOf(const Round& round, int rank) {
  for (size_t i = 0; i < round.trials.size(); ++i) {
    const auto& t = round.trials[i];
    if (rank >= t.first_rank && rank < t.first_rank + t.ranks) return static_cast<int>(i);
  }
  return -1;
}

std::string EncodeOutcome(const TrialOutcomeMessage& m) {
  return nlohmann::json{{"ok", m.ok},
                        {"result", m.result},
                        {"error", m.error},
                        {"final", m.final},
                        {"cancelled", m.cancelled}}
      .dump();
}

Result<TrialOutcomeMessage> DecodeOutcome(const std::string& text) {
  try {
    auto j = nlohmann::json::parse(text);
    TrialOutcomeMessage m;
    m.ok = j.at("ok").get<bool>();
    m.result = j.at("result");
    m.error = j.at("error").get<std::string>();
    m.final = j.at("final").get<bool>();
    m.cancelled = j.at("cancelled").get<bool>();
    return m;
  } catch (const nlohmann::json::exception& e) {
    return Internal(std::string("trial outcome message does not parse: ") + e.what());
  }
}

}  // namespace chromatune::worker
