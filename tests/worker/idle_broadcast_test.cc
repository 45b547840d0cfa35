#include "worker/idle_broadcast.h"

#include <gtest/gtest.h>

#include "worker/mpi_env.h"

namespace chromatune::worker {
namespace {

// One rank (MPI singleton): the broadcast hands the root's string back unchanged, also an
// empty one. Multi-rank behaviour is covered by the mpirun integration tests.
TEST(IdleBroadcastTest, SingleRankRoundTrip) {
  ASSERT_TRUE(EnsureMpiInitialized().ok());
  auto world = MpiCommunicator::Create(MPI_COMM_WORLD);
  ASSERT_TRUE(world.ok()) << world.status().ToString();
  std::string s = "round message";
  ASSERT_TRUE(PatientBroadcastString(**world, &s, 0).ok());
  EXPECT_EQ(s, "round message");
  std::string empty;
  ASSERT_TRUE(PatientBroadcastString(**world, &empty, 0).ok());
  EXPECT_TRUE(empty.empty());
}

}  // namespace
}  // namespace chromatune::worker
