#include "coordinator/protocol/wire.h"

#include <gtest/gtest.h>

namespace chromatune::protocol {
namespace {

TEST(WireTest, Base64RoundTripsEveryLength) {
  std::string bytes;
  for (int n = 0; n < 20; ++n) {
    auto decoded = Base64Decode(Base64Encode(bytes));
    ASSERT_TRUE(decoded.ok()) << n;
    EXPECT_EQ(*decoded, bytes);
    bytes.push_back(static_cast<char>(n * 37 + 255));
  }
  EXPECT_EQ(Base64Encode("Man"), "TWFu");
  EXPECT_EQ(Base64Encode("Ma"), "TWE=");
  EXPECT_EQ(Base64Encode("M"), "TQ==");
}

TEST(WireTest, Base64RejectsBadText) {
  EXPECT_FALSE(Base64Decode("abc").ok());
  EXPECT_FALSE(Base64Decode("ab!d").ok());
  EXPECT_FALSE(Base64Decode("a=bc").ok());
  EXPECT_FALSE(Base64Decode("TQ==TWFu").ok());
}

TEST(WireTest, ResultRoundTripKeepsArraysExactly) {
  TrialResult r;
  r.metrics["accuracy"] = 0.625;
  r.curves.push_back({"train_loss", 3, 1.5});
  r.arrays.push_back({"predictions", {2, 3}, {1.f, -2.5f, 3.25f, 1e-30f, 7.f, 0.f}});
  r.arrays.push_back({"empty", {0}, {}});
  r.info = {{"note", "x"}};
  r.wall_seconds = 2.5;
  nlohmann::json j = EncodeResult(r);
  EXPECT_EQ(j["arrays"][0]["dtype"], "f32le");
  EXPECT_TRUE(j["arrays"][0].contains("data_b64"));
  auto back = DecodeResult(nlohmann::json::parse(j.dump()));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->metrics, r.metrics);
  ASSERT_EQ(back->arrays.size(), 2u);
  EXPECT_EQ(back->arrays[0].shape, r.arrays[0].shape);
  EXPECT_EQ(back->arrays[0].data, r.arrays[0].data);
  EXPECT_EQ(back->curves.size(), 1u);
  EXPECT_EQ(back->info, r.info);
  EXPECT_DOUBLE_EQ(back->wall_seconds, 2.5);
}

TEST(WireTest, BadArraysNameTheField) {
  TrialResult r;
  r.metrics["accuracy"] = 1;
  r.arrays.push_back({"p", {2}, {1.f, 2.f}});
  nlohmann::json j = EncodeResult(r);
  j["arrays"][0]["shape"] = {3};
  auto mismatch = DecodeResult(j);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.status().message().find("result.arrays[0]"), std::string::npos);
  j["arrays"][0]["shape"] = {2};
  j["arrays"][0]["dtype"] = "f64";
  EXPECT_NE(DecodeResult(j).status().message().find("dtype"), std::string::npos);
  j["arrays"][0]["dtype"] = "f32le";
  j["arrays"][0]["data_b64"] = "***";
  EXPECT_NE(DecodeResult(j).status().message().find("data_b64"), std::string::npos);
  EXPECT_FALSE(DecodeResult(nlohmann::json::array()).ok());
  EXPECT_FALSE(DecodeResult({{"arrays", nlohmann::json::array()}}).ok());  // no metrics
}

TEST(WireTest, ArrayShapesThatOverflowAreRefused) {
  // 2^32 x 2^32 wraps a 64-bit element count to 0, which the empty data would then "match".
  nlohmann::json j = {
      {"metrics", {{"accuracy", 0.5}}},
      {"arrays",
       {{{"name", "logits"}, {"shape", {int64_t{1} << 32, int64_t{1} << 32}}, {"data_b64", ""}}}}};
  auto r = DecodeResult(j);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "result.arrays[0].shape: more than 2^40 elements");
  j["arrays"][0]["shape"] = {0, int64_t{1} << 62};  // empty: no overflow, no data
  EXPECT_TRUE(DecodeResult(j).ok()) << DecodeResult(j).status().ToString();
}

}  // namespace
}  // namespace chromatune::protocol
