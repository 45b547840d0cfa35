#include "worker/packed_groups.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "worker/signals.h"

namespace chromatune::worker {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A directory holding `fake`, a stand-in for chromatune that appends its arguments to
// `calls` and then runs `body` (shell).
fs::path FakeWorker(const std::string& tag, const std::string& body) {
  const fs::path dir =
      fs::path(::testing::TempDir()) / ("ct-packed-" + tag + "-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "fake") << "#!/bin/sh\necho \"$@\" >> '" << (dir / "calls").string() << "'\n"
                              << body << "\n";
  fs::permissions(dir / "fake", fs::perms::owner_all);
  return dir;
}

std::vector<std::string> Lines(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(PackedGroupsTest, EachChildGetsItsDeviceAndLabel) {
  PackedGroups p;
  p.args = {"worker", "--coordinator", "h:1"};
  p.devices = {"cuda:0", "cuda:1"};
  EXPECT_EQ(PackedChildArgs(p, 1),
            (std::vector<std::string>{"worker", "--coordinator", "h:1", "--device", "cuda:1"}));
  p.label = "node7";
  EXPECT_EQ(PackedChildArgs(p, 0),
            (std::vector<std::string>{"worker", "--coordinator", "h:1", "--device", "cuda:0",
                                      "--label", "node7.0"}));
}

// The supervisor passes a drain on to every child and returns when they have drained.
void DrainsEveryChild() {
  const fs::path dir = FakeWorker("drain", "trap 'exit 0' TERM\nwhile :; do sleep 0.05; done");
  InstallSignalHandlers("");
  PackedGroups p;
  p.executable = (dir / "fake").string();
  p.args = {"worker"};
  p.devices = {"cuda:0", "cuda:0", "cuda:1"};
  p.poll = 20ms;
  Status result = Internal("not run");
  std::thread supervisor([&] { result = RunPackedGroups(p); });
  for (int i = 0; i < 500 && Lines(dir / "calls").size() < 3; ++i)
    std::this_thread::sleep_for(10ms);
  std::this_thread::sleep_for(100ms);  // the children's traps are set
  raise(SIGTERM);
  supervisor.join();
  if (!result.ok()) std::_Exit(10);
  auto calls = Lines(dir / "calls");
  std::sort(calls.begin(), calls.end());
  if (calls != std::vector<std::string>{"worker --device cuda:0", "worker --device cuda:0",
                                        "worker --device cuda:1"})
    std::_Exit(11);
  std::_Exit(0);
}

TEST(PackedGroupsTest, PassesADrainOnToEveryChild) {
  EXPECT_EXIT(DrainsEveryChild(), ::testing::ExitedWithCode(0), "");
}

// A child that fails is started again up to max_restarts times, then reported; one that
// exits 0 (drained by a signal of its own) is not started again.
TEST(PackedGroupsTest, RestartsAFailingChildThenGivesUp) {
  const fs::path dir = FakeWorker("fail", "case \"$*\" in *cuda:1*) exit 0;; esac\nexit 3");
  PackedGroups p;
  p.executable = (dir / "fake").string();
  p.args = {"worker"};
  p.devices = {"cuda:0", "cuda:1"};
  p.max_restarts = 2;
  p.poll = 10ms;
  Status s = RunPackedGroups(p);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("0 (status 3)"), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find(" 1 ("), std::string::npos) << s.message();
  auto calls = Lines(dir / "calls");
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "worker --device cuda:0"), 3);
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "worker --device cuda:1"), 1);
}

}  // namespace
}  // namespace chromatune::worker
