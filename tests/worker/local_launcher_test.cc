#include "worker/local_launcher.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace chromatune::worker {
namespace {

TEST(LocalLauncherTest, CommandLineUnderMpirun) {
  GroupLaunch l;
  l.executable = "/bin/chromatune";
  l.args = {"worker", "--coordinator", "127.0.0.1:1"};
  l.ranks = 3;
  l.mpirun = "/usr/bin/mpirun";
  auto argv = GroupCommandLine(l);
  ASSERT_GE(argv.size(), 9u);
  EXPECT_EQ(argv[0], "/usr/bin/mpirun");
  std::string joined;
  for (const auto& a : argv) joined += a + " ";
  EXPECT_NE(joined.find("-np 3 /bin/chromatune worker --coordinator 127.0.0.1:1"),
            std::string::npos);
  EXPECT_NE(joined.find("--oversubscribe"), std::string::npos);
  l.mpirun.clear();
  EXPECT_EQ(GroupCommandLine(l)[0], "/bin/chromatune");
}

TEST(LocalLauncherTest, LaunchesWithOutputInTheLog) {
  const std::string log = ::testing::TempDir() + "/launch-" + std::to_string(getpid()) + ".log";
  std::remove(log.c_str());
  GroupLaunch l;
  l.executable = "/bin/sh";
  l.args = {"-c", "echo out; echo err >&2; exit 3"};
  l.log_path = log;
  auto pid = LaunchGroup(l);
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  int status = 0;
  ASSERT_EQ(waitpid(*pid, &status, 0), *pid);
  EXPECT_EQ(WEXITSTATUS(status), 3);
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("out"), std::string::npos);
  EXPECT_NE(text.str().find("err"), std::string::npos);
  std::remove(log.c_str());
}

TEST(LocalLauncherTest, ErrorsNameTheProblem) {
  GroupLaunch multi;
  multi.executable = "/bin/true";
  multi.ranks = 2;
  auto r = LaunchGroup(multi);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("mpirun"), std::string::npos);
  GroupLaunch missing;
  missing.executable = "/nonexistent/chromatune";
  auto m = LaunchGroup(missing);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("/nonexistent/chromatune"), std::string::npos);
  GroupLaunch hosts;
  hosts.executable = "/bin/true";
  hosts.hostfile = "/shared/hosts";
  auto h = LaunchGroup(hosts);
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.status().message().find("--hostfile /shared/hosts: a group on other hosts needs "
                                      "mpirun"),
            std::string::npos);
}

TEST(LocalLauncherTest, HostfileGoesToMpirun) {
  GroupLaunch l;
  l.executable = "/bin/chromatune";
  l.args = {"worker"};
  l.ranks = 2;
  l.mpirun = "/usr/bin/mpirun";
  l.hostfile = "/shared/hosts";
  std::string joined;
  for (const auto& a : GroupCommandLine(l)) joined += a + " ";
  EXPECT_NE(joined.find("-np 2 --hostfile /shared/hosts /bin/chromatune worker"), std::string::npos)
      << joined;
}

}  // namespace
}  // namespace chromatune::worker
