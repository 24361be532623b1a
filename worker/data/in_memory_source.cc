#include "worker/data/in_memory_source.h"

#include <ATen/ATen.h>

namespace strobe {

absl::StatusOr<Batch> InMemorySource::Fetch(const at::Tensor& indices, const BatchDraw&) {
  return Batch{GatherImages(dataset_, indices, norm_), dataset_.labels.index_select(0, indices)};
}

}  // namespace strobe
