#ifndef STROBE_COORDINATOR_SHARD_PLAN_H_
#define STROBE_COORDINATOR_SHARD_PLAN_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"

namespace strobe {

// A half-open range [begin, end) of positions (into an epoch permutation, or into a dataset).
struct SampleRange {
  int64_t begin = 0;
  int64_t end = 0;
  int64_t size() const { return end - begin; }
};

// The order in which one epoch visits [0, num_samples): a Fisher-Yates shuffle driven by a SplitMix64 stream
// seeded from (seed, epoch). Implemented here rather than with torch::randperm so the order is the same on every
// rank, every LibTorch version and every world size, which exact and elastic resume rely on.
std::vector<int64_t> EpochPermutation(int64_t num_samples, uint64_t seed, int64_t epoch);

// The global batch must be positive and split evenly over the ranks; the message names --batch_size.
absl::Status CheckGlobalBatch(int64_t global_batch, int world_size);

// Which positions of the epoch permutation each rank trains on at each step.
// Step s of an epoch consumes positions [s*B, (s+1)*B) (B = global batch); rank r takes the r-th of world_size
// equal, disjoint slices of that. The last partial global batch of an epoch is dropped, so every step averages
// gradients over exactly B samples.
class TrainShardPlan {
 public:
  static absl::StatusOr<TrainShardPlan> Create(int64_t num_samples, int64_t global_batch, int world_size);

  int64_t steps_per_epoch() const { return num_samples_ / global_batch_; }
  int64_t local_batch() const { return global_batch_ / world_size_; }
  int64_t global_batch() const { return global_batch_; }
  SampleRange RankSlice(int64_t step_in_epoch, int rank) const;
  // The same for a global batch that starts at permutation position `batch_begin`: a run resumed with another
  // global batch continues from a position that need not be a multiple of B.
  SampleRange RankSliceFrom(int64_t batch_begin, int rank) const;
  // Whether a whole global batch starting at `batch_begin` fits in the epoch.
  bool HasBatchAt(int64_t batch_begin) const { return batch_begin + global_batch_ <= num_samples_; }

 private:
  TrainShardPlan(int64_t num_samples, int64_t global_batch, int world_size)
      : num_samples_(num_samples), global_batch_(global_batch), world_size_(world_size) {}

  int64_t num_samples_;
  int64_t global_batch_;
  int world_size_;
};

// The contiguous share of an evaluation set that `rank` evaluates: sizes differ by at most one, nothing is padded
// or repeated, and the shares of all ranks cover [0, num_samples) exactly once.
SampleRange EvalShard(int64_t num_samples, int rank, int world_size);

}  // namespace strobe

#endif  // STROBE_COORDINATOR_SHARD_PLAN_H_
