#include "coordinator/protocol/group_devices.h"

#include <gtest/gtest.h>

namespace chromatune::protocol {
namespace {

using nlohmann::json;

TEST(GroupDevicesTest, EntriesAreWhatWorkersSend) {
  EXPECT_EQ(CpuDevice(), json::parse(R"({"kind": "cpu"})"));
  EXPECT_EQ(CudaDevice(1, "NVIDIA H100"),
            json::parse(R"({"kind": "cuda", "index": 1, "name": "NVIDIA H100"})"));
}

TEST(GroupDevicesTest, OldAndNewFormsAreValidAndMalformedOnesNamed) {
  EXPECT_TRUE(CheckGroupDevices(json::array()).ok());
  EXPECT_TRUE(CheckGroupDevices(json::parse(R"(["cpu", "cpu"])")).ok());  // before issue 16
  EXPECT_TRUE(CheckGroupDevices(json::array({CpuDevice(), CudaDevice(0, "x")})).ok());
  EXPECT_FALSE(CheckGroupDevices(CpuDevice()).ok());  // not a list
  auto bad = CheckGroupDevices(json::parse(R"([{"kind": "cpu"}, 7])"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("devices[1]"), std::string::npos) << bad.message();
  EXPECT_FALSE(CheckGroupDevices(json::parse(R"([{"kind": "cuda", "index": 0.5}])")).ok());
  EXPECT_FALSE(CheckGroupDevices(json::parse(R"([{"kind": "cuda", "name": 3}])")).ok());
}

TEST(GroupDevicesTest, TextNamesEachGpuAndCountsCpuRanks) {
  EXPECT_EQ(GroupDevicesText(json::array()), "-");
  EXPECT_EQ(GroupDevicesText(json::array({CpuDevice()})), "cpu");
  EXPECT_EQ(GroupDevicesText(json::array({CpuDevice(), CpuDevice()})), "2x cpu");
  EXPECT_EQ(GroupDevicesText(json::parse(R"(["cpu", "cpu", "cpu"])")), "3x cpu");
  EXPECT_EQ(GroupDevicesText(json::array({CudaDevice(3, "NVIDIA H100")})), "cuda:3 (NVIDIA H100)");
  EXPECT_EQ(GroupDevicesText(json::array({CudaDevice(0, "A"), CudaDevice(1, "A")})),
            "cuda:0,cuda:1 (A)");
  EXPECT_EQ(GroupDevicesText(json::array({CudaDevice(0, "A"), CudaDevice(1, "B")})),
            "cuda:0,cuda:1 (A, B)");
  // Where the binary cannot ask for product names, the name is "cuda:N": not repeated.
  EXPECT_EQ(GroupDevicesText(json::array({CudaDevice(2, "cuda:2")})), "cuda:2");
}

}  // namespace
}  // namespace chromatune::protocol
