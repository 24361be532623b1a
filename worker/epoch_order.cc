#include "worker/epoch_order.h"

#include <ATen/ATen.h>

#include <vector>

#include "absl/strings/str_format.h"
#include "coordinator/shard_plan.h"

namespace strobe {

std::string EpochOrderSpec::Name() const {
  if (!streamed.has_value()) return "shuffled";
  return absl::StrFormat("streamed: --data_streams=%d --shuffle_window=%d --batch_size=%d", streamed->streams,
                         streamed->window, global_batch);
}

at::Tensor EpochOrder(const EpochOrderSpec& spec, const SampleSource& train, int64_t epoch) {
  std::vector<int64_t> order =
      spec.streamed.has_value()
          ? StreamedEpochOrder(train.shard_sizes(), spec.global_batch, *spec.streamed, spec.seed, epoch)
          : EpochPermutation(train.size(), spec.seed, epoch);
  return at::from_blob(order.data(), {static_cast<int64_t>(order.size())}, at::kLong).clone();
}

}  // namespace strobe
