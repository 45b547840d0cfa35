#include "experiments/sweep/diagnostics.h"

#include <gtest/gtest.h>

namespace chromatune {
namespace {

TEST(DiagnosticsTest, FormatsSortsAndDeduplicates) {
  Diagnostics d("s.yaml");
  EXPECT_TRUE(d.empty());
  EXPECT_TRUE(d.ToStatus().ok());
  d.Add({12, 14}, "methods[2].color[1]", "unknown colour");
  d.Add({3, 1}, "", "no path");
  d.Add({}, "name", "no position");
  d.Add({12, 14}, "methods[2].color[1]", "unknown colour");
  ASSERT_EQ(d.size(), 3u);
  auto lines = d.Lines();
  EXPECT_EQ(lines[0], "s.yaml: name: no position");
  EXPECT_EQ(lines[1], "s.yaml:3:1: no path");
  EXPECT_EQ(lines[2], "s.yaml:12:14: methods[2].color[1]: unknown colour");
  Status s = d.ToStatus();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), lines[0] + "\n" + lines[1] + "\n" + lines[2]);
}

}  // namespace
}  // namespace chromatune
