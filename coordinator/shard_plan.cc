#include "coordinator/shard_plan.h"

#include <numeric>
#include <utility>

#include "absl/strings/str_format.h"
#include "ops/random_bits.h"

namespace strobe {

std::vector<int64_t> EpochPermutation(int64_t num_samples, uint64_t seed, int64_t epoch) {
  std::vector<int64_t> order(num_samples);
  std::iota(order.begin(), order.end(), 0);
  uint64_t state = seed ^ (0xD1B54A32D192ED03ULL * static_cast<uint64_t>(epoch + 1));
  for (int64_t i = num_samples - 1; i > 0; --i) {
    const auto j = static_cast<int64_t>(
        UniformBelow([&state] { return SplitMix64(state); }, static_cast<uint64_t>(i) + 1));
    std::swap(order[i], order[j]);
  }
  return order;
}

absl::Status CheckGlobalBatch(int64_t global_batch, int world_size) {
  if (world_size <= 0) return absl::InvalidArgumentError("world size must be positive");
  if (global_batch <= 0) {
    return absl::InvalidArgumentError(absl::StrFormat("--batch_size must be positive, got %d", global_batch));
  }
  if (global_batch % world_size != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--batch_size=%d (the global batch) is not divisible by the %d ranks; use a multiple of %d", global_batch,
        world_size, world_size));
  }
  return absl::OkStatus();
}

absl::StatusOr<TrainShardPlan> TrainShardPlan::Create(int64_t num_samples, int64_t global_batch,
                                                      int world_size) {
  if (absl::Status batch = CheckGlobalBatch(global_batch, world_size); !batch.ok()) return batch;
  if (num_samples < global_batch) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "the training set has %d samples, fewer than one global batch of %d", num_samples, global_batch));
  }
  return TrainShardPlan(num_samples, global_batch, world_size);
}

SampleRange TrainShardPlan::RankSlice(int64_t step_in_epoch, int rank) const {
  return RankSliceFrom(step_in_epoch * global_batch_, rank);
}

SampleRange TrainShardPlan::RankSliceFrom(int64_t batch_begin, int rank) const {
  const int64_t begin = batch_begin + rank * local_batch();
  return SampleRange{begin, begin + local_batch()};
}

SampleRange EvalShard(int64_t num_samples, int rank, int world_size) {
  return SampleRange{num_samples * rank / world_size, num_samples * (rank + 1) / world_size};
}

}  // namespace strobe
