#include "ops/startup_roll_call.h"

#include <gtest/gtest.h>

namespace strobe {
namespace {

StartupRollCall::Result Roll(int my_rank, int world_size, const std::vector<int>& missing) {
  StartupRollCall::Result result;
  result.my_rank = my_rank;
  result.world_size = world_size;
  for (int rank = 0; rank < world_size; ++rank) {
    bool absent = false;
    for (int m : missing) absent |= m == rank;
    if (absent) {
      result.missing.push_back({rank, "node" + std::to_string(rank / 4)});
    } else {
      result.arrived.push_back(rank);
    }
  }
  return result;
}

TEST(FormatRankRanges, CollapsesRuns) {
  EXPECT_EQ(FormatRankRanges({}), "");
  EXPECT_EQ(FormatRankRanges({3}), "3");
  EXPECT_EQ(FormatRankRanges({0, 1, 2, 3, 5, 7, 8}), "0-3,5,7-8");
}

TEST(DescribeStartupFailure, LowestArrivedRankNamesTheMissingRankAndItsHost) {
  EXPECT_EQ(DescribeStartupFailure(Roll(0, 4, {2}), 5),
            "strobe: error: the job did not start within 5 s (--startup_timeout_s): 1 of 4 ranks never started: "
            "rank 2 (host node0) (not launched, or stuck before MPI initialisation). Ranks 0-1,3 are up and stop "
            "now instead of waiting forever");
}

TEST(DescribeStartupFailure, OnlyTheLowestArrivedRankSpeaks) {
  EXPECT_EQ(DescribeStartupFailure(Roll(1, 4, {2}), 5), "");
  EXPECT_NE(DescribeStartupFailure(Roll(1, 4, {0}), 5), "");  // rank 0 is the missing one
}

TEST(DescribeStartupFailure, ManyMissingRanksAreCountedNotListed) {
  std::vector<int> missing;
  for (int rank = 8; rank < 1024; ++rank) missing.push_back(rank);
  const std::string message = DescribeStartupFailure(Roll(0, 1024, missing), 300);
  EXPECT_NE(message.find("1016 of 1024 ranks never started: rank 8 (host node2), rank 9 (host node2)"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find(" and 1008 more (ranks 8-1023)"), std::string::npos) << message;
  EXPECT_NE(message.find("Ranks 0-7 are up"), std::string::npos) << message;
}

TEST(DescribeStartupFailure, AllArrivedMeansTheyCannotConnect) {
  EXPECT_NE(DescribeStartupFailure(Roll(0, 2, {}), 5).find("all 2 ranks started, but MPI initialisation did not "
                                                            "finish: the ranks cannot reach each other"),
            std::string::npos);
}

}  // namespace
}  // namespace strobe
