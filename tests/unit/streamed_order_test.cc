#include "coordinator/streamed_order.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <set>
#include <vector>

#include "coordinator/shard_plan.h"

namespace strobe {
namespace {

// Which shard each sample is in, for shards of the given sizes laid out in index order.
std::vector<int64_t> ShardOf(const std::vector<int64_t>& sizes) {
  std::vector<int64_t> shard;
  for (size_t k = 0; k < sizes.size(); ++k) shard.insert(shard.end(), sizes[k], static_cast<int64_t>(k));
  return shard;
}

TEST(StreamedOrderTest, IsAPermutationForAwkwardSizes) {
  const std::vector<int64_t> sizes = {7, 1, 13, 5, 9, 2};  // 37 samples: 37 mod 4 streams = 1 left over
  const std::vector<int64_t> order = StreamedEpochOrder(sizes, 8, StreamedOrder{4, 3}, 5, 0);
  std::vector<int64_t> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> all(37);
  std::iota(all.begin(), all.end(), 0);
  EXPECT_EQ(sorted, all);
}

// With window 1 and streams a multiple of the world size, every rank reads its regions strictly front to back: each
// sample it takes from a region directly follows the previous one in the shuffled shard sequence.
TEST(StreamedOrderTest, RanksReadWholeStreamsFrontToBack) {
  const std::vector<int64_t> sizes(10, 20);  // 200 samples in 10 shards
  const int world_size = 2;
  const int64_t global_batch = 16;
  const StreamedOrder streamed{4, 1};
  const std::vector<int64_t> order = StreamedEpochOrder(sizes, global_batch, streamed, 9, 3);
  const TrainShardPlan plan = *TrainShardPlan::Create(200, global_batch, world_size);
  const std::vector<int64_t> shard = ShardOf(sizes);
  for (int rank = 0; rank < world_size; ++rank) {
    std::vector<int64_t> previous(2, -1);  // the rank's two streams
    for (int64_t step = 0; step < plan.steps_per_epoch(); ++step) {
      const SampleRange slice = plan.RankSlice(step, rank);
      for (int64_t local = 0; local < slice.size(); ++local) {
        const int64_t sample = order[slice.begin + local];
        const int64_t stream = local / (global_batch / streamed.streams);  // of this rank's streams
        if (previous[stream] >= 0 && shard[sample] == shard[previous[stream]]) {
          EXPECT_EQ(sample, previous[stream] + 1) << "rank " << rank << " step " << step;
        }
        previous[stream] = sample;
      }
    }
  }
}

// A window shuffles only within itself: its samples are one contiguous run of the shard sequence, and a sample
// belongs to one shard; across epochs both the shard order and the windows change.
TEST(StreamedOrderTest, WindowsShuffleLocallyAndEpochsDiffer) {
  const std::vector<int64_t> sizes(8, 32);  // 256 samples
  const StreamedOrder streamed{2, 16};
  const std::vector<int64_t> epoch0 = StreamedEpochOrder(sizes, 32, streamed, 1, 0);
  const std::vector<int64_t> epoch1 = StreamedEpochOrder(sizes, 32, streamed, 1, 1);
  EXPECT_NE(epoch0, epoch1);
  // Stream 0's first window: positions 0..15 of the first batch (16 per stream per batch).
  std::vector<int64_t> window(epoch0.begin(), epoch0.begin() + 16);
  EXPECT_FALSE(std::is_sorted(window.begin(), window.end())) << "the window was not shuffled";
  std::sort(window.begin(), window.end());
  EXPECT_EQ(window.back() - window.front(), 15) << "a window holds samples from one contiguous run";
  // The first shard read differs between the epochs for this seed (the shard order is shuffled).
  EXPECT_NE(ShardOf(sizes)[epoch0[0]], ShardOf(sizes)[epoch1[0]]);
}

TEST(StreamedOrderTest, ChecksNameTheFlags) {
  EXPECT_TRUE(CheckStreamedOrder(StreamedOrder{4, 8}, 64, 2).ok());
  EXPECT_NE(CheckStreamedOrder(StreamedOrder{3, 8}, 64, 1).message().find("--data_streams=3"), std::string::npos);
  EXPECT_NE(CheckStreamedOrder(StreamedOrder{4, 8}, 64, 8).message().find("multiple of the 8 ranks"),
            std::string::npos);
  EXPECT_NE(CheckStreamedOrder(StreamedOrder{4, 0}, 64, 2).message().find("--shuffle_window"), std::string::npos);
}

}  // namespace
}  // namespace strobe
