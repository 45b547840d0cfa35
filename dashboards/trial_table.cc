#include "dashboards/trial_table.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <numeric>
#include <set>

#include "storage/param_text.h"

namespace chromatune::dashboards {
namespace {

using json = nlohmann::json;

// Orders kept per table; a query naming ever new metrics cannot grow the cache without bound.
constexpr size_t kMaxOrders = 32;

std::string Lower(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

}  // namespace

TrialTable::TrialTable(std::shared_ptr<const std::vector<TrialOutcome>> outcomes,
                       const std::vector<StoppedTrial>& stopped)
    : outcomes_(std::move(outcomes)) {
  for (const StoppedTrial& t : stopped) stopped_.emplace(t.trial_id, t);
  std::set<std::string> methods;
  for (const auto& o : *outcomes_) methods.insert(o.method);
  methods_.assign(methods.begin(), methods.end());
}

const std::vector<std::string>& TrialTable::SearchText() {
  if (search_text_.size() != outcomes_->size()) {
    search_text_.clear();
    search_text_.reserve(outcomes_->size());
    for (const auto& o : *outcomes_) {
      search_text_.push_back(
          Lower(o.method + " " + o.params.dump() + " " + ParamsText(o.params) + " " + o.state));
    }
  }
  return search_text_;
}

const std::vector<uint32_t>& TrialTable::Order(const std::string& sort, const std::string& metric,
                                               bool desc) {
  const std::string key = sort + "|" + (sort == "value" ? metric : "") + "|" + (desc ? "1" : "0");
  auto found = orders_.find(key);
  if (found != orders_.end()) return found->second;
  if (orders_.size() >= kMaxOrders) orders_.clear();

  const std::vector<TrialOutcome>& rows = *outcomes_;
  std::vector<uint32_t> order(rows.size());
  std::iota(order.begin(), order.end(), 0u);  // id order: ListOutcomes sorts by id
  if (sort == "id") {
    if (desc) std::reverse(order.begin(), order.end());
  } else if (sort == "method" || sort == "state") {
    const bool by_method = sort == "method";
    auto text = [&](uint32_t i) -> const std::string& {
      return by_method ? rows[i].method : rows[i].state;
    };
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
      return desc ? text(b) < text(a) : text(a) < text(b);
    });
  } else {
    // Numeric columns; a trial without the metric has no value (NaN).
    std::vector<double> keys(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      const TrialOutcome& o = rows[i];
      if (sort == "shots") {
        keys[i] = o.shots;
      } else if (sort == "data_seed") {
        keys[i] = static_cast<double>(o.data_seed);
      } else if (sort == "train_seed") {
        keys[i] = static_cast<double>(o.train_seed);
      } else {
        auto m = o.metrics.find(metric);
        keys[i] = m == o.metrics.end() ? std::nan("") : m->second;
      }
    }
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
      const bool missing_a = std::isnan(keys[a]), missing_b = std::isnan(keys[b]);
      if (missing_a != missing_b) return desc ? missing_a : missing_b;
      if (missing_a) return false;
      return desc ? keys[b] < keys[a] : keys[a] < keys[b];
    });
  }
  return orders_.emplace(key, std::move(order)).first->second;
}

Result<json> TrialTable::Page(const TrialQuery& query) {
  static const std::set<std::string> kSorts = {"id",         "method", "shots", "data_seed",
                                               "train_seed", "state",  "value"};
  if (!kSorts.count(query.sort)) {
    return InvalidArgument("query parameter \"sort\": unknown column \"" + query.sort +
                           "\" (id, method, shots, data_seed, train_seed, state, value)");
  }
  const std::vector<TrialOutcome>& rows = *outcomes_;
  const std::string q = Lower(query.q);
  const std::vector<std::string>* text = q.empty() ? nullptr : &SearchText();
  json out = {{"offset", query.offset},
              {"limit", query.limit},
              {"methods", methods_},
              {"rows", json::array()}};
  int64_t total = 0;
  for (uint32_t i : Order(query.sort, query.metric, query.desc)) {
    const TrialOutcome& o = rows[i];
    if (!query.state.empty() && o.state != query.state) continue;
    if (!query.method.empty() && o.method != query.method) continue;
    if (text != nullptr && (*text)[i].find(q) == std::string::npos) continue;
    if (total >= query.offset && total < query.offset + query.limit) {
      auto m = o.metrics.find(query.metric);
      json row = {{"id", o.trial_id},
                  {"method", o.method},
                  {"shots", o.shots},
                  {"data_seed", o.data_seed},
                  {"train_seed", o.train_seed},
                  {"state", o.state},
                  {"params", o.params},
                  {"params_text", ParamsText(o.params)},
                  {"value", m == o.metrics.end() ? json(nullptr) : json(m->second)}};
      if (auto s = stopped_.find(o.trial_id); s != stopped_.end()) {
        row["stopped_at_rung"] = s->second.rung;
        row["epochs_run"] = s->second.epochs_run;
      }
      out["rows"].push_back(std::move(row));
    }
    ++total;
  }
  out["total"] = total;
  return out;
}

}  // namespace chromatune::dashboards
