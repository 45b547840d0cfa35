#include "datasets/refexp.h"

#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "datasets/image_io.h"
#include "tests/datasets/temp_dir.h"

namespace chromatune::datasets {
namespace {

using testing::TempDir;

constexpr const char* kJson = R"({
  "images": [{"id": 1, "file_name": "img/a.png", "width": 40, "height": 20},
             {"id": 2, "file_name": "img/b.png", "width": 20, "height": 20}],
  "annotations": [{"id": 10, "image_id": 1, "bbox": [0, 0, 10, 10], "category_id": 3},
                  {"id": 11, "image_id": 1, "bbox": [20, 5, 20, 10], "category_id": 5},
                  {"id": 12, "image_id": 2, "bbox": [2, 2, 8, 8], "category_id": 5}],
  "categories": [{"id": 3, "name": "cat"}, {"id": 5, "name": "dog"}],
  "refs": [{"ref_id": 0, "image_id": 1, "ann_id": 11, "split": "train",
            "sentences": [{"sent": "The  Dog on the RIGHT"}, {"sent": "brown dog"}]},
           {"ref_id": 1, "image_id": 2, "ann_id": 12, "split": "test",
            "sentences": [{"sent": "a dog"}]}]})";

std::string MakeFixture(const TempDir& dir) {
  std::filesystem::create_directories(dir.File("img"));
  EXPECT_TRUE(WritePng(dir.File("img/a.png"), Image::Filled(20, 40, {10, 200, 10})).ok());
  EXPECT_TRUE(WritePng(dir.File("img/b.png"), Image::Filled(20, 20, {1, 2, 3})).ok());
  return dir.Write("refs.json", kJson);
}

TEST(RefexpTest, OneEntryPerSentenceWithAllAnnotationsAsProposals) {
  TempDir dir;
  auto set = ReadRefexp(MakeFixture(dir));
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->category_names, (std::vector<std::string>{"cat", "dog"}));
  ASSERT_EQ(set->entries.size(), 3u);
  const RefexpEntry& e = set->entries[0];
  EXPECT_EQ(e.query, "the dog on the right");
  EXPECT_EQ(e.split, "train");
  ASSERT_EQ(e.proposals.size(), 2u);
  EXPECT_EQ(e.target, 1);
  EXPECT_EQ(e.proposal_categories, (std::vector<int>{0, 1}));
  EXPECT_FLOAT_EQ(e.proposals[1].x1, 40.0f);
  EXPECT_FLOAT_EQ(e.proposals[1].y1, 15.0f);
  EXPECT_EQ(set->entries[1].query, "brown dog");
  EXPECT_EQ(set->entries[2].split, "test");
  EXPECT_EQ(set->entries[2].image_path, dir.File("img/b.png"));
}

// Examples keep the image at its own resolution and the boxes in its pixels (the methods
// crop and mark there, then preprocess); sentences about one image share one decoded copy.
TEST(RefexpTest, LoadsExamplesAtTheOriginalResolutionSharingEachImage) {
  TempDir dir;
  auto set = ReadRefexp(MakeFixture(dir));
  ASSERT_TRUE(set.ok());
  auto examples = LoadRefexpExamples(*set, {0, 2, 1}, /*threads=*/2);
  ASSERT_TRUE(examples.ok()) << examples.status().ToString();
  const GroundingExample& ex = (*examples)[0];
  ASSERT_NE(ex.original, nullptr);
  EXPECT_EQ(*ex.original, Image::Filled(20, 40, {10, 200, 10}));
  EXPECT_TRUE(ex.image.empty());
  EXPECT_TRUE(ex.proposal_masks.empty());  // a marker is its box
  EXPECT_EQ(ex.target, 1);
  EXPECT_EQ(ex.target_label, 1);
  EXPECT_FLOAT_EQ(ex.proposals[1].x0, 20.0f);  // the annotation's own pixels
  EXPECT_FLOAT_EQ(ex.proposals[1].y0, 5.0f);
  EXPECT_FLOAT_EQ(ex.proposals[1].y1, 15.0f);
  EXPECT_EQ((*examples)[1].proposals.size(), 1u);
  EXPECT_EQ(*(*examples)[1].original, Image::Filled(20, 20, {1, 2, 3}));
  EXPECT_EQ((*examples)[2].original, ex.original);  // the same image, decoded once
  EXPECT_EQ((*examples)[2].query, "brown dog");
  // Annotation proposals: only the target is correct, however much another box overlaps.
  EXPECT_FALSE(ex.ground_truth.has_value());
  EXPECT_TRUE(IsCorrectChoice(ex, 1));
  EXPECT_FALSE(IsCorrectChoice(ex, 0));
}

TEST(RefexpTest, ImageSizeMismatchAndMissingImagesAreErrors) {
  TempDir dir;
  auto set = ReadRefexp(MakeFixture(dir));
  ASSERT_TRUE(set.ok());
  ASSERT_TRUE(WritePng(dir.File("img/b.png"), Image::Filled(21, 20, {0, 0, 0})).ok());
  auto wrong = LoadRefexpExamples(*set, {2});
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("differs from the declared 20x20"), std::string::npos);
  std::filesystem::remove(dir.File("img/a.png"));
  auto missing = LoadRefexpExamples(*set, {0});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("img/a.png"), std::string::npos);
}

TEST(RefexpTest, BadFilesNameTheField) {
  TempDir dir;
  const std::string good = kJson;
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    const size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
  };
  struct Case {
    std::string json;
    const char* expect;
  } cases[] = {
      {replace("\"ann_id\": 12", "\"ann_id\": 17"), "\"refs\"[1].ann_id: annotation 17 not found"},
      {replace("\"ann_id\": 12", "\"ann_id\": 10"),
       "\"refs\"[1].ann_id: annotation 10 belongs to image 1, not 2"},
      {replace("[2, 2, 8, 8]", "[2, 2, 0, 8]"),
       "\"annotations\"[2].bbox: need 4 numbers with w, h > 0"},
      {replace("[2, 2, 8, 8]", "[2, 2, 8]"), "\"annotations\"[2].bbox: need [x, y, w, h]"},
      {replace("\"image_id\": 2, \"bbox\"", "\"image_id\": 9, \"bbox\""),
       "\"annotations\"[2].image_id: image 9 not found"},
      {replace("\"file_name\": \"img/b.png\", ", ""), "\"images\"[1].file_name: missing"},
      {replace("{\"id\": 5, \"name\": \"dog\"}", "{\"id\": 6, \"name\": \"dog\"}"),
       "category_id 5 not found in \"categories\""},
      {replace("\"sentences\": [{\"sent\": \"a dog\"}]", "\"sentences\": []"),
       "\"refs\"[1].sentences: empty"},
      {replace("{\"sent\": \"a dog\"}", "{\"raw\": \"a dog\"}"),
       "\"refs\"[1].sentences[0].sent: missing"},
      {replace("\"id\": 2, \"file_name\"", "\"id\": 1, \"file_name\""),
       "\"images\"[1].id: duplicate image id 1"},
  };
  for (const Case& c : cases) {
    const std::string path = dir.Write("bad.json", c.json);
    auto set = ReadRefexp(path);
    ASSERT_FALSE(set.ok()) << c.expect;
    EXPECT_NE(set.status().message().find(path), std::string::npos) << set.status().message();
    EXPECT_NE(set.status().message().find(c.expect), std::string::npos) << set.status().message();
  }
}

TEST(RefexpTest, CategoriesAreOptional) {
  TempDir dir;
  nlohmann::json doc = nlohmann::json::parse(kJson);
  doc.erase("categories");
  auto set = ReadRefexp(dir.Write("refs.json", doc.dump()));
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->category_names, (std::vector<std::string>{"category 3", "category 5"}));
  EXPECT_EQ(set->category_ids, (std::vector<int>{3, 5}));
}

TEST(RefexpTest, KeepsSplitsIdsBoxesAndCategories) {
  TempDir dir;
  nlohmann::json doc = nlohmann::json::parse(kJson);
  doc["refs"].push_back({{"ref_id", 7},
                         {"image_id", 1},
                         {"ann_id", 10},
                         {"split", "testB"},
                         {"sentences", {{{"sent", "left cat"}}}}});
  doc["refs"].push_back(
      {{"image_id", 2}, {"ann_id", 12}, {"split", "val"}, {"sentences", {{{"sent", "dog"}}}}});
  auto set = ReadRefexp(dir.Write("refs.json", doc.dump()));
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->split_names, (std::vector<std::string>{"train", "test", "testB", "val"}));
  EXPECT_EQ(set->default_eval_splits, (std::vector<std::string>{"test", "testB", "val"}));
  EXPECT_EQ(set->split_entries.at("train"), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(set->split_entries.at("testB"), (std::vector<int64_t>{3}));
  EXPECT_EQ(set->split_entries.at("val"), (std::vector<int64_t>{4}));
  const RefexpEntry& e = set->entries[3];
  EXPECT_EQ(e.ref_id, 7);
  EXPECT_EQ(e.image_id, 1);
  EXPECT_EQ(e.ann_id, 10);
  EXPECT_EQ(e.target, 0);
  EXPECT_EQ(e.target_category, 0);
  EXPECT_FLOAT_EQ(e.target_box.x1, 10.0f);
  EXPECT_EQ(set->entries[4].ref_id, 3);  // its index in "refs" when ref_id is absent
  EXPECT_EQ(set->image_files, (std::vector<std::string>{"img/a.png", "img/b.png"}));
  EXPECT_TRUE(set->annotation_proposals);
  EXPECT_TRUE(RefexpHit(e, 0, true));
  EXPECT_FALSE(RefexpHit(e, 1, true));
}

TEST(RefexpTest, ProposalsFileReplacesAnnotationBoxes) {
  TempDir dir;
  const std::string json = MakeFixture(dir);
  // Image 1's target (ann 11) is [20, 5, 40, 15]; the second box overlaps it most.
  const std::string props =
      dir.Write("props.json", R"({"1": [[0, 0, 5, 5], [21, 5, 19, 10], [20, 0, 20, 20]],
                        "2": [[2, 2, 8, 8]], "99": [[0, 0, 1, 1]]})");
  auto set = ReadRefexp(json, "", props);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_FALSE(set->annotation_proposals);
  const RefexpEntry& e = set->entries[0];
  ASSERT_EQ(e.proposals.size(), 3u);
  EXPECT_EQ(e.target, 1);
  EXPECT_EQ(e.proposal_categories, (std::vector<int>{-1, -1, -1}));
  EXPECT_EQ(e.target_category, 1);
  EXPECT_FALSE(RefexpHit(e, 0, false));
  EXPECT_TRUE(RefexpHit(e, 1, false));  // IoU 0.95
  EXPECT_TRUE(RefexpHit(e, 2, false));  // IoU 0.5: the threshold counts
  EXPECT_FALSE(RefexpHit(e, 3, false));
  auto examples = LoadRefexpExamples(*set, {0});
  ASSERT_TRUE(examples.ok()) << examples.status().ToString();
  EXPECT_EQ((*examples)[0].target_label, 1);
  EXPECT_EQ((*examples)[0].proposal_labels, (std::vector<int>{-1, -1, -1}));
  // The trial scores the example by RefexpHit's rule: the non-target box 2 counts.
  for (int p = 0; p < 4; ++p) {
    EXPECT_EQ(IsCorrectChoice((*examples)[0], p), RefexpHit(e, p, false)) << p;
  }
  EXPECT_TRUE(IsCorrectChoice((*examples)[0], 2));

  struct Case {
    const char* props;
    std::string expect;
  } cases[] = {
      {R"({"1": [[0, 0, 5, 5]]})", ": no proposals for image 2 (used by " + json + " \"refs\"[1])"},
      {R"({"x": [[0, 0, 5, 5]]})", ": \"x\": keys are image ids (integers)"},
      {R"({"1": [], "2": [[0, 0, 1, 1]]})", ": \"1\": no boxes"},
      {R"({"1": [[0, 0, 5]], "2": [[0, 0, 1, 1]]})", ": \"1\"[0]: need [x, y, w, h]"},
      {R"({"1": [[0, 0, 5, 0]], "2": [[0, 0, 1, 1]]})", ": \"1\"[0]: need 4 numbers with w, h > 0"},
      {R"([1])", ": top level: must be an object"},
  };
  for (const Case& c : cases) {
    const std::string path = dir.Write("bad_props.json", c.props);
    auto bad = ReadRefexp(json, "", path);
    ASSERT_FALSE(bad.ok()) << c.expect;
    EXPECT_EQ(bad.status().message(), path + c.expect);
  }
  EXPECT_EQ(ReadRefexp(json, dir.path() + "/nope").status().message(),
            json + ": image_root " + dir.path() + "/nope: folder not found");
}

}  // namespace
}  // namespace chromatune::datasets
