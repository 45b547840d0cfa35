// How the result store keeps plan items without a copy of each one.
//
// The replicates of one setting follow one another in a plan and differ only in their
// replicate fields (key, index, data_seed, train_seed), which the trial row holds as
// columns anyway. So the store keeps, per run of such items, one template: the item
// without the replicate fields it has, plus which ones it had. A trial's item is its
// template with the row's values of those fields put back (ItemFromTemplate): the same
// members, with the same values and types, as the item that was submitted.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace chromatune {

// Replicate fields, as bits of ItemTemplate::fields (stored in item_templates.fields).
enum ReplicateField : int {
  kKeyField = 1,        // "key" (string) <-> trials.key
  kIndexField = 2,      // "index" (integer) <-> trials.idx
  kDataSeedField = 4,   // "data_seed" (integer) <-> trials.data_seed
  kTrainSeedField = 8,  // "train_seed" (integer) <-> trials.train_seed
};

struct ItemTemplate {
  std::string text;         // JSON of the item without its replicate fields
  int fields = 0;           // the replicate fields the item has (ReplicateField bits)
  std::string params_text;  // JSON of the item's "params" ("{}" without)
};

// Whether `a` and `b` serialise to the same text. Stricter than nlohmann's == (for which
// 1 == 1.0 and 0.0 == -0.0).
bool SameJson(const nlohmann::json& a, const nlohmann::json& b);

// Finds the template of each item of a plan, in plan order.
class ItemTemplates {
 public:
  // The template of `item` (a JSON object whose replicate fields, where present, have the
  // types above). The same pointer as for the previous item when the two differ only in
  // the values of their replicate fields; otherwise a new template. `item` must stay alive
  // and unchanged until the next call, which compares with it.
  std::shared_ptr<const ItemTemplate> TemplateOf(const nlohmann::json& item);

 private:
  const nlohmann::json* previous_ = nullptr;
  std::shared_ptr<const ItemTemplate> current_;
};

// The item of a trial: the template's JSON with the row's replicate fields named by
// `fields` put back.
nlohmann::json ItemFromTemplate(nlohmann::json item, int fields, const std::string& key,
                                int64_t index, int64_t data_seed, int64_t train_seed);

}  // namespace chromatune
