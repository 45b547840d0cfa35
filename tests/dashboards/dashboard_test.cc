#include "dashboards/dashboard.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "dashboards/web_assets.h"
#include "storage/artifact_store.h"

namespace chromatune::dashboards {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

class DashboardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("ct_dashboard_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = (dir_ / "s.sqlite").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  static json Item(int index, const std::string& method, int shots, int data_seed,
                   json params = json::object()) {
    return {{"index", index},           {"key", method + std::to_string(index)},
            {"task", "classification"}, {"dataset", "fashion-mnist"},
            {"method", method},         {"shots", shots},
            {"data_seed", data_seed},   {"train_seed", 1},
            {"params", params},         {"resources", {{"ranks", 1}}}};
  }

  // Creates a sweep and completes every trial with accuracy = value(item).
  void MakeSweep(const std::string& name, const std::vector<json>& items,
                 const std::function<double(const json&)>& value, bool artifacts = false) {
    auto store = ResultStore::Open(db_, StoreMode::kReadWrite);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    NewSweep sweep;
    sweep.name = name;
    sweep.user = "alice";
    sweep.items = json::array();
    for (json item : items) {  // keys unique across sweeps: no reuse between them here
      item["key"] = name + "/" + item["key"].get<std::string>();
      sweep.items.push_back(item);
    }
    auto created = (*store)->CreateSweep(sweep);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    auto trials = (*store)->ListTrials(TrialFilter{created->sweep_id, std::nullopt, 0, 0});
    ASSERT_TRUE(trials.ok());
    WorkerGroupInfo group;
    group.host = "test-host";
    auto group_id = (*store)->RegisterWorkerGroup(group);
    ASSERT_TRUE(group_id.ok()) << group_id.status().ToString();
    for (const auto& t : *trials) {
      auto lease = (*store)->Lease(t.id, *group_id, 1LL << 50);
      ASSERT_TRUE(lease.ok()) << lease.status().ToString();
      TrialResult r;
      r.metrics["accuracy"] = value(t.item);
      r.curves = {{"train_loss", 1, 2.0}, {"train_loss", 2, 1.0}};
      if (artifacts) {
        // The default artifact file next to the store (s.sqlite -> s.h5).
        auto a = ArtifactStore::Open((dir_ / "s.h5").string(), name, StoreMode::kReadWrite);
        ASSERT_TRUE(a.ok()) << a.status().ToString();
        TrialResult with_array = r;
        with_array.arrays.push_back({"predictions", {2}, {1, 0}});
        ASSERT_TRUE((*a)->WriteTrial(t.id, lease->attempt, t.item, with_array).ok());
      }
      ASSERT_TRUE((*store)->Complete(t.id, lease->attempt, r).ok());
    }
  }

  json Get(Dashboard& d, const std::string& path, std::map<std::string, std::string> query,
           int expect_status = 200) {
    coordinator::HttpRequest req;
    req.method = "GET";
    req.path = path;
    req.query = std::move(query);
    auto resp = d.Handle(req);
    EXPECT_EQ(resp.status, expect_status) << resp.body;
    return json::parse(resp.body);
  }

  fs::path dir_;
  std::string db_;
};

TEST_F(DashboardTest, SweepsSummaryAndPairedDifferences) {
  std::vector<json> items;
  int i = 0;
  for (int shots : {1, 4}) {
    for (int seed : {1, 2, 3}) {
      items.push_back(Item(i++, "coop", shots, seed));
      items.push_back(Item(i++, "finetune", shots, seed));
    }
  }
  // coop = finetune + 0.1 on every data seed.
  MakeSweep("s1", items, [](const json& it) {
    return 0.5 + 0.01 * it["data_seed"].get<int>() + (it["method"] == "coop" ? 0.1 : 0.0);
  });
  auto d = Dashboard::Open({db_, ""});
  ASSERT_TRUE(d.ok()) << d.status().ToString();

  json sweeps = Get(**d, "/api/v1/dashboard/sweeps", {});
  ASSERT_EQ(sweeps["sweeps"].size(), 1u);
  EXPECT_EQ(sweeps["sweeps"][0]["name"], "s1");
  EXPECT_EQ(sweeps["sweeps"][0]["counts"]["done"], 12);
  EXPECT_EQ(sweeps["sweeps"][0]["eta_s"], 0);

  json summary = Get(**d, "/api/v1/dashboard/summary", {{"sweep", "s1"}});
  ASSERT_EQ(summary["cells"].size(), 4u);
  ASSERT_EQ(summary["points"].size(), 4u);
  for (size_t c = 0; c < 4; ++c) EXPECT_EQ(summary["points"][c].size(), 3u);
  bool found = false;
  for (const auto& p : summary["paired"]) {
    if (p["method"] == "coop" && p["shots"] == 4) {
      EXPECT_NEAR(p["mean_diff"].get<double>(), 0.1, 1e-12);
      EXPECT_EQ(p["n_pairs"], 3);
      found = true;
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(DashboardTest, TrialTableFiltersSortsAndPages) {
  std::vector<json> items;
  for (int i = 0; i < 30; ++i) items.push_back(Item(i, i % 2 ? "coop" : "finetune", 1, i + 1));
  MakeSweep("s", items, [](const json& it) { return it["data_seed"].get<int>() / 100.0; });
  auto d = Dashboard::Open({db_, ""});
  ASSERT_TRUE(d.ok());
  json t =
      Get(**d, "/api/v1/dashboard/trials",
          {{"sweep", "s"}, {"method", "coop"}, {"sort", "value"}, {"desc", "1"}, {"limit", "5"}});
  EXPECT_EQ(t["total"], 15);
  ASSERT_EQ(t["rows"].size(), 5u);
  EXPECT_EQ(t["rows"][0]["data_seed"], 30);
  EXPECT_EQ(t["rows"][1]["data_seed"], 28);
  for (const auto& r : t["rows"]) EXPECT_EQ(r["method"], "coop");
  json page2 = Get(**d, "/api/v1/dashboard/trials",
                   {{"sweep", "s"},
                    {"method", "coop"},
                    {"sort", "value"},
                    {"desc", "1"},
                    {"limit", "5"},
                    {"offset", "5"}});
  EXPECT_EQ(page2["rows"][0]["data_seed"], 20);
  Get(**d, "/api/v1/dashboard/trials", {{"sweep", "s"}, {"sort", "bogus"}}, 400);
  Get(**d, "/api/v1/dashboard/trials", {{"sweep", "s"}, {"limit", "x"}}, 400);
  Get(**d, "/api/v1/dashboard/trials", {{"sweep", "nope"}}, 404);
}

TEST_F(DashboardTest, TrialPageReadsCurvesFromHdf5) {
  MakeSweep(
      "h", {Item(0, "coop", 1, 1)}, [](const json&) { return 0.7; }, /*artifacts=*/true);
  auto d = Dashboard::Open({db_, ""});
  ASSERT_TRUE(d.ok());
  json t = Get(**d, "/api/v1/dashboard/trial", {{"id", "1"}});
  EXPECT_EQ(t["curves_source"], "hdf5");
  ASSERT_EQ(t["curves"].size(), 1u);
  EXPECT_EQ(t["curves"][0]["values"], json({2.0, 1.0}));
  EXPECT_EQ(t["arrays"][0]["name"], "predictions");
  EXPECT_DOUBLE_EQ(t["metrics"]["accuracy"].get<double>(), 0.7);
  Get(**d, "/api/v1/dashboard/trial", {{"id", "999"}}, 404);
}

TEST_F(DashboardTest, CompareMatchesCells) {
  MakeSweep("a", {Item(0, "coop", 1, 1), Item(1, "coop", 2, 1)}, [](const json&) { return 0.5; });
  MakeSweep("b", {Item(0, "coop", 1, 2), Item(1, "linear-probe", 1, 2)},
            [](const json&) { return 0.6; });
  auto d = Dashboard::Open({db_, ""});
  ASSERT_TRUE(d.ok());
  json c = Get(**d, "/api/v1/dashboard/compare", {{"a", "a"}, {"b", "b"}});
  ASSERT_EQ(c["rows"].size(), 3u);
  int both = 0;
  for (const auto& r : c["rows"]) both += !r["a"].is_null() && !r["b"].is_null();
  EXPECT_EQ(both, 1);
}

TEST_F(DashboardTest, ReadOnlyAndErrors) {
  MakeSweep("<script>alert(1)</script>", {Item(0, "coop", 1, 1)}, [](const json&) { return 0.5; });
  auto d = Dashboard::Open({db_, ""});
  ASSERT_TRUE(d.ok());
  coordinator::HttpRequest post;
  post.method = "POST";
  post.path = "/api/v1/dashboard/sweeps";
  EXPECT_EQ((*d)->Handle(post).status, 405);
  json s = Get(**d, "/api/v1/dashboard/summary", {{"sweep", "<script>alert(1)</script>"}});
  EXPECT_EQ(s["sweep"], "<script>alert(1)</script>");
  Get(**d, "/api/v1/dashboard/summary", {}, 400);
  Get(**d, "/api/v1/dashboard/nothing", {}, 404);
  EXPECT_FALSE(Dashboard::Open({(dir_ / "missing.sqlite").string(), ""}).ok());
}

TEST(WebAssetsTest, PageIsEmbeddedAndNeverInjectsMarkup) {
  const WebAsset* index = FindWebAsset("/");
  ASSERT_NE(index, nullptr);
  EXPECT_NE(index->body.find("app.js"), std::string_view::npos);
  for (const char* path : {"/app.js", "/plots.js"}) {
    const WebAsset* js = FindWebAsset(path);
    ASSERT_NE(js, nullptr) << path;
    // Names from sweep files reach the page only through textContent.
    EXPECT_EQ(js->body.find("innerHTML"), std::string_view::npos) << path;
    EXPECT_EQ(js->body.find("insertAdjacentHTML"), std::string_view::npos) << path;
  }
  EXPECT_EQ(FindWebAsset("/etc/passwd"), nullptr);
}

}  // namespace
}  // namespace chromatune::dashboards
