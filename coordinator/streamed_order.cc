#include "coordinator/streamed_order.h"

#include <algorithm>
#include <numeric>

#include "absl/strings/str_format.h"
#include "coordinator/shard_plan.h"

namespace strobe {
namespace {

// Distinct seeds for the shard shuffle and for every window, so no two shuffles of an epoch share a stream.
uint64_t ShardShuffleSeed(uint64_t seed) { return seed ^ 0x5851F42D4C957F2DULL; }
uint64_t WindowSeed(uint64_t seed, int64_t stream, int64_t window) {
  return seed ^ (0x9E3779B97F4A7C15ULL * static_cast<uint64_t>(stream + 1)) ^
         (0xC2B2AE3D27D4EB4FULL * static_cast<uint64_t>(window + 1));
}

// The samples in shard order: the shards permuted, each one's samples in file order.
std::vector<int64_t> ShardSequence(const std::vector<int64_t>& shard_sizes, uint64_t seed, int64_t epoch) {
  std::vector<int64_t> first(shard_sizes.size() + 1, 0);
  std::partial_sum(shard_sizes.begin(), shard_sizes.end(), first.begin() + 1);
  std::vector<int64_t> sequence;
  sequence.reserve(first.back());
  for (const int64_t shard : EpochPermutation(static_cast<int64_t>(shard_sizes.size()), ShardShuffleSeed(seed), epoch)) {
    for (int64_t i = first[shard]; i < first[shard + 1]; ++i) sequence.push_back(i);
  }
  return sequence;
}

}  // namespace

absl::Status CheckStreamedOrder(const StreamedOrder& order, int64_t global_batch, int world_size) {
  if (order.streams <= 0 || order.window <= 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--data_streams (%d) and --shuffle_window (%d) must be positive", order.streams, order.window));
  }
  if (global_batch % order.streams != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--batch_size=%d is not divisible by --data_streams=%d: every global batch takes the same number of samples "
        "from each stream",
        global_batch, order.streams));
  }
  if (order.streams % world_size != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--data_streams=%d is not a multiple of the %d ranks: each rank reads whole streams", order.streams,
        world_size));
  }
  return absl::OkStatus();
}

std::vector<int64_t> StreamedEpochOrder(const std::vector<int64_t>& shard_sizes, int64_t global_batch,
                                        const StreamedOrder& order, uint64_t seed, int64_t epoch) {
  const std::vector<int64_t> sequence = ShardSequence(shard_sizes, seed, epoch);
  const auto total = static_cast<int64_t>(sequence.size());
  const int64_t region = total / order.streams;
  std::vector<int64_t> regions(sequence.begin(), sequence.begin() + region * order.streams);
  for (int64_t stream = 0; stream < order.streams; ++stream) {
    for (int64_t begin = 0; begin < region; begin += order.window) {
      const int64_t size = std::min(order.window, region - begin);
      int64_t* window = regions.data() + stream * region + begin;
      const std::vector<int64_t> shuffle = EpochPermutation(size, WindowSeed(seed, stream, begin / order.window), epoch);
      std::vector<int64_t> shuffled(size);
      for (int64_t i = 0; i < size; ++i) shuffled[i] = window[shuffle[i]];
      std::copy(shuffled.begin(), shuffled.end(), window);
    }
  }
  const int64_t per_batch = global_batch / order.streams;
  const int64_t steps = region / per_batch;
  std::vector<int64_t> epoch_order;
  epoch_order.reserve(total);
  for (int64_t step = 0; step < steps; ++step) {
    for (int64_t stream = 0; stream < order.streams; ++stream) {
      const int64_t* from = regions.data() + stream * region + step * per_batch;
      epoch_order.insert(epoch_order.end(), from, from + per_batch);
    }
  }
  for (int64_t stream = 0; stream < order.streams; ++stream) {  // the tail: what no whole batch took
    const int64_t* from = regions.data() + stream * region;
    epoch_order.insert(epoch_order.end(), from + steps * per_batch, from + region);
  }
  epoch_order.insert(epoch_order.end(), sequence.begin() + region * order.streams, sequence.end());
  return epoch_order;
}

}  // namespace strobe
