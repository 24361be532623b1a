#include "ops/gpu_per_rank_check.h"

#include <gtest/gtest.h>

#include "absl/strings/str_format.h"
#include "tests/mpi/mpi_test_env.h"

namespace strobe {
namespace {

// The ranks of these tests share one host, so their local ranks are 0..W-1 and a host "with G GPUs" lacks a GPU
// for local ranks G..W-1.
TEST(GpuPerRankCheck, EnoughGpusPasses) {
  const DistributedContext& context = testing::Context();
  EXPECT_TRUE(CheckOneGpuPerRank(context, context.local_size).ok());
  EXPECT_TRUE(CheckOneGpuPerRank(context, context.local_size + 3).ok());
}

TEST(GpuPerRankCheck, MoreRanksThanGpusNamesTheFirstRankWithoutOneOnEveryRank) {
  const DistributedContext& context = testing::Context();
  const int gpus = context.local_size - 1;  // one GPU short
  const absl::Status status = CheckOneGpuPerRank(context, gpus);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(),
            absl::StrFormat("1 of %d ranks have no GPU: rank %d is local rank %d of %d on host %s, which has %d "
                            "GPU(s); start at most one rank per GPU on each host (mpirun: RANKS_PER_HOST of "
                            "deploy/launch_mpirun.sh; Slurm: --ntasks-per-node, --gpus-per-node)",
                            context.world_size, context.world_size - 1, context.local_size - 1, context.local_size,
                            context.host, gpus));
}

TEST(GpuPerRankCheck, NoGpuAtAllCountsEveryRank) {
  const DistributedContext& context = testing::Context();
  const absl::Status status = CheckOneGpuPerRank(context, 0);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find(absl::StrFormat("%d of %d ranks have no GPU: rank 0 is local rank 0 of",
                                                  context.world_size, context.world_size)),
            absl::string_view::npos)
      << status.message();
}

}  // namespace
}  // namespace strobe
