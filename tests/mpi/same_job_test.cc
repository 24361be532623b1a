// Ranks started with different settings are refused before anything runs, with the same verdict on every rank.
#include "app/same_job.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ops/mpi_communicator.h"
#include "tests/mpi/mpi_test_env.h"

namespace strobe {
namespace {

std::vector<JobSetting> Settings(const std::string& amp, const std::string& lr) {
  return {{"command", "train"}, {"amp", amp}, {"batch_size", "128"}, {"lr", lr}};
}

TEST(SameJobTest, EqualSettingsPass) {
  MpiCommunicator comm;
  EXPECT_TRUE(CheckSameSettings(comm, testing::Context(), Settings("bf16", "0.1")).ok());
  EXPECT_TRUE(CheckSameBinary(comm, testing::Context()).ok());
}

TEST(SameJobTest, EveryRankNamesTheLowestRankThatDiffersWithBothValues) {
  MpiCommunicator comm;
  if (comm.world_size() < 2) GTEST_SKIP() << "needs 2 ranks";
  // Rank 1 and above were given --amp=off; the last rank also another --lr.
  const int last = comm.world_size() - 1;
  const std::vector<JobSetting> mine =
      Settings(comm.rank() == 0 ? "bf16" : "off", comm.rank() == last && last > 1 ? "0.2" : "0.1");
  const absl::Status status = CheckSameSettings(comm, testing::Context(), mine);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            absl::StrCat("rank 1 on ", testing::Context().host,
                         " was started with other settings than rank 0: --amp=off (rank 0: --amp=bf16). Every rank "
                         "of a job must get the same flags (only --threads, --decode_threads, --prefetch_batches, "
                         "--startup_timeout_s may differ): check each host's --flagfile and the launch command"));
}

TEST(SameJobTest, AnotherCommandOnOneRankIsRefused) {
  MpiCommunicator comm;
  if (comm.world_size() < 2) GTEST_SKIP() << "needs 2 ranks";
  std::vector<JobSetting> mine = Settings("off", "0.1");
  if (comm.rank() == comm.world_size() - 1) mine[0].value = "eval";
  const absl::Status status = CheckSameSettings(comm, testing::Context(), mine);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find(absl::StrCat("rank ", comm.world_size() - 1, " on ")), std::string::npos);
  EXPECT_NE(status.message().find("other settings than rank 0: eval (rank 0: train)."), std::string::npos)
      << status.message();
}

TEST(SameJobTest, ASettingOnlyOneRankHasIsRefusedWithoutAnUnevenGather) {
  MpiCommunicator comm;
  if (comm.world_size() < 2) GTEST_SKIP() << "needs 2 ranks";
  std::vector<JobSetting> mine = Settings("off", "0.1");
  if (comm.rank() == 1) mine.push_back({"zz_extra", "1"});
  const absl::Status status = CheckSameSettings(comm, testing::Context(), mine);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(),
            "rank 1 has 5 settings to compare and rank 0 4: run the same strobe build on every rank");
}

}  // namespace
}  // namespace strobe
