#ifndef STROBE_WORKER_EPOCH_ORDER_H_
#define STROBE_WORKER_EPOCH_ORDER_H_

#include <ATen/core/Tensor.h>

#include <cstdint>

#include "worker/data/sample_source.h"
#include "worker/train_config.h"

namespace strobe {

// The order in which epoch `epoch` visits the training samples (int64 [size]: position -> sample index), as
// --data_order says: a global permutation, or the streamed order of the source's shards. The same on every rank.
at::Tensor EpochOrder(const TrainConfig& config, const SampleSource& train, int world_size, int64_t epoch);

}  // namespace strobe

#endif  // STROBE_WORKER_EPOCH_ORDER_H_
