#include "experiments/models/clip_model.h"

#include <gtest/gtest.h>

#include <cstring>
#include <set>

namespace chromatune::models {
namespace {

// A random-weight state dict of CLIP's ViT topology with OpenAI's names, narrow sizes.
void AddBlock(StateDict* w, const std::string& p, int64_t width) {
  (*w)[p + "ln_1.weight"] = torch::ones({width});
  (*w)[p + "ln_1.bias"] = torch::zeros({width});
  (*w)[p + "attn.in_proj_weight"] = torch::randn({3 * width, width}) * 0.05;
  (*w)[p + "attn.in_proj_bias"] = torch::randn({3 * width}) * 0.02;
  (*w)[p + "attn.out_proj.weight"] = torch::randn({width, width}) * 0.05;
  (*w)[p + "attn.out_proj.bias"] = torch::zeros({width});
  (*w)[p + "ln_2.weight"] = torch::ones({width});
  (*w)[p + "ln_2.bias"] = torch::zeros({width});
  (*w)[p + "mlp.c_fc.weight"] = torch::randn({4 * width, width}) * 0.05;
  (*w)[p + "mlp.c_fc.bias"] = torch::zeros({4 * width});
  (*w)[p + "mlp.c_proj.weight"] = torch::randn({width, 4 * width}) * 0.05;
  (*w)[p + "mlp.c_proj.bias"] = torch::zeros({width});
}

void AddText(StateDict* w, int64_t embed) {
  const int64_t width = 64, vocab = 100, ctx = 16;
  (*w)["token_embedding.weight"] = torch::randn({vocab, width}) * 0.02;
  (*w)["positional_embedding"] = torch::randn({ctx, width}) * 0.01;
  AddBlock(w, "transformer.resblocks.0.", width);
  (*w)["ln_final.weight"] = torch::ones({width});
  (*w)["ln_final.bias"] = torch::zeros({width});
  (*w)["text_projection"] = torch::randn({width, embed}) * 0.1;
  (*w)["logit_scale"] = torch::full({}, std::log(1 / 0.07));
}

StateDict NarrowVit() {
  torch::manual_seed(1);
  StateDict w;
  const int64_t width = 64, patch = 8, grid = 3, embed = 16;
  w["visual.conv1.weight"] = torch::randn({width, 3, patch, patch}) * 0.05;
  w["visual.class_embedding"] = torch::randn({width}) * 0.1;
  w["visual.positional_embedding"] = torch::randn({grid * grid + 1, width}) * 0.1;
  w["visual.ln_pre.weight"] = torch::ones({width});
  w["visual.ln_pre.bias"] = torch::zeros({width});
  for (int i = 0; i < 2; ++i) {
    AddBlock(&w, "visual.transformer.resblocks." + std::to_string(i) + ".", width);
  }
  w["visual.ln_post.weight"] = torch::ones({width});
  w["visual.ln_post.bias"] = torch::zeros({width});
  w["visual.proj"] = torch::randn({width, embed}) * 0.1;
  AddText(&w, embed);
  return w;
}

void AddBatchNorm(StateDict* w, const std::string& p, int64_t c) {
  (*w)[p + "weight"] = torch::ones({c});
  (*w)[p + "bias"] = torch::zeros({c});
  (*w)[p + "running_mean"] = torch::zeros({c});
  (*w)[p + "running_var"] = torch::ones({c});
  (*w)[p + "num_batches_tracked"] = torch::zeros({}, torch::kInt64);
}

StateDict NarrowResNet() {
  torch::manual_seed(2);
  StateDict w;
  const int64_t width = 4, embed = 16, out = width * 32;
  auto conv = [&](const std::string& name, int64_t o, int64_t i, int64_t k) {
    w[name] = torch::randn({o, i, k, k}) * std::sqrt(2.0 / static_cast<double>(i * k * k));
  };
  conv("visual.conv1.weight", width / 2, 3, 3);
  AddBatchNorm(&w, "visual.bn1.", width / 2);
  conv("visual.conv2.weight", width / 2, width / 2, 3);
  AddBatchNorm(&w, "visual.bn2.", width / 2);
  conv("visual.conv3.weight", width, width / 2, 3);
  AddBatchNorm(&w, "visual.bn3.", width);
  int64_t inplanes = width;
  for (int s = 0; s < 4; ++s) {
    const int64_t planes = width << s;
    const std::string p = "visual.layer" + std::to_string(s + 1) + ".0.";
    conv(p + "conv1.weight", planes, inplanes, 1);
    AddBatchNorm(&w, p + "bn1.", planes);
    conv(p + "conv2.weight", planes, planes, 3);
    AddBatchNorm(&w, p + "bn2.", planes);
    conv(p + "conv3.weight", planes * 4, planes, 1);
    AddBatchNorm(&w, p + "bn3.", planes * 4);
    conv(p + "downsample.0.weight", planes * 4, inplanes, 1);
    AddBatchNorm(&w, p + "downsample.1.", planes * 4);
    inplanes = planes * 4;
  }
  w["visual.attnpool.positional_embedding"] = torch::randn({4 + 1, out}) * 0.1;  // 64 px
  for (const char* proj : {"q_proj", "k_proj", "v_proj"}) {
    w[std::string("visual.attnpool.") + proj + ".weight"] = torch::randn({out, out}) * 0.05;
    w[std::string("visual.attnpool.") + proj + ".bias"] = torch::zeros({out});
  }
  w["visual.attnpool.c_proj.weight"] = torch::randn({embed, out}) * 0.05;
  w["visual.attnpool.c_proj.bias"] = torch::zeros({embed});
  AddText(&w, embed);
  return w;
}

std::shared_ptr<ClipModel> Build(StateDict w) {
  auto m = ClipModel::FromWeights(std::move(w), nullptr, true, "clip:test");
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? *m : nullptr;
}

TEST(ClipModelTest, ReadsEverySizeFromTheShapes) {
  auto vit = InferClipArchitecture(NarrowVit());
  ASSERT_TRUE(vit.ok()) << vit.status().ToString();
  EXPECT_TRUE(vit->vit);
  EXPECT_EQ(vit->vision_width, 64);
  EXPECT_EQ(vit->vision_layers, 2);
  EXPECT_EQ(vit->patch_size, 8);
  EXPECT_EQ(vit->image_resolution, 24);
  EXPECT_EQ(vit->embed_dim, 16);
  EXPECT_EQ(vit->context_length, 16);
  EXPECT_EQ(vit->vocab_size, 100);
  EXPECT_EQ(vit->text_layers, 1);
  auto rn = InferClipArchitecture(NarrowResNet());
  ASSERT_TRUE(rn.ok()) << rn.status().ToString();
  EXPECT_FALSE(rn->vit);
  EXPECT_EQ(rn->image_resolution, 64);
  EXPECT_EQ(rn->vision_heads, 2);  // width * 32 / 64
  EXPECT_EQ(rn->stage_blocks, (std::array<int64_t, 4>{1, 1, 1, 1}));
}

TEST(ClipModelTest, MissingOrMisshapenTensorsAreNamed) {
  StateDict w = NarrowVit();
  w.erase("visual.ln_post.bias");
  auto missing = InferClipArchitecture(w);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "CLIP checkpoint: tensor \"visual.ln_post.bias\" is missing (expected [64])");
  w = NarrowVit();
  w["visual.transformer.resblocks.1.mlp.c_fc.weight"] = torch::zeros({255, 64});
  auto shape = InferClipArchitecture(w);
  ASSERT_FALSE(shape.ok());
  EXPECT_EQ(shape.status().message(),
            "CLIP checkpoint: tensor \"visual.transformer.resblocks.1.mlp.c_fc.weight\" has "
            "shape [255, 64], expected [256, 64]");
  w = NarrowResNet();
  w.erase("visual.layer3.0.downsample.1.running_var");
  EXPECT_EQ(InferClipArchitecture(w).status().message(),
            "CLIP checkpoint: tensor \"visual.layer3.0.downsample.1.running_var\" is missing "
            "(expected [64])");
  EXPECT_NE(InferClipArchitecture(StateDict{}).status().message().find("token_embedding.weight"),
            std::string::npos);
}

TEST(ClipModelTest, ParameterGroupsCoverEveryParameterOnce) {
  for (auto* make : {&NarrowVit, &NarrowResNet}) {
    auto m = Build(make());
    ASSERT_TRUE(m);
    auto groups = m->parameter_groups();
    std::set<const void*> seen;
    size_t count = 0;
    auto add = [&](const std::vector<torch::Tensor>& ts) {
      for (const auto& t : ts) {
        seen.insert(t.unsafeGetTensorImpl());
        ++count;
      }
    };
    for (const auto& b : groups.image_blocks) add(b);
    for (const auto& b : groups.text_blocks) add(b);
    add(groups.other);
    EXPECT_EQ(count, seen.size());  // no parameter twice
    EXPECT_EQ(count, m->parameters().size());
    // Stem, blocks (ViT: 2; ResNet: 4 stages), head.
    EXPECT_EQ(groups.image_blocks.size(), m->architecture().vit ? 4u : 6u);
    EXPECT_EQ(groups.text_blocks.size(), 3u);
    for (const auto& b : groups.image_blocks) EXPECT_FALSE(b.empty());
  }
}

TEST(ClipModelTest, EncodesAndTrainsAndClonesIndependently) {
  auto m = Build(NarrowVit());
  ASSERT_TRUE(m);
  auto images = torch::rand({2, 3, 24, 24});
  auto feats = m->EncodeImage(images, {});
  EXPECT_EQ(feats.sizes(), (std::vector<int64_t>{2, 16}));
  auto ids = torch::tensor({1, 5, 7, 99, 0, 0}, torch::kInt64).view({1, 6});
  auto text = m->EncodeText(ids, torch::tensor({3}, torch::kInt64));
  EXPECT_EQ(text.sizes(), (std::vector<int64_t>{1, 16}));
  // Causal: tokens after the end position change nothing.
  auto ids2 = ids.clone();
  ids2[0][5] = 42;
  EXPECT_TRUE(torch::allclose(text, m->EncodeText(ids2, torch::tensor({3}, torch::kInt64))));
  // Gradients reach the weights, and a clone's weights are its own.
  feats.sum().backward();
  EXPECT_TRUE(m->parameter_groups().image_blocks.front().front().grad().defined());
  auto copy = m->Clone();
  {
    torch::NoGradGuard no_grad;
    for (auto& p : copy->parameters()) p.add_(1.0);
  }
  EXPECT_TRUE(torch::allclose(feats, m->EncodeImage(images, {})));
}

TEST(ClipModelTest, VisualPromptsShallowAndDeepActThroughAttention) {
  auto m = Build(NarrowVit());
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->supports_visual_prompts());
  auto images = torch::rand({2, 3, 24, 24});
  auto plain = m->EncodeImage(images, {});
  VisualPrompt shallow;
  shallow.shallow = (torch::randn({3, 64}) * 0.5).requires_grad_(true);
  auto with = m->EncodeImage(images, shallow);
  EXPECT_FALSE(torch::allclose(plain, with, 1e-4, 1e-5));
  with.sum().backward();
  EXPECT_GT(shallow.shallow.grad().abs().sum().item<double>(), 0.0);
  VisualPrompt deep;
  deep.deep = (torch::randn({2, 3, 64}) * 0.5).requires_grad_(true);
  auto d = m->EncodeImage(images, deep);
  d.sum().backward();
  EXPECT_GT(deep.deep.grad()[1].abs().sum().item<double>(), 0.0);  // the second layer's too
  auto rn = Build(NarrowResNet());
  ASSERT_TRUE(rn);
  EXPECT_FALSE(rn->supports_visual_prompts());
  EXPECT_EQ(rn->EncodeImage(torch::rand({1, 3, 64, 64}), {}).sizes(),
            (std::vector<int64_t>{1, 16}));
}

std::string Safetensors(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i)
    out[static_cast<size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return out + header + data;
}

TEST(ClipCheckpointTest, SafetensorsReadsF32AndF16AndNamesBadHeaders) {
  float values[2] = {1.5f, -2.0f};
  std::string f32(reinterpret_cast<const char*>(values), 8);
  std::string f16("\x00\x3c\x00\xc0", 4);  // 1.0, -2.0 in IEEE half, little-endian
  auto ok = ParseSafetensors(
      Safetensors(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                  R"("b":{"dtype":"F16","shape":[1,2],"data_offsets":[8,12]},"__metadata__":{}})",
                  f32 + f16),
      "m.safetensors");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_TRUE(torch::equal(ok->at("a"), torch::tensor({1.5f, -2.0f})));
  EXPECT_TRUE(torch::equal(ok->at("b"), torch::tensor({1.0f, -2.0f}).view({1, 2})));
  EXPECT_EQ(ParseSafetensors(
                Safetensors(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", f32),
                "m.safetensors")
                .status()
                .message(),
            "m.safetensors: tensor \"a\": data_offsets [0, 8) do not hold 3 F32 values within "
            "the 8 data bytes");
  EXPECT_FALSE(ParseSafetensors("short", "m").ok());
  EXPECT_FALSE(ParseSafetensors(Safetensors("{not json", ""), "m").ok());
  EXPECT_FALSE(ParseSafetensors(std::string("\xff\xff\xff\xff\xff\xff\xff\x7f{}", 10), "m").ok());
}

}  // namespace
}  // namespace chromatune::models
