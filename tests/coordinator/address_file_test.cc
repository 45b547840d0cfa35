#include "coordinator/address_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace chromatune::coordinator {
namespace {

TEST(AddressFileTest, AdvertisedAddress) {
  EXPECT_EQ(AdvertisedAddress("192.0.2.1", 7321), "192.0.2.1:7321");
  EXPECT_EQ(AdvertisedAddress("::1", 80), "[::1]:80");
  char host[256] = {0};
  ASSERT_EQ(gethostname(host, sizeof host - 1), 0);
  EXPECT_EQ(AdvertisedAddress("0.0.0.0", 5), std::string(host) + ":5");
  EXPECT_EQ(AdvertisedAddress("", 5), std::string(host) + ":5");
}

TEST(AddressFileTest, WritesTheWholeAddressAndReplacesAnOldOne) {
  const std::string path = ::testing::TempDir() + "/address-" + std::to_string(getpid());
  std::ofstream(path) << "old-host:1\n";
  ASSERT_TRUE(WriteAddressFile(path, "node7:41234").ok());
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "node7:41234\n");
  std::ifstream tmp(path + ".tmp" + std::to_string(getpid()));
  EXPECT_FALSE(tmp.good()) << "the temporary file is renamed, not left behind";
  std::remove(path.c_str());
}

TEST(AddressFileTest, UnwritableDirectoryIsAnIoErrorNamingThePath) {
  Status s = WriteAddressFile("/nonexistent-dir/coordinator.address", "h:1");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_NE(s.message().find("/nonexistent-dir/coordinator.address"), std::string::npos);
}

}  // namespace
}  // namespace chromatune::coordinator
