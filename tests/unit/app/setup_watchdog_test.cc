// Who speaks when a training job's set-up stalls (app/setup_watchdog.h), and what the line says.
#include "app/setup_watchdog.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace strobe {
namespace {

DistributedContext Rank(int rank) {
  DistributedContext context;
  context.rank = rank;
  context.world_size = 64;
  context.host = "node" + std::to_string(rank / 8);
  return context;
}

TEST(SetupWatchdogTest, ARankWorkingOnItsOwnNamesItselfWhateverItsNumber) {
  const ProgressBeacon::Reading stuck{0, RunPhase::kStarting, 312.4};
  EXPECT_EQ(DescribeSetupStall(stuck, Rank(17), 4242, 300),
            "strobe: error: stalled in set-up: rank 17 on node2 (pid 4242) has been working on its own for 312 s "
            "(--setup_timeout_s=300) before training started: reading the data, the model or a checkpoint from a "
            "file system that hangs?");
}

TEST(SetupWatchdogTest, OfTheRanksWaitingInACollectiveOnlyRanksZeroAndOneSpeak) {
  const ProgressBeacon::Reading waiting{0, RunPhase::kCollective, 305};
  EXPECT_EQ(DescribeSetupStall(waiting, Rank(0), 1, 300),
            "strobe: error: stalled in set-up: rank 0 on node0 has been in a collective for 305 s "
            "(--setup_timeout_s=300) before training started; the ranks it waits for have not said why (stopped, or "
            "the host is down?)");
  EXPECT_NE(DescribeSetupStall(waiting, Rank(1), 1, 300).find("rank 1 on node0 has been in a collective"),
            std::string::npos);
  const ProgressBeacon::Reading all_reduce{0, RunPhase::kAllReduce, 305};
  for (int rank : {2, 9, 63}) {
    EXPECT_EQ(DescribeSetupStall(waiting, Rank(rank), 1, 300), "") << "rank " << rank;
    EXPECT_EQ(DescribeSetupStall(all_reduce, Rank(rank), 1, 300), "") << "rank " << rank;
  }
}

TEST(SetupWatchdogTest, DisarmingEndsItsThreadAtOnce) {
  ProgressBeacon beacon;
  DistributedContext pair = Rank(0);
  pair.world_size = 2;
  SetupWatchdog watchdog(beacon, pair, /*timeout_s=*/3600);
  const auto started = std::chrono::steady_clock::now();
  watchdog.Disarm();  // wakes the thread in its once-a-second wait and joins it
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(), 0.5);
}

}  // namespace
}  // namespace strobe
