// Precision and device of trials (issue 16) on the CPU: bf16 autocast trials learn like fp32
// ones, fp16 and CUDA without a GPU are clear errors, and the result records both.
#include <gtest/gtest.h>

#include <filesystem>

#include "experiments/methods/trainer.h"
#include "experiments/methods/trial_engine.h"
#include "experiments/models/device_choice.h"
#include "experiments/models/precision.h"

namespace chromatune::methods {
namespace {

const char* const kClip = "builtin:tiny-clip?steps=30&batch_size=32";

RunnerOptions Options(const std::string& device = "auto") {
  RunnerOptions o;
  o.cache_dir = std::filesystem::temp_directory_path() / "chromatune_methods_test_cache";
  o.device = device;
  return o;
}

nlohmann::json Item(const std::string& method, const std::string& precision,
                    nlohmann::json params) {
  nlohmann::json item = {{"task", "classification"},
                         {"dataset", "fashion-mnist"},
                         {"backbone", kClip},
                         {"method", method},
                         {"shots", 8},
                         {"shot_unit", "per_class"},
                         {"data_seed", 1},
                         {"train_seed", 2},
                         {"eval_size", 200},
                         {"params", std::move(params)}};
  if (!precision.empty()) item["precision"] = precision;
  return item;
}

Result<TrialResult> RunItem(TrialEngine& engine, const nlohmann::json& item) {
  LocalCommunicator comm;
  TrialContext ctx;
  ctx.comm = &comm;
  return engine.Run(item, ctx);
}

TEST(PrecisionTest, AutocastScopeCastsInsideAndRestoresAfter) {
  const torch::Tensor a = torch::rand({4, 4});
  EXPECT_EQ(torch::mm(a, a).scalar_type(), torch::kFloat32);
  {
    models::AutocastScope bf16(models::Precision::kBf16, /*cuda=*/false);
    EXPECT_EQ(torch::mm(a, a).scalar_type(), torch::kBFloat16);
    {
      models::AutocastScope fp32(models::Precision::kFp32, false);  // does nothing
      EXPECT_EQ(torch::mm(a, a).scalar_type(), torch::kBFloat16);
    }
    EXPECT_EQ(torch::mm(a, a).scalar_type(), torch::kBFloat16);
  }
  EXPECT_EQ(torch::mm(a, a).scalar_type(), torch::kFloat32);
}

TEST(PrecisionTest, NamesAndChecks) {
  EXPECT_EQ(models::PrecisionName(*models::ParsePrecision("bf16")), "bf16");
  EXPECT_FALSE(models::ParsePrecision("fp8").ok());
  EXPECT_TRUE(models::CheckPrecision(models::Precision::kBf16, false).ok());
  EXPECT_TRUE(models::CheckPrecision(models::Precision::kFp16, true).ok());
  auto s = models::CheckPrecision(models::Precision::kFp16, false);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("fp16 needs a CUDA device"), std::string::npos) << s.message();
}

// The CPU build sees no GPU: auto is the CPU, cuda a clear error.
TEST(PrecisionTest, DeviceResolution) {
  auto cpu = models::ResolveDevice("auto", 3);
  ASSERT_TRUE(cpu.ok()) << cpu.status().ToString();
  EXPECT_FALSE(cpu->cuda);
  EXPECT_EQ(cpu->str(), "cpu");
  for (const char* request : {"cuda", "cuda:1"}) {
    auto gpu = models::ResolveDevice(request, 0);
    ASSERT_FALSE(gpu.ok()) << request;
    EXPECT_NE(gpu.status().message().find("no CUDA device"), std::string::npos)
        << gpu.status().message();
  }
  for (const char* bad : {"tpu", "cuda:", "cuda:x", "CPU"}) {
    auto r = models::ResolveDevice(bad, 0);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("expected auto, cpu, cuda or cuda:N"), std::string::npos)
        << r.status().message();
  }
}

// A linear classifier on separable data trained through TrainLoop under bf16 autocast
// learns it (the trainer's bf16 path: scaled ops in bf16, float32 parameters and steps).
TEST(PrecisionTest, Bf16TrainingLearnsSeparableData) {
  torch::manual_seed(5);
  const int64_t n = 200, classes = 4;
  const torch::Tensor labels = torch::arange(n) % classes;
  const torch::Tensor centres = torch::randn({classes, 8}) * 3;
  const torch::Tensor x = centres.index_select(0, labels) + torch::randn({n, 8});
  torch::Tensor w = torch::zeros({8, classes}).requires_grad_(true);
  LocalCommunicator comm;
  TrialContext ctx;
  ctx.comm = &comm;
  TrainHooks hooks;
  hooks.loss_sum = [&](const std::vector<int64_t>& idx) {
    const torch::Tensor i = torch::tensor(idx);
    const torch::Tensor logits = x.index_select(0, i).matmul(w);
    EXPECT_EQ(logits.scalar_type(), torch::kBFloat16);  // autocast is on
    return torch::nn::functional::cross_entropy(
        logits.to(torch::kFloat32), labels.index_select(0, i),
        torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
  };
  TrainParams t;
  t.optimizer = "sgd";
  t.schedule = "cosine";
  t.epochs = 20;
  t.lr = 0.05;
  t.batch_size = 20;
  models::AutocastScope bf16(models::Precision::kBf16, false);
  auto r = TrainLoop({w}, n, t, 1, ctx, hooks);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(w.scalar_type(), torch::kFloat32);
  const double accuracy =
      (x.matmul(w).argmax(1) == labels).to(torch::kFloat32).mean().item<double>();
  EXPECT_GT(accuracy, 0.9);
  EXPECT_LT(r->curves.back().value, r->curves.front().value / 4);
}

// A bf16 trial through the engine computes in bf16 (its losses differ from fp32's) and
// lands within a few points of the fp32 trial; the result says where and how it ran.
TEST(PrecisionTest, Bf16TrialMatchesFp32) {
  TrialEngine engine(Options());
  const nlohmann::json params = {{"epochs", 20}, {"batch_size", 16}, {"lr", 0.5}};
  auto fp32 = RunItem(engine, Item("linear-probe", "", params));
  ASSERT_TRUE(fp32.ok()) << fp32.status().ToString();
  auto bf16 = RunItem(engine, Item("linear-probe", "bf16", params));
  ASSERT_TRUE(bf16.ok()) << bf16.status().ToString();
  EXPECT_EQ(fp32->info["precision"], "fp32");
  EXPECT_EQ(bf16->info["precision"], "bf16");
  EXPECT_EQ(bf16->info["device"]["kind"], "cpu");
  EXPECT_NEAR(bf16->metrics.at("accuracy"), fp32->metrics.at("accuracy"), 0.05);
  auto losses = [](const TrialResult& r) {
    std::vector<double> out;
    for (const auto& c : r.curves) {
      if (c.name == "train_loss") out.push_back(c.value);
    }
    return out;
  };
  const std::vector<double> l32 = losses(*fp32), l16 = losses(*bf16);
  ASSERT_EQ(l32.size(), l16.size());
  ASSERT_GE(l16.size(), 2u);
  EXPECT_NE(l16.front(), l32.front()) << "the bf16 trial computed in fp32";
  EXPECT_LT(l16.back(), l16.front());
  // bf16 features are cached apart from fp32 ones: the bf16 trial encoded its images.
  EXPECT_GT(bf16->info["feature_cache"]["misses"].get<int64_t>(), int64_t{0});
}

TEST(PrecisionTest, Fp16OnTheCpuFailsTheTrialClearly) {
  TrialEngine engine(Options("cpu"));
  auto r = RunItem(engine, Item("zero-shot", "fp16", nlohmann::json::object()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("fp16 needs a CUDA device"), std::string::npos)
      << r.status().message();
  auto bad = RunItem(engine, Item("zero-shot", "fp8", nlohmann::json::object()));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("precision"), std::string::npos);
}

TEST(PrecisionTest, CudaWithoutAGpuFailsTheTrialClearly) {
  TrialEngine engine(Options("cuda"));
  auto r = RunItem(engine, Item("zero-shot", "", nlohmann::json::object()));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no CUDA device"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace chromatune::methods
