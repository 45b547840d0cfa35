#include "experiments/sweep/method_catalog.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "experiments/sweep/trial_key.h"

namespace chromatune {
namespace {

nlohmann::json Default(const std::string& method, const std::string& param) {
  const MethodDef* m = FindMethod(method);
  EXPECT_NE(m, nullptr) << method;
  if (m == nullptr) return nullptr;
  for (const auto& p : m->params) {
    if (p.name == param) return p.default_value;
  }
  ADD_FAILURE() << method << "." << param;
  return nullptr;
}

TEST(MethodCatalogTest, DocumentedDefaults) {
  EXPECT_EQ(Default("zero-shot", "template"), "a photo of a {}.");
  EXPECT_EQ(Default("ensemble", "templates").size(), 7u);
  EXPECT_EQ(Default("coop", "ctx_len"), 16);
  EXPECT_EQ(Default("coop", "class_position"), "end");
  EXPECT_EQ(Default("coop", "csc"), false);
  EXPECT_EQ(Default("coop", "init"), "");
  EXPECT_EQ(Default("coop", "lr"), 0.002);
  EXPECT_EQ(Default("coop", "optimizer"), "sgd");
  EXPECT_EQ(Default("coop", "schedule"), "cosine");
  EXPECT_EQ(Default("cpt", "color"), nlohmann::json::parse(R"({"name":"red","rgb":[240,0,30]})"));
  EXPECT_EQ(Default("cpt", "alpha"), 127.0 / 255.0);
  EXPECT_EQ(Default("cpt", "marker"), "block");
  EXPECT_EQ(Default("cpt", "template"), "{query} is in [MASK] color.");
  EXPECT_EQ(Default("cpt", "epochs"), 0);
  EXPECT_EQ(Default("finetune", "last_k_blocks"), 0);
  EXPECT_EQ(Default("finetune", "head"), "text");
  EXPECT_EQ(Default("linear-probe", "optimizer"), "adamw");
  EXPECT_TRUE(Default("coop", "epochs").is_null());  // CoOp's schedule, by shot count
  EXPECT_EQ(CoopEpochSchedule(1), 50);
  EXPECT_EQ(CoopEpochSchedule(2), 100);
  EXPECT_EQ(CoopEpochSchedule(4), 100);
  EXPECT_EQ(CoopEpochSchedule(8), 200);
  EXPECT_EQ(CoopEpochSchedule(16), 200);
  EXPECT_EQ(Default("noop", "sleep_ms"), 0);
  EXPECT_EQ(Default("noop", "value"), 0.5);
  EXPECT_EQ(FindMethod("nope"), nullptr);
}

TEST(MethodCatalogTest, WhatTrainsAndWhichTask) {
  std::set<std::string> training;
  for (const auto& m : MethodCatalog()) {
    if (m.trains) training.insert(m.name);
    EXPECT_FALSE(m.tasks.empty()) << m.name;
  }
  EXPECT_EQ(training, (std::set<std::string>{"coop", "vpt", "pad-prompt", "linear-probe",
                                             "finetune", "noop"}));
  const MethodDef& cpt = *FindMethod("cpt");
  EXPECT_FALSE(SettingTrains(cpt, {{"epochs", 0}}));
  EXPECT_TRUE(SettingTrains(cpt, {{"epochs", 3}}));
  EXPECT_EQ(cpt.tasks, (std::vector<std::string>{"grounding"}));
  EXPECT_EQ(FindMethod("red-circle")->tasks, (std::vector<std::string>{"grounding"}));
  EXPECT_TRUE(SettingTrains(*FindMethod("coop"), nlohmann::json::object()));
}

TEST(MethodCatalogTest, DefaultsAreValidValuesOfTheirType) {
  for (const auto& m : MethodCatalog()) {
    for (const auto& p : m.params) {
      const auto& v = p.default_value;
      if (p.per_shot_default != nullptr) {
        EXPECT_TRUE(v.is_null()) << m.name << "." << p.name;
        continue;
      }
      switch (p.type) {
        case ParamType::kInt:
          ASSERT_TRUE(v.is_number_integer()) << m.name << "." << p.name;
          EXPECT_GE(v.get<double>(), p.min);
          EXPECT_LE(v.get<double>(), p.max);
          break;
        case ParamType::kFloat:
          ASSERT_TRUE(v.is_number_float()) << m.name << "." << p.name;
          EXPECT_TRUE(p.exclusive_min ? v.get<double>() > p.min : v.get<double>() >= p.min);
          EXPECT_LE(v.get<double>(), p.max);
          break;
        case ParamType::kEnum:
          EXPECT_NE(std::find(p.choices.begin(), p.choices.end(), v.get<std::string>()),
                    p.choices.end())
              << m.name << "." << p.name;
          break;
        default:
          break;
      }
    }
  }
}

// The default as docs/sweeps.md writes it.
std::string DocDefault(const ParamDef& p) {
  if (p.per_shot_default != nullptr) return "coop-schedule";
  if (p.type == ParamType::kColor) {
    return p.default_value["rgb"] == nlohmann::json({240, 0, 30})
               ? "cpt-red"
               : CanonicalJson(p.default_value["rgb"]);
  }
  if (p.type == ParamType::kTemplates) return "builtin:clip-7";
  if (p.type == ParamType::kFloat && p.default_value == 127.0 / 255.0) return "127/255";
  return CanonicalJson(p.default_value);
}

TEST(MethodCatalogTest, DocsListEveryParameterWithItsDefault) {
  std::ifstream in("docs/sweeps.md");  // tests run in the source root
  ASSERT_TRUE(in) << "docs/sweeps.md";
  std::stringstream text;
  text << in.rdbuf();
  const std::string docs = text.str();
  for (const auto& m : MethodCatalog()) {
    const std::string heading = "### `" + m.name + "`";
    const size_t start = docs.find(heading);
    ASSERT_NE(start, std::string::npos) << heading;
    const size_t end = docs.find("### ", start + heading.size());
    const std::string section = docs.substr(start, end - start);
    for (const auto& p : m.params) {
      const std::string row = "| `" + p.name + "` |";
      const size_t at = section.find(row);
      ASSERT_NE(at, std::string::npos) << m.name << "." << p.name;
      const std::string line = section.substr(at, section.find('\n', at) - at);
      EXPECT_NE(line.find("`" + DocDefault(p) + "`"), std::string::npos)
          << m.name << "." << p.name << ": " << line;
    }
  }
}

}  // namespace
}  // namespace chromatune
