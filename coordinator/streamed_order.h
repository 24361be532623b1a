#ifndef STROBE_COORDINATOR_STREAMED_ORDER_H_
#define STROBE_COORDINATOR_STREAMED_ORDER_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"

namespace strobe {

// How an epoch visits a dataset stored in shards that are read fastest front to back (WebDataset tar shards on a
// network file system): WebDataset's shard shuffle plus shuffle buffer, made one deterministic permutation so that
// the shard plan, sample-exact resume and resuming on another world size work exactly as for the shuffled order.
//   1. The shards are shuffled from (seed, epoch) and laid end to end.
//   2. That sequence is cut into `streams` equal regions (the N mod streams samples left over go to the epoch's
//      tail, which the shard plan drops with the last partial batch).
//   3. Each region is shuffled within consecutive windows of `window` samples (the shuffle buffer's role).
//   4. Global batch s takes B/streams consecutive samples of every region, region 0 first.
// With `streams` a multiple of the world size, a rank's slice of every global batch is whole regions: rank r reads
// regions [r*S/W, (r+1)*S/W) front to back, one window at a time.
struct StreamedOrder {
  int64_t streams = 0;
  int64_t window = 1;
};

// The global batch must split evenly over the streams and the streams over the ranks; messages name the flags.
absl::Status CheckStreamedOrder(const StreamedOrder& order, int64_t global_batch, int world_size);

// The epoch's permutation of the samples [0, sum(shard_sizes)), shard k holding the next shard_sizes[k] indices.
std::vector<int64_t> StreamedEpochOrder(const std::vector<int64_t>& shard_sizes, int64_t global_batch,
                                        const StreamedOrder& order, uint64_t seed, int64_t epoch);

}  // namespace strobe

#endif  // STROBE_COORDINATOR_STREAMED_ORDER_H_
