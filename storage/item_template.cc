#include "storage/item_template.h"

#include <cstring>

namespace chromatune {
namespace {

struct FieldName {
  ReplicateField bit;
  const char* name;
};
constexpr FieldName kReplicateFields[] = {{kKeyField, "key"},
                                          {kIndexField, "index"},
                                          {kDataSeedField, "data_seed"},
                                          {kTrainSeedField, "train_seed"}};

// Called for every member of every item: the length decides which name to compare.
int ReplicateBit(const std::string& name) {
  switch (name.size()) {
    case 3:
      return name == "key" ? kKeyField : 0;
    case 5:
      return name == "index" ? kIndexField : 0;
    case 9:
      return name == "data_seed" ? kDataSeedField : 0;
    case 10:
      return name == "train_seed" ? kTrainSeedField : 0;
    default:
      return 0;
  }
}

int FieldsOf(const nlohmann::json& item) {
  int fields = 0;
  for (auto it = item.begin(); it != item.end(); ++it) fields |= ReplicateBit(it.key());
  return fields;
}

// Whether objects `a` and `b` have the same members apart from the replicate fields.
bool SameApartFromReplicateFields(const nlohmann::json& a, const nlohmann::json& b) {
  auto x = a.begin(), y = b.begin();
  while (true) {
    while (x != a.end() && ReplicateBit(x.key()) != 0) ++x;
    while (y != b.end() && ReplicateBit(y.key()) != 0) ++y;
    if (x == a.end() || y == b.end()) return x == a.end() && y == b.end();
    if (x.key() != y.key() || !SameJson(*x, *y)) return false;
    ++x;
    ++y;
  }
}

}  // namespace

bool SameJson(const nlohmann::json& a, const nlohmann::json& b) {
  if (a.type() != b.type() || a.size() != b.size()) return false;
  switch (a.type()) {
    case nlohmann::json::value_t::object:
      for (auto x = a.begin(), y = b.begin(); x != a.end(); ++x, ++y) {
        if (x.key() != y.key() || !SameJson(*x, *y)) return false;
      }
      return true;
    case nlohmann::json::value_t::array:
      for (size_t i = 0; i < a.size(); ++i) {
        if (!SameJson(a[i], b[i])) return false;
      }
      return true;
    case nlohmann::json::value_t::number_float: {
      const double x = a.get<double>(), y = b.get<double>();
      return std::memcmp(&x, &y, sizeof x) == 0;
    }
    default:
      return a == b;
  }
}

std::shared_ptr<const ItemTemplate> ItemTemplates::TemplateOf(const nlohmann::json& item) {
  const int fields = FieldsOf(item);
  if (previous_ == nullptr || current_->fields != fields ||
      !SameApartFromReplicateFields(*previous_, item)) {
    auto t = std::make_shared<ItemTemplate>();
    t->fields = fields;
    nlohmann::json rest = item;
    for (const FieldName& f : kReplicateFields) rest.erase(f.name);
    t->text = rest.dump();
    auto params = item.find("params");
    t->params_text = params == item.end() ? "{}" : params->dump();
    current_ = std::move(t);
  }
  previous_ = &item;
  return current_;
}

nlohmann::json ItemFromTemplate(nlohmann::json item, int fields, const std::string& key,
                                int64_t index, int64_t data_seed, int64_t train_seed) {
  if (!item.is_object()) return item;  // a damaged text: nothing to put back into
  if (fields & kKeyField) item["key"] = key;
  if (fields & kIndexField) item["index"] = index;
  if (fields & kDataSeedField) item["data_seed"] = data_seed;
  if (fields & kTrainSeedField) item["train_seed"] = train_seed;
  return item;
}

}  // namespace chromatune
