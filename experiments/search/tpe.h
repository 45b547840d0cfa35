// TPE: the tree-structured Parzen estimator (Bergstra et al. 2011, as in hyperopt and
// Optuna's default sampler, univariate), suggesting one configuration at a time from the
// results so far.
//
// The first `n_startup` suggestions (counted in finished observations) are draws from the
// prior, as random search would make them. After that, the observations are ordered best
// first and split: the best ceil(gamma * n) (at most max_good, at least 1) are "good", the
// rest "bad". Per dimension, a Parzen density l(x) is fitted to the good values and g(x) to
// the bad ones (Gaussians at each value with adaptive bandwidths, truncated to the range,
// plus one wide prior component; choices: smoothed frequencies); n_candidates values are
// drawn from l and the one with the largest l(x)/g(x) (the expected-improvement ratio) wins.
//
// Many workers ask at once: configurations suggested and still running are "constant
// liars" — added to the bad group, so that the next suggestion does not pile onto them.
//
// Deterministic: the suggestion depends only on (seed, index, observations in order,
// running configurations), never on the clock or on earlier calls. Pure: no I/O,
// thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "experiments/search/search_space.h"

namespace chromatune::search {

struct TpeOptions {
  // Suggestions drawn from the prior until this many observations have finished (Optuna's
  // default is 10; a budget of a few dozen configurations wants no more).
  int64_t n_startup = 10;
  // Fraction of the observations that form the good group (hyperopt's 0.25), at most
  // max_good of them (Optuna caps at 25: the good density stays sharp in long searches).
  double gamma = 0.25;
  int64_t max_good = 25;
  // Candidates drawn from l(x) per dimension (hyperopt and Optuna use 24).
  int64_t n_candidates = 24;
  // Weight of the prior component in both densities (Optuna's 1.0): keeps exploring.
  double prior_weight = 1.0;
};

// One finished configuration. Better = higher `level` (ASHA: how far it got; 0 without a
// scheduler), then higher `score` (the objective oriented so that larger is better: the
// replicate group's mean).
struct TpeObservation {
  nlohmann::json params;  // {name: value} of the searched dimensions
  int64_t level = 0;
  double score = 0.0;
};

// The suggestion number `index` (0, 1, ...) of a search seeded by `seed`: {name: value}
// for every dimension of `space`. `done` in the order the results arrived; `running`: the
// configurations suggested and not finished (constant liars).
nlohmann::json TpeSuggest(const SearchSpace& space, const TpeOptions& options, uint64_t seed,
                          int64_t index, const std::vector<TpeObservation>& done,
                          const std::vector<nlohmann::json>& running);

}  // namespace chromatune::search
