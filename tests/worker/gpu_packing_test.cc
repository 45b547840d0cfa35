#include "worker/gpu_packing.h"

#include <gtest/gtest.h>

namespace chromatune::worker {
namespace {

TEST(GpuPackingTest, VisibleDevicesNarrowTheDriversGpus) {
  EXPECT_EQ(VisibleGpuCount(8, nullptr), 8);
  EXPECT_EQ(VisibleGpuCount(8, "0,3,5"), 3);
  EXPECT_EQ(VisibleGpuCount(8, ""), 0);
  EXPECT_EQ(VisibleGpuCount(8, "-1"), 0);      // the idiom for "no GPU"
  EXPECT_EQ(VisibleGpuCount(8, "2,-1,3"), 1);  // CUDA stops at the first invalid entry
  EXPECT_EQ(VisibleGpuCount(2, "0,1,7"), 2);   // 7 does not exist
  EXPECT_EQ(VisibleGpuCount(4, "GPU-8f2a,MIG-1c"), 2);
  EXPECT_EQ(VisibleGpuCount(0, "0"), 0);
}

TEST(GpuPackingTest, OneGroupPerGpuByDefault) {
  EXPECT_EQ(PackedGroupCount(0, 1, 1), 0);
  EXPECT_EQ(PackedGroupCount(8, 1, 1), 8);
  EXPECT_EQ(PackedGroupCount(8, 1, 2), 16);
  EXPECT_EQ(PackedGroupCount(8, 2, 1), 4);  // a gang of 2 ranks takes 2 GPUs
  EXPECT_EQ(PackedGroupCount(1, 2, 1), 1);  // at least one group
}

// Every GPU gets the same number of trials: no two groups share a GPU before each has one
// (per_gpu 1), and gangs get disjoint GPU sets.
TEST(GpuPackingTest, GroupsFillEveryGpuEvenly) {
  std::vector<std::string> one;
  for (int g = 0; g < 4; ++g) one.push_back(PackedDevice(g, 4, 1, 1));
  EXPECT_EQ(one, (std::vector<std::string>{"cuda:0", "cuda:1", "cuda:2", "cuda:3"}));
  std::vector<std::string> two;
  for (int g = 0; g < 4; ++g) two.push_back(PackedDevice(g, 2, 1, 2));
  EXPECT_EQ(two, (std::vector<std::string>{"cuda:0", "cuda:0", "cuda:1", "cuda:1"}));
  std::vector<std::string> gangs;
  for (int g = 0; g < 4; ++g) gangs.push_back(PackedDevice(g, 8, 2, 1));
  EXPECT_EQ(gangs, (std::vector<std::string>{"cuda:0", "cuda:2", "cuda:4", "cuda:6"}));
  EXPECT_EQ(PackedDevice(5, 4, 1, 1), "cuda:1");  // more groups than GPUs wrap around
}

// A hand-started (or Slurm-started) one-rank worker packs the GPUs its environment leaves it:
// CUDA_VISIBLE_DEVICES as Slurm's --gpus-per-task sets it, narrowed from the driver's GPUs.
TEST(GpuPackingTest, NodeGroupsComeFromTheGpusTheLauncherLeaves) {
  using V = std::vector<std::string>;
  // A node of 4 GPUs, one task holding all of them (srun --gpus-per-task=4 sets 0,1,2,3).
  EXPECT_EQ(NodeGroupDevices(VisibleGpuCount(4, "0,1,2,3"), 1, "auto", 1),
            (V{"cuda:0", "cuda:1", "cuda:2", "cuda:3"}));
  // Slurm without device cgroups hands out real indices: still two GPUs, seen as 0 and 1.
  EXPECT_EQ(NodeGroupDevices(VisibleGpuCount(8, "5,6"), 1, "cuda", 2),
            (V{"cuda:0", "cuda:0", "cuda:1", "cuda:1"}));
  // A task bound to one GPU packs its trials onto it; with one trial it is one group itself.
  EXPECT_EQ(NodeGroupDevices(VisibleGpuCount(8, "3"), 1, "auto", 3),
            (V{"cuda:0", "cuda:0", "cuda:0"}));
  EXPECT_EQ(NodeGroupDevices(VisibleGpuCount(8, "3"), 1, "auto", 1), V{});
  // No GPU (none visible, or CUDA_VISIBLE_DEVICES empty): the CPU default, one group.
  EXPECT_EQ(NodeGroupDevices(VisibleGpuCount(0, nullptr), 1, "auto", 2), V{});
  EXPECT_EQ(NodeGroupDevices(VisibleGpuCount(4, ""), 1, "auto", 2), V{});
  // A device chosen by the caller, or a multi-rank launch, is never re-packed.
  EXPECT_EQ(NodeGroupDevices(4, 1, "cuda:2", 2), V{});
  EXPECT_EQ(NodeGroupDevices(4, 1, "cpu", 2), V{});
  EXPECT_EQ(NodeGroupDevices(4, 2, "auto", 1), V{});
}

}  // namespace
}  // namespace chromatune::worker
