#include "worker/epoch_order.h"

#include <ATen/ATen.h>

#include <vector>

#include "coordinator/shard_plan.h"
#include "coordinator/streamed_order.h"

namespace strobe {

at::Tensor EpochOrder(const TrainConfig& config, const SampleSource& train, int world_size, int64_t epoch) {
  std::vector<int64_t> order =
      StreamsData(config) ? StreamedEpochOrder(train.shard_sizes(), config.global_batch,
                                               EffectiveStreamedOrder(config, world_size), config.seed, epoch)
                          : EpochPermutation(train.size(), config.seed, epoch);
  return at::from_blob(order.data(), {static_cast<int64_t>(order.size())}, at::kLong).clone();
}

}  // namespace strobe
