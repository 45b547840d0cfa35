#include "storage/csv_text.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace chromatune {
namespace {

TEST(CsvTextTest, FormulaLeadersAreNeutralisedAndSpecialCharactersQuoted) {
  EXPECT_EQ(CsvText("coop"), "coop");
  EXPECT_EQ(CsvText(""), "");
  EXPECT_EQ(CsvText("=1+2"), "'=1+2");
  EXPECT_EQ(CsvText("+x"), "'+x");
  EXPECT_EQ(CsvText("-neg"), "'-neg");
  EXPECT_EQ(CsvText("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(CsvText("\tx"), "'\tx");
  EXPECT_EQ(CsvText("a=b"), "a=b");  // only a leading character matters
  EXPECT_EQ(CsvText("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvText("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvText("=HYPERLINK(\"x\"),1"), "\"'=HYPERLINK(\"\"x\"\"),1\"");
  EXPECT_EQ(CsvText("line\nbreak"), "\"line\nbreak\"");
}

TEST(CsvTextTest, NumbersAreNeverNeutralised) {
  EXPECT_EQ(CsvNumber(-0.25), "-0.25");
  EXPECT_EQ(CsvNumber(0.1), "0.10000000000000001");  // 17 digits: the exact double back
  EXPECT_EQ(std::stod(CsvNumber(0.1)), 0.1);
  EXPECT_EQ(CsvNumber(std::nan("")), "");
  EXPECT_EQ(CsvNumber(std::numeric_limits<double>::infinity()), "");
}

}  // namespace
}  // namespace chromatune
