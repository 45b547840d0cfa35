#include "experiments/methods/method_params.h"

#include <gtest/gtest.h>

#include "experiments/sweep/method_catalog.h"

namespace chromatune::methods {
namespace {

TEST(MethodParamsTest, CoopDefaultsFollowCoop) {
  auto p = ParseCoop(nlohmann::json::object(), 16);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->ctx_len, 16);
  EXPECT_EQ(p->class_position, "end");
  EXPECT_FALSE(p->csc);
  EXPECT_EQ(p->train.optimizer, "sgd");
  EXPECT_EQ(p->train.schedule, "cosine");
  EXPECT_DOUBLE_EQ(p->train.lr, 0.002);
  EXPECT_EQ(p->train.epochs, 200);
  EXPECT_EQ(ParseCoop(nlohmann::json::object(), 1)->train.epochs, 50);
  EXPECT_EQ(ParseCoop(nlohmann::json::object(), 2)->train.epochs, 100);
  EXPECT_EQ(ParseCoop(nlohmann::json::object(), 4)->train.epochs, 100);
  EXPECT_EQ(ParseCoop(nlohmann::json::object(), 8)->train.epochs, 200);
  EXPECT_EQ(p->train.batch_size, 32);
  EXPECT_DOUBLE_EQ(p->train.momentum, 0.9);
  EXPECT_DOUBLE_EQ(p->train.weight_decay, 5e-4);
}

// Every method's defaults come from the catalog the plan uses: what a trial parses from an
// empty "params" equals what it parses from the plan's fully resolved setting.
TEST(MethodParamsTest, DefaultsAreTheCatalogs) {
  const nlohmann::json empty = nlohmann::json::object();
  const int64_t shots = 4;
  auto resolved = [&](const char* method) {
    return WithDefaults(*FindMethod(method), empty, shots);
  };
  auto vpt = ParseVpt(empty, shots);
  ASSERT_TRUE(vpt.ok());
  EXPECT_EQ(vpt->tokens, resolved("vpt")["tokens"].get<int64_t>());
  EXPECT_DOUBLE_EQ(vpt->train.lr, resolved("vpt")["lr"].get<double>());
  EXPECT_DOUBLE_EQ(vpt->train.lr, 0.01);
  auto pad = ParsePadPrompt(empty, shots);
  ASSERT_TRUE(pad.ok());
  EXPECT_EQ(pad->width, resolved("pad-prompt")["width"].get<int64_t>());
  EXPECT_DOUBLE_EQ(pad->train.weight_decay, 0.0);
  auto probe = ParseLinearProbe(empty);
  ASSERT_TRUE(probe.ok());
  EXPECT_EQ(probe->train.epochs, 200);
  EXPECT_EQ(probe->train.batch_size, 256);
  EXPECT_EQ(probe->train.optimizer, "adamw");
  auto ft = ParseFinetune(empty, shots);
  ASSERT_TRUE(ft.ok());
  EXPECT_EQ(ft->head, "text");
  EXPECT_DOUBLE_EQ(ft->train.lr, 1e-4);
  EXPECT_EQ(ft->train.epochs, CoopEpochSchedule(shots));
  auto zs = ParseZeroShot(empty);
  ASSERT_TRUE(zs.ok());
  EXPECT_EQ(zs->template_text, "a photo of a {}.");
  auto rc = ParseRedCircle(empty);
  ASSERT_TRUE(rc.ok());
  EXPECT_EQ(rc->thickness, 2);
  EXPECT_EQ(rc->color.rgb, (datasets::Rgb{255, 0, 0}));
  EXPECT_EQ(rc->template_text, "a photo of {query}.");
  // Each resolved setting parses to the same values as the empty one.
  EXPECT_EQ(ParseCoop(resolved("coop"), shots)->ctx_len, ParseCoop(empty, shots)->ctx_len);
  EXPECT_EQ(ParseEnsemble(resolved("ensemble"))->templates, ParseEnsemble(empty)->templates);
}

TEST(MethodParamsTest, BadValuesNameTheParameter) {
  auto coop = ParseCoop({{"class_position", "left"}}, 1);
  ASSERT_FALSE(coop.ok());
  EXPECT_NE(coop.status().message().find("params.class_position"), std::string::npos);
  auto vpt = ParseVpt({{"tokens", 0}}, 1);
  ASSERT_FALSE(vpt.ok());
  EXPECT_NE(vpt.status().message().find("params.tokens"), std::string::npos);
  auto zs = ParseZeroShot({{"template", "a photo"}});
  ASSERT_FALSE(zs.ok());
  EXPECT_NE(zs.status().message().find("params.template"), std::string::npos);
  auto lr = ParseFinetune({{"lr", "fast"}}, 1);
  ASSERT_FALSE(lr.ok());
  EXPECT_NE(lr.status().message().find("params.lr"), std::string::npos);
  auto ens = ParseEnsemble({{"templates", {"no placeholder"}}});
  ASSERT_FALSE(ens.ok());
  EXPECT_NE(ens.status().message().find("params.templates[0]"), std::string::npos);
}

// The runtime holds a hand-written spec to the catalog's ranges, the ones a sweep file is
// validated against (method_catalog.cc), not to looser bounds of its own.
TEST(MethodParamsTest, RangesAreTheCatalogs) {
  auto message = [](const Status& s) { return s.ok() ? std::string("ok") : s.message(); };
  EXPECT_EQ(message(ParsePadPrompt({{"width", 65}}, 1).status()),
            "params.width: must be >= 1 and <= 64, got 65");
  EXPECT_TRUE(ParsePadPrompt({{"width", 64}}, 1).ok());
  EXPECT_EQ(message(ParseFinetune({{"lr", 0.0}}, 1).status()),
            "params.lr: must be > 0 and <= 100, got 0.0");
  EXPECT_EQ(message(ParseCoop({{"epochs", 0}}, 1).status()),
            "params.epochs: must be >= 1 and <= 100000, got 0");
  EXPECT_TRUE(ParseCpt({{"epochs", 0}}).ok());  // cpt's zero-shot setting: no training
  EXPECT_EQ(message(ParseLinearProbe({{"batch_size", 65537}}).status()),
            "params.batch_size: must be >= 1 and <= 65536, got 65537");
  EXPECT_EQ(message(ParseFinetune({{"head", "zero"}}, 1).status()),
            "params.head: expected one of text, random, got \"zero\"");
}

TEST(MethodParamsTest, EnsembleBuiltinIsClipSeven) {
  auto p = ParseEnsemble({{"templates", "builtin:clip-7"}});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->templates.size(), 7u);
  EXPECT_EQ(p->templates, *FindBuiltinTemplates("builtin:clip-7"));
  EXPECT_EQ(ParseEnsemble(nlohmann::json::object())->templates, p->templates);
}

TEST(MethodParamsTest, CptColoursAndPalettes) {
  auto def = ParseCpt(nlohmann::json::object());
  ASSERT_TRUE(def.ok());
  ASSERT_EQ(def->colors.size(), 1u);
  EXPECT_EQ(def->colors[0].name, "red");
  EXPECT_EQ(def->colors[0].rgb, (datasets::Rgb{240, 0, 30}));  // CPT's released marker
  EXPECT_NEAR(def->alpha, 127.0 / 255.0, 1e-12);
  EXPECT_EQ(def->template_text, "{query} is in [MASK] color.");
  EXPECT_EQ(def->train.epochs, 0);

  auto five = ParseCpt({{"palette", "cpt-5"}});
  ASSERT_TRUE(five.ok());
  ASSERT_EQ(five->colors.size(), 5u);
  EXPECT_EQ(five->colors[1].name, "purple");
  EXPECT_EQ(five->colors[1].rgb, (datasets::Rgb{140, 70, 165}));

  auto all8 = ParseCpt({{"palette", "all-8"}, {"color", nullptr}});
  ASSERT_TRUE(all8.ok()) << all8.status().ToString();
  EXPECT_EQ(all8->colors.size(), 8u);
  auto plan_form = ParseCpt({{"palette", nullptr}, {"color", nullptr}});
  ASSERT_TRUE(plan_form.ok());
  EXPECT_EQ(plan_form->colors[0].rgb, (datasets::Rgb{240, 0, 30}));

  auto resolved = ParseCpt({{"color", {{"name", "green"}, {"rgb", {100, 250, 0}}}}});
  ASSERT_TRUE(resolved.ok());
  EXPECT_EQ(resolved->colors[0].name, "green");
  auto triple = ParseCpt({{"color", {0, 40, 250}}});
  ASSERT_TRUE(triple.ok());
  EXPECT_EQ(triple->colors[0].name, "blue");  // nearest palette word

  auto bad = ParseCpt({{"palette", {"red", "purpel"}}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("params.palette[1]"), std::string::npos);
  EXPECT_NE(bad.status().message().find("purpel"), std::string::npos);
  auto channel = ParseCpt({{"color", {0, 400, 0}}});
  ASSERT_FALSE(channel.ok());
  EXPECT_NE(channel.status().message().find("params.color"), std::string::npos);
  auto templ = ParseCpt({{"template", "{query} is red."}});
  ASSERT_FALSE(templ.ok());
  EXPECT_NE(templ.status().message().find("[MASK]"), std::string::npos);
}

TEST(MethodParamsTest, FinetuneAndLinearProbe) {
  auto ft = ParseFinetune({{"last_k_blocks", 2}, {"head", "random"}}, 4);
  ASSERT_TRUE(ft.ok());
  EXPECT_EQ(ft->last_k_blocks, 2);
  EXPECT_EQ(ft->head, "random");
  EXPECT_EQ(ft->train.optimizer, "adamw");
  EXPECT_FALSE(ParseFinetune({{"head", "mlp"}}, 4).ok());
  auto lp = ParseLinearProbe({{"weight_decay", 0.5}});
  ASSERT_TRUE(lp.ok());
  EXPECT_DOUBLE_EQ(lp->train.weight_decay, 0.5);
  auto rc = ParseRedCircle({{"thickness", 3}});
  ASSERT_TRUE(rc.ok());
  EXPECT_EQ(rc->thickness, 3);
  EXPECT_FALSE(ParseRedCircle({{"thickness", 0}}).ok());
}

}  // namespace
}  // namespace chromatune::methods
