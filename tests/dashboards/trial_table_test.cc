#include "dashboards/trial_table.h"

#include <gtest/gtest.h>

#include <optional>

namespace chromatune::dashboards {
namespace {

using nlohmann::json;

TrialOutcome Outcome(int64_t id, const std::string& method, int shots, int64_t data_seed,
                     const std::string& state, std::optional<double> accuracy) {
  TrialOutcome o;
  o.trial_id = id;
  o.method = method;
  o.shots = shots;
  o.data_seed = data_seed;
  o.train_seed = 1;
  o.state = state;
  o.params = {{"color", method == "cpt" ? "Red" : "none"}};
  if (accuracy) o.metrics["accuracy"] = *accuracy;
  return o;
}

std::vector<int64_t> Ids(const json& page) {
  std::vector<int64_t> ids;
  for (const auto& r : page["rows"]) ids.push_back(r["id"].get<int64_t>());
  return ids;
}

class TrialTableTest : public ::testing::Test {
 protected:
  TrialTableTest()
      : table_(std::make_shared<const std::vector<TrialOutcome>>(std::vector<TrialOutcome>{
            Outcome(1, "finetune", 4, 1, "done", 0.5), Outcome(2, "cpt", 1, 2, "done", 0.7),
            Outcome(3, "cpt", 4, 1, "failed", std::nullopt),
            Outcome(4, "finetune", 1, 2, "done", 0.7), Outcome(5, "cpt", 1, 3, "done", 0.6)})) {}
  json Page(TrialQuery q) {
    auto page = table_.Page(q);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    return page.ok() ? *page : json();
  }
  TrialTable table_;
};

TEST_F(TrialTableTest, SortsWithTiesInIdOrderAndMissingValuesAtTheEnd) {
  TrialQuery q;
  q.sort = "value";
  EXPECT_EQ(Ids(Page(q)), (std::vector<int64_t>{1, 5, 2, 4, 3}));
  q.desc = true;  // ties still in id order; the trial without a value comes first
  EXPECT_EQ(Ids(Page(q)), (std::vector<int64_t>{3, 2, 4, 5, 1}));
  q.sort = "method";
  EXPECT_EQ(Ids(Page(q)), (std::vector<int64_t>{1, 4, 2, 3, 5}));
  q.desc = false;
  q.sort = "shots";
  EXPECT_EQ(Ids(Page(q)), (std::vector<int64_t>{2, 4, 5, 1, 3}));
  q.sort = "id";
  q.desc = true;
  EXPECT_EQ(Ids(Page(q)), (std::vector<int64_t>{5, 4, 3, 2, 1}));
  q.sort = "bogus";
  auto bad = table_.Page(q);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("\"bogus\""), std::string::npos);
}

TEST_F(TrialTableTest, FiltersCountEveryMatchAndPageInOrder) {
  TrialQuery q;
  q.method = "cpt";
  q.sort = "data_seed";
  q.desc = true;
  q.offset = 1;
  q.limit = 1;
  json page = Page(q);
  EXPECT_EQ(page["total"], 3);
  EXPECT_EQ(Ids(page), std::vector<int64_t>{2});
  EXPECT_EQ(page["methods"], json({"cpt", "finetune"}));
  q = TrialQuery();
  q.q = "RED";  // case-insensitive, in the parameters
  q.state = "done";
  EXPECT_EQ(Ids(Page(q)), (std::vector<int64_t>{2, 5}));
  q.offset = 5;
  page = Page(q);
  EXPECT_EQ(page["total"], 2);
  EXPECT_TRUE(page["rows"].empty());
}

TEST_F(TrialTableTest, RowsCarryTheChosenMetric) {
  TrialQuery q;
  q.metric = "loss";
  json page = Page(q);
  ASSERT_EQ(page["rows"].size(), 5u);
  EXPECT_TRUE(page["rows"][0]["value"].is_null());
  q.metric = "accuracy";
  page = Page(q);
  EXPECT_EQ(page["rows"][1]["value"], 0.7);
  EXPECT_EQ(page["rows"][1]["params"], json({{"color", "Red"}}));
}

TEST(TrialTableParamsTest, RowsCarryParamsTextAsTheReportPrintsThem) {
  std::vector<TrialOutcome> rows = {Outcome(1, "cpt", 1, 1, "done", 0.7)};
  rows[0].params = {{"color", {{"name", "red"}, {"rgb", {250, 0, 45}}}}, {"lr", 0.002}};
  TrialTable table(std::make_shared<const std::vector<TrialOutcome>>(rows));
  auto page = table.Page(TrialQuery{});
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ((*page)["rows"][0]["params_text"], "color=red lr=0.002");
  // The text filter finds what the table shows.
  TrialQuery q;
  q.q = "color=red";
  EXPECT_EQ(Ids(*table.Page(q)), (std::vector<int64_t>{1}));
}

TEST(TrialTableStoppedTest, AStoppedTrialsRowSaysWhereItStopped) {
  std::vector<TrialOutcome> rows = {Outcome(1, "cpt", 1, 1, "done", 0.7),
                                    Outcome(2, "cpt", 1, 2, "stopped", 0.4)};
  StoppedTrial stopped;
  stopped.trial_id = 2;
  stopped.rung = 1;
  stopped.epochs_run = 3;
  TrialTable table(std::make_shared<const std::vector<TrialOutcome>>(rows), {stopped});
  auto page = table.Page(TrialQuery{});
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  const json& r = (*page)["rows"];
  ASSERT_EQ(r.size(), 2u);
  EXPECT_FALSE(r[0].contains("stopped_at_rung"));
  EXPECT_EQ(r[1]["state"], "stopped");
  EXPECT_EQ(r[1]["stopped_at_rung"], 1);
  EXPECT_EQ(r[1]["epochs_run"], 3);
}

}  // namespace
}  // namespace chromatune::dashboards
