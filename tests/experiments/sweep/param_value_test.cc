#include "experiments/sweep/param_value.h"

#include <gtest/gtest.h>

#include "experiments/sweep/yaml_node.h"

namespace chromatune {
namespace {

const ParamDef& Def(const std::string& method, const std::string& param) {
  for (const auto& p : FindMethod(method)->params) {
    if (p.name == param) return p;
  }
  ADD_FAILURE() << method << "." << param;
  return FindMethod(method)->params.front();
}

struct Parsed {
  std::optional<ParamSetting> setting;
  std::vector<std::string> errors;
};

Parsed Setting(const std::string& method, const std::string& param, const std::string& yaml) {
  YAML::Node root = YAML::Load("v: " + yaml);
  Diagnostics d("f");
  Parsed out;
  out.setting = ParseParamSetting(Def(method, param), root["v"], "p", d);
  out.errors = d.Lines();
  return out;
}

// The first error, or "" when none.
std::string Error(const std::string& method, const std::string& param, const std::string& yaml) {
  Parsed p = Setting(method, param, yaml);
  EXPECT_EQ(p.setting.has_value(), p.errors.empty());
  return p.errors.empty() ? "" : p.errors.front();
}

TEST(ParamValueTest, ScalarListPerShotAndDistributionForms) {
  auto fixed = Setting("coop", "ctx_len", "4");
  ASSERT_TRUE(fixed.setting);
  EXPECT_EQ(fixed.setting->kind, ParamSetting::Kind::kFixed);
  EXPECT_EQ(fixed.setting->values.at(0), 4);

  auto sweep = Setting("coop", "ctx_len", "[4, 16]");
  ASSERT_TRUE(sweep.setting);
  EXPECT_EQ(sweep.setting->kind, ParamSetting::Kind::kSweep);
  EXPECT_EQ(sweep.setting->values, (std::vector<nlohmann::json>{4, 16}));

  auto per_shot = Setting("coop", "epochs", "{1: 50, 2: 100}");
  ASSERT_TRUE(per_shot.setting);
  EXPECT_EQ(per_shot.setting->kind, ParamSetting::Kind::kPerShot);
  EXPECT_EQ(per_shot.setting->per_shot.at(2), 100);

  auto log_uniform = Setting("finetune", "lr", "{log_uniform: [1.0e-5, 1.0e-3]}");
  ASSERT_TRUE(log_uniform.setting);
  EXPECT_EQ(log_uniform.setting->kind, ParamSetting::Kind::kDistribution);
  EXPECT_EQ(log_uniform.setting->distribution, DistributionKind::kLogUniform);
  EXPECT_DOUBLE_EQ(log_uniform.setting->low, 1e-5);
  EXPECT_DOUBLE_EQ(log_uniform.setting->high, 1e-3);

  auto choice = Setting("coop", "class_position", "{choice: [end, front]}");
  ASSERT_TRUE(choice.setting);
  EXPECT_EQ(choice.setting->distribution, DistributionKind::kChoice);
  EXPECT_EQ(choice.setting->values.size(), 2u);

  auto ints = Setting("coop", "ctx_len", "{int_uniform: [2, 8]}");
  ASSERT_TRUE(ints.setting);
  EXPECT_EQ(ints.setting->distribution, DistributionKind::kIntUniform);

  auto uniform = Setting("cpt", "alpha", "{uniform: [0.2, 0.8]}");
  ASSERT_TRUE(uniform.setting);
  EXPECT_EQ(uniform.setting->distribution, DistributionKind::kUniform);
}

TEST(ParamValueTest, FloatsAcceptIntegersAndNormaliseNegativeZero) {
  auto lr = Setting("coop", "lr", "1");
  ASSERT_TRUE(lr.setting);
  EXPECT_TRUE(lr.setting->values[0].is_number_float());
  auto alpha = Setting("cpt", "alpha", "-0.0");
  ASSERT_TRUE(alpha.setting);
  EXPECT_FALSE(std::signbit(alpha.setting->values[0].get<double>()));
}

TEST(ParamValueTest, TypeErrors) {
  EXPECT_EQ(Error("coop", "ctx_len", "1.5"), "f:1:4: p: expected an integer, got the number 1.5");
  EXPECT_EQ(Error("coop", "ctx_len", "'4'"), "f:1:4: p: expected an integer, got the string \"4\"");
  EXPECT_EQ(Error("coop", "lr", "fast"), "f:1:4: p: expected a number, got the string \"fast\"");
  EXPECT_EQ(Error("coop", "csc", "yes"),
            "f:1:4: p: expected true or false, got the string \"yes\"");
  EXPECT_EQ(Error("zero-shot", "template", "5"),
            "f:1:4: p: expected a string, got the number 5 (quote it to use it as text: \"5\")");
  EXPECT_EQ(Error("coop", "class_position", "midle"),
            "f:1:4: p: expected one of end, middle, front, got the string \"midle\" (did you "
            "mean \"middle\"?)");
  EXPECT_EQ(Error("coop", "lr", ".nan"), "f:1:4: p: must be a finite number, got .nan");
}

TEST(ParamValueTest, RangeErrors) {
  EXPECT_EQ(Error("coop", "ctx_len", "0"), "f:1:4: p: must be >= 1 and <= 64, got 0");
  EXPECT_EQ(Error("coop", "lr", "0"), "f:1:4: p: must be > 0 and <= 100, got 0");
  EXPECT_EQ(Error("cpt", "alpha", "1.5"), "f:1:4: p: must be >= 0 and <= 1, got 1.5");
  EXPECT_EQ(Error("cpt", "alpha", "-0.1"), "f:1:4: p: must be >= 0 and <= 1, got -0.1");
  EXPECT_EQ(Error("noop", "sleep_ms", "-5"), "f:1:4: p: must be >= 0 and <= 8.64e+07, got -5");
  EXPECT_EQ(Error("coop", "ctx_len", "[4, 0]"), "f:1:8: p[1]: must be >= 1 and <= 64, got 0");
}

TEST(ParamValueTest, ListErrors) {
  EXPECT_EQ(Error("coop", "ctx_len", "[]"),
            "f:1:4: p: an empty list sweeps over nothing; give at least one value");
  EXPECT_EQ(Error("coop", "ctx_len", "[4, 4]"), "f:1:8: p[1]: the value 4 is listed twice");
}

TEST(ParamValueTest, PerShotErrors) {
  EXPECT_EQ(Error("coop", "epochs", "{0: 5}"),
            "f:1:5: p[0]: per-shot keys are shot counts >= 1, got 0");
  EXPECT_EQ(Error("coop", "epochs", "{1: -5}"), "f:1:8: p[1]: must be >= 1 and <= 100000, got -5");
  EXPECT_EQ(Error("coop", "epochs", "{one: 5}"),
            "f:1:4: p: expected a value, a list to sweep, a per-shot map such as {1: 50, 2: "
            "100}, or a distribution {choice|uniform|log_uniform|int_uniform: ...}");
}

TEST(ParamValueTest, DistributionErrors) {
  EXPECT_NE(Error("coop", "lr", "{unifrom: [0.1, 0.2]}").find("(did you mean \"uniform\"?)"),
            std::string::npos);
  EXPECT_EQ(Error("coop", "ctx_len", "{uniform: [1, 4]}"),
            "f:1:5: p.uniform: uniform needs a real-valued parameter; ctx_len is an integer (use "
            "int_uniform)");
  EXPECT_EQ(Error("coop", "lr", "{int_uniform: [1, 4]}"),
            "f:1:5: p.int_uniform: int_uniform needs an integer parameter; lr is a number (use "
            "uniform or log_uniform)");
  EXPECT_EQ(Error("coop", "lr", "{uniform: [0.2, 0.1]}"),
            "f:1:14: p.uniform: low must not exceed high, got [0.2, 0.1]");
  EXPECT_EQ(Error("cpt", "alpha", "{log_uniform: [0, 0.5]}"),
            "f:1:19: p.log_uniform[0]: log_uniform needs low > 0, got 0");
  EXPECT_EQ(Error("cpt", "alpha", "{uniform: [0.5, 2]}"),
            "f:1:20: p.uniform[1]: must be >= 0 and <= 1, got 2");
  EXPECT_EQ(Error("cpt", "alpha", "{uniform: 0.5}"),
            "f:1:14: p.uniform: expected [low, high], got the number 0.5");
  EXPECT_EQ(Error("coop", "ctx_len", "{choice: []}"),
            "f:1:13: p.choice: expected a non-empty list of values to choose from, got a list");
}

TEST(ParamValueTest, ColoursByNameOrRgbAndSweepsOfThem) {
  auto name = Setting("cpt", "color", "purple");
  ASSERT_TRUE(name.setting);
  EXPECT_EQ(name.setting->kind, ParamSetting::Kind::kFixed);
  EXPECT_EQ(name.setting->values[0],
            nlohmann::json::parse(R"({"name":"purple","rgb":[140,70,165]})"));

  auto rgb = Setting("cpt", "color", "[240, 0, 30]");
  ASSERT_TRUE(rgb.setting);
  EXPECT_EQ(rgb.setting->kind, ParamSetting::Kind::kFixed);  // one RGB colour, not a sweep
  EXPECT_EQ(rgb.setting->values[0], nlohmann::json::parse(R"({"name":"red","rgb":[240,0,30]})"));

  auto sweep = Setting("cpt", "color", "[red, [0, 40, 250], cpt-red]");
  ASSERT_TRUE(sweep.setting);
  EXPECT_EQ(sweep.setting->kind, ParamSetting::Kind::kSweep);
  ASSERT_EQ(sweep.setting->values.size(), 3u);
  EXPECT_EQ(sweep.setting->values[1]["name"], "blue");

  EXPECT_EQ(Error("cpt", "color", "[red, purpel]"),
            "f:1:10: p[1]: unknown colour \"purpel\" (did you mean \"purple\"?)");
  EXPECT_EQ(Error("cpt", "color", "[1, 2]"), "f:1:4: p: an RGB colour is [r, g, b], got 2 numbers");
  EXPECT_EQ(Error("cpt", "color", "[1, 2, 300]"),
            "f:1:11: p[2]: colour channels are integers 0..255, got 300");
  EXPECT_EQ(Error("cpt", "color", "[red, [0, 40, 250], red]"),
            "f:1:24: p[2]: the value red [250,0,45] is listed twice");
  EXPECT_NE(Error("cpt", "color", "magenta").find("(known: red, purple"), std::string::npos);
}

TEST(ParamValueTest, PalettesOneOrSwept) {
  auto named = Setting("cpt", "palette", "cpt-5");
  ASSERT_TRUE(named.setting);
  EXPECT_EQ(named.setting->kind, ParamSetting::Kind::kFixed);
  ASSERT_EQ(named.setting->values[0].size(), 5u);
  EXPECT_EQ(named.setting->values[0][4]["name"], "blue");

  auto one = Setting("cpt", "palette", "[red, blue]");
  ASSERT_TRUE(one.setting);
  EXPECT_EQ(one.setting->kind, ParamSetting::Kind::kFixed);
  EXPECT_EQ(one.setting->values[0].size(), 2u);

  auto rgb_list = Setting("cpt", "palette", "[[250, 0, 45], [0, 40, 250]]");
  ASSERT_TRUE(rgb_list.setting);
  EXPECT_EQ(rgb_list.setting->kind, ParamSetting::Kind::kFixed);

  auto swept = Setting("cpt", "palette", "[cpt-5, [red, blue]]");
  ASSERT_TRUE(swept.setting);
  EXPECT_EQ(swept.setting->kind, ParamSetting::Kind::kSweep);
  EXPECT_EQ(swept.setting->values[1].size(), 2u);

  EXPECT_EQ(Error("cpt", "palette", "cpt5"),
            "f:1:4: p: unknown palette \"cpt5\" (did you mean \"cpt-5\"?)");
  EXPECT_EQ(Error("cpt", "palette", "[cpt-5, [red, purpel]]"),
            "f:1:18: p[1][1]: unknown colour \"purpel\" (did you mean \"purple\"?)");
  EXPECT_EQ(Error("cpt", "palette", "[cpt-5, []]"),
            "f:1:12: p[1]: a palette needs at least one colour");
}

TEST(ParamValueTest, TemplateSets) {
  auto builtin = Setting("ensemble", "templates", "builtin:clip-7");
  ASSERT_TRUE(builtin.setting);
  ASSERT_EQ(builtin.setting->values[0].size(), 7u);
  EXPECT_EQ(builtin.setting->values[0][0], "itap of a {}.");
  auto eighty = Setting("ensemble", "templates", "builtin:clip-80");
  ASSERT_TRUE(eighty.setting);
  ASSERT_EQ(eighty.setting->values[0].size(), 80u);  // CLIP's ImageNet ensemble
  EXPECT_EQ(eighty.setting->values[0][0], "a bad photo of a {}.");
  EXPECT_EQ(eighty.setting->values[0][79], "a tattoo of the {}.");

  auto one = Setting("ensemble", "templates", "['a photo of a {}.', 'a {}.']");
  ASSERT_TRUE(one.setting);
  EXPECT_EQ(one.setting->kind, ParamSetting::Kind::kFixed);
  EXPECT_EQ(one.setting->values[0].size(), 2u);

  auto swept = Setting("ensemble", "templates", "[builtin:clip-7, ['a {}.']]");
  ASSERT_TRUE(swept.setting);
  EXPECT_EQ(swept.setting->kind, ParamSetting::Kind::kSweep);

  EXPECT_EQ(Error("ensemble", "templates", "builtin:clip-8"),
            "f:1:4: p: unknown template set \"builtin:clip-8\" (did you mean \"builtin:clip-7\"?); "
            "give a builtin set (builtin:clip-7, builtin:clip-80) or a list of templates");
  EXPECT_EQ(Error("ensemble", "templates", "['a photo']"),
            "f:1:5: p[0]: must contain {} exactly once, found it 0 times in \"a photo\"");
  EXPECT_EQ(Error("cpt", "template", "'{query} is red.'"),
            "f:1:4: p: must contain [MASK] exactly once, found it 0 times in \"{query} is red.\"");
  EXPECT_EQ(Error("zero-shot", "template", "'{} {}'"),
            "f:1:4: p: must contain {} exactly once, found it 2 times in \"{} {}\"");
}

TEST(ParamValueTest, DefaultsAreFixedAndMarked) {
  ParamSetting s = DefaultSetting(Def("coop", "ctx_len"), {0, 1, 2});
  EXPECT_TRUE(s.is_default);
  EXPECT_EQ(s.kind, ParamSetting::Kind::kFixed);
  EXPECT_EQ(s.values.at(0), 16);
}

TEST(ParamValueTest, CoopEpochsDefaultFollowsTheShotCount) {
  ParamSetting s = DefaultSetting(Def("coop", "epochs"), {0, 1, 3, 8, 16});
  EXPECT_TRUE(s.is_default);
  EXPECT_EQ(s.kind, ParamSetting::Kind::kPerShot);
  EXPECT_EQ(s.per_shot,
            (std::map<int64_t, nlohmann::json>{{1, 50}, {3, 100}, {8, 200}, {16, 200}}));
}

}  // namespace
}  // namespace chromatune
