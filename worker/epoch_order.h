#ifndef STROBE_WORKER_EPOCH_ORDER_H_
#define STROBE_WORKER_EPOCH_ORDER_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <optional>
#include <string>

#include "coordinator/streamed_order.h"
#include "worker/data/sample_source.h"

namespace strobe {

// How each epoch orders the training samples: --data_order and what it depends on.
struct EpochOrderSpec {
  std::optional<StreamedOrder> streamed;  // empty: one global permutation per epoch
  int64_t global_batch = 0;
  uint64_t seed = 0;

  // The order as a checkpoint records it: a mid-epoch checkpoint continues only under the same one.
  std::string Name() const;
};

// The order in which epoch `epoch` visits the training samples (int64 [size]: position -> sample index): a global
// permutation, or the streamed order of the source's shards. The same on every rank.
at::Tensor EpochOrder(const EpochOrderSpec& spec, const SampleSource& train, int64_t epoch);

}  // namespace strobe

#endif  // STROBE_WORKER_EPOCH_ORDER_H_
