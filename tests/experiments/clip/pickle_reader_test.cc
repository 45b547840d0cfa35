#include "experiments/models/clip/pickle_reader.h"

#include <gtest/gtest.h>

#include <string>

namespace chromatune::models::clip {
namespace {

using namespace std::string_literals;

// Bytes from Python 3's pickle.dumps(..., protocol=2).
TEST(PickleReaderTest, ReadsADictWithASharedList) {
  // {'a': x, 'b': x} with x = [1]: the second reference is a memo GET of the same list.
  const std::string bytes =
      "\x80\x02}q\x00(X\x01\x00\x00\x00"
      "aq\x01]q\x02K\x01"
      "aX\x01\x00\x00\x00"
      "bq\x03h\x02u."s;
  auto v = ReadPickle(bytes, "shared.pkl");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  ASSERT_TRUE((*v)->is(PickleValue::Kind::kDict));
  ASSERT_EQ((*v)->entries.size(), 2u);
  EXPECT_EQ((*v)->entries[0].second, (*v)->entries[1].second);
  EXPECT_EQ((*v)->entries[0].second->items.at(0)->integer, 1);
}

// Found by thinking about the fuzzer's blind spot (inputs beyond its 4 KiB): a million nested
// lists in 2 MB overflowed the stack when freed. Now an error naming the offset.
TEST(PickleReaderTest, DeepNestingIsAnErrorNotAStackOverflow) {
  const int n = 200000;
  std::string bytes = "\x80\x02"s + std::string(n, ']') + std::string(n - 1, 'a') + ".";
  auto v = ReadPickle(bytes, "deep.pkl");
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("deep.pkl: pickle at byte"), std::string::npos);
  EXPECT_NE(v.status().message().find("nest deeper than 1000"), std::string::npos);
  std::string ok = "\x80\x02"s + std::string(1001, ']') + std::string(1000, 'a') + ".";
  EXPECT_TRUE(ReadPickle(ok, "ok.pkl").ok());
}

// l = []; l.append(l): a cycle would leak and make every walk of the value endless.
TEST(PickleReaderTest, RecursivePicklesAreRefused) {
  auto self = ReadPickle(
      "\x80\x02]q\x00h\x00"
      "a."s,
      "self.pkl");
  ASSERT_FALSE(self.ok());
  EXPECT_NE(self.status().message().find("recursive pickle"), std::string::npos);
  // a = []; b = [a]; then a.append(b) through the memo: a changes after b holds it.
  auto cycle = ReadPickle(
      "\x80\x02]q\x00]q\x01h\x00"
      "ah\x00h\x01"
      "a."s,
      "cycle.pkl");
  ASSERT_FALSE(cycle.ok());
  EXPECT_NE(cycle.status().message().find("recursive pickle"), std::string::npos);
}

// A REDUCE copies its argument tuple; repeating it through the memo must not multiply memory.
TEST(PickleReaderTest, ReduceThroughTheMemoCannotMultiplyMemory) {
  std::string bytes = "\x80\x02"s + "cm\nf\nq\x00("s + std::string(1000, 'N') + "tq\x01"s;
  for (int i = 0; i < 5000; ++i) bytes += "h\x00h\x01R0"s;
  bytes += "N.";
  auto v = ReadPickle(bytes, "bomb.pkl");
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("more values than the file"), std::string::npos)
      << v.status().ToString();
}

}  // namespace
}  // namespace chromatune::models::clip
