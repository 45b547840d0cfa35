// SearchSpace: the parameters a search (random or TPE) chooses for one method, with their
// distributions, in the form the plan writes into each item and the coordinator reads back.
//
// A method parameter written as a distribution ({uniform|log_uniform|int_uniform|choice})
// is one dimension; a list (grid sweep) is a choice dimension in random and TPE search, as
// random search has always treated it (docs/sweeps.md, plan rule 7). Fixed and per-shot
// values are not searched. Pure data and arithmetic: no I/O, thread-compatible.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "experiments/sweep/param_sampler.h"
#include "experiments/sweep/spec.h"

namespace chromatune::search {

enum class DimensionKind { kUniform, kLogUniform, kInt, kChoice };

struct Dimension {
  std::string name;
  DimensionKind kind = DimensionKind::kUniform;
  double low = 0.0;  // kUniform, kLogUniform (> 0), kInt (both ends included)
  double high = 0.0;
  std::vector<nlohmann::json> choices;  // kChoice: at least one
};

struct SearchSpace {
  std::vector<Dimension> dims;  // in the method catalog's parameter order
  bool empty() const { return dims.empty(); }
};

// The searched parameters of `method` (distributions and lists), in `param_order`.
SearchSpace SpaceOfMethod(const MethodSpec& method, const std::vector<std::string>& param_order);

// [{"name", "kind": "uniform"|"log_uniform"|"int"|"choice", "low", "high"} | {..., "values"}].
nlohmann::json SearchSpaceToJson(const SearchSpace& space);
// Inverse; kInvalidArgument naming the entry for anything malformed.
Result<SearchSpace> SearchSpaceFromJson(const nlohmann::json& json);

// One configuration drawn from the prior (the distributions as written): {name: value}.
// The transforms are ParamSampler's (plan rule 8), so random search and TPE's startup draws
// agree on what a distribution means.
nlohmann::json DrawFromPrior(const SearchSpace& space, ParamSampler& sampler);

// A generator seed for draw number `index` of a search seeded by `seed` (suggestions do not
// depend on how many random numbers earlier suggestions consumed).
uint64_t SuggestionSeed(uint64_t seed, int64_t index);

}  // namespace chromatune::search
