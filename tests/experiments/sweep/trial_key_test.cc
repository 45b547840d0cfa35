#include "experiments/sweep/trial_key.h"

#include <gtest/gtest.h>

#include <cmath>

#include "common/sha256.h"
#include "common/version.h"

namespace chromatune {
namespace {

nlohmann::json Item() {
  return nlohmann::json::parse(R"({
    "index": 3, "key": "old", "sweep": "s", "task": "classification",
    "dataset": "fashion-mnist", "backbone": "builtin:tiny-clip", "method": "coop",
    "shots": 4, "shot_unit": "per_class", "data_seed": 1, "train_seed": 2,
    "params": {"lr": 0.002, "ctx_len": 16, "init": "a photo of a"},
    "resources": {"ranks": 1}, "retries": 2, "priority": 0, "rerun": false})");
}

TEST(CanonicalJsonTest, SortedCompactStableNumbers) {
  nlohmann::json j = {{"b", 1}, {"a", {{"z", 0.1}, {"y", 1.0}}}, {"c", "é\n"}};
  EXPECT_EQ(CanonicalJson(j), "{\"a\":{\"y\":1.0,\"z\":0.1},\"b\":1,\"c\":\"é\\n\"}");
  EXPECT_EQ(CanonicalJson(nlohmann::json(0.002)), "0.002");
  EXPECT_EQ(CanonicalJson(nlohmann::json(1e-5)), "1e-05");
  EXPECT_EQ(CanonicalJson(nlohmann::json(127.0 / 255.0)), "0.4980392156862745");
  EXPECT_EQ(CanonicalJson(nlohmann::json(-0.0)), "0.0");
  EXPECT_EQ(CanonicalJson(nlohmann::json::array({-0.0, 1})), "[0.0,1]");
  EXPECT_EQ(CanonicalJson(nlohmann::json(int64_t{-7})), "-7");
  // Parsing the text back gives the same text: the form is a fixed point.
  const std::string text = CanonicalJson(j);
  EXPECT_EQ(CanonicalJson(nlohmann::json::parse(text)), text);
  // Invalid UTF-8 does not throw.
  EXPECT_NO_THROW(CanonicalJson(nlohmann::json(std::string("\xff\xfe"))));
}

TEST(TrialKeyTest, IsTheHashOfTheDocumentedIdentity) {
  TrialFingerprints fp{"bfp", "dfp"};
  nlohmann::json identity = {{"task", "classification"},
                             {"dataset", "fashion-mnist"},
                             {"backbone", "builtin:tiny-clip"},
                             {"method", "coop"},
                             {"shots", 4},
                             {"shot_unit", "per_class"},
                             {"data_seed", 1},
                             {"train_seed", 2},
                             {"params", Item()["params"]},
                             {"backbone_fingerprint", "bfp"},
                             {"dataset_fingerprint", "dfp"},
                             {"code_version", kTrialCodeVersion}};
  EXPECT_EQ(TrialKey(Item(), fp), Sha256Hex(CanonicalJson(identity)));
}

TEST(TrialKeyTest, IgnoresPlacementFieldsAndSeesEveryIdentityField) {
  TrialFingerprints fp{"bfp", "dfp"};
  const std::string base = TrialKey(Item(), fp);
  for (const char* ignored :
       {"index", "key", "sweep", "resources", "retries", "priority", "rerun"}) {
    nlohmann::json item = Item();
    item[ignored] = "changed";
    EXPECT_EQ(TrialKey(item, fp), base) << ignored;
  }
  for (const char* field :
       {"task", "dataset", "backbone", "method", "shots", "shot_unit", "data_seed", "train_seed"}) {
    nlohmann::json item = Item();
    item[field] = "changed";
    EXPECT_NE(TrialKey(item, fp), base) << field;
  }
  nlohmann::json item = Item();
  item["params"]["lr"] = 0.003;
  EXPECT_NE(TrialKey(item, fp), base);
  EXPECT_NE(TrialKey(Item(), {"other", "dfp"}), base);
  EXPECT_NE(TrialKey(Item(), {"bfp", "other"}), base);
}

// backbone_seed (replicates.backbone_seeds) is part of the identity only when present, so
// keys of items without it are those from before backbone seeds existed.
TEST(TrialKeyTest, BackboneSeedEntersOnlyWhenPresent) {
  TrialFingerprints fp{"bfp", "dfp"};
  nlohmann::json seeded = Item();
  seeded["backbone_seed"] = 3;
  nlohmann::json identity = {{"task", "classification"},
                             {"dataset", "fashion-mnist"},
                             {"backbone", "builtin:tiny-clip"},
                             {"backbone_seed", 3},
                             {"method", "coop"},
                             {"shots", 4},
                             {"shot_unit", "per_class"},
                             {"data_seed", 1},
                             {"train_seed", 2},
                             {"params", Item()["params"]},
                             {"backbone_fingerprint", "bfp"},
                             {"dataset_fingerprint", "dfp"},
                             {"code_version", kTrialCodeVersion}};
  EXPECT_EQ(TrialKey(seeded, fp), Sha256Hex(CanonicalJson(identity)));
  EXPECT_NE(TrialKey(seeded, fp), TrialKey(Item(), fp));
  nlohmann::json other = seeded;
  other["backbone_seed"] = 4;
  EXPECT_NE(TrialKey(other, fp), TrialKey(seeded, fp));
  // The plan's fast path agrees.
  EXPECT_EQ(SeedKeyHasher(seeded, fp).Key(1, 2), TrialKey(seeded, fp));
}

TEST(TrialKeyTest, ParameterOrderDoesNotMatter) {
  TrialFingerprints fp{"b", "d"};
  nlohmann::json a = Item();
  nlohmann::json b = Item();
  b["params"] = nlohmann::json::object();
  b["params"]["init"] = "a photo of a";
  b["params"]["lr"] = 0.002;
  b["params"]["ctx_len"] = 16;
  EXPECT_EQ(TrialKey(a, fp), TrialKey(b, fp));
}

TEST(TrialKeyTest, SeedKeyHasherMatchesTrialKey) {
  TrialFingerprints fp{"bfp", "dfp"};
  nlohmann::json item = Item();
  item["params"]["tricky"] = "\"data_seed\":\"\u0001D\" and \u0001T";
  const SeedKeyHasher hasher(item, fp);
  for (int64_t data_seed : std::initializer_list<int64_t>{0, 1, 42, 4294967295}) {
    for (int64_t train_seed : {0, 7}) {
      item["data_seed"] = data_seed;
      item["train_seed"] = train_seed;
      EXPECT_EQ(hasher.Key(data_seed, train_seed), TrialKey(item, fp));
    }
  }
}

}  // namespace
}  // namespace chromatune
