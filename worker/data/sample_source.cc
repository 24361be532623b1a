#include "worker/data/sample_source.h"

#include <stdexcept>

namespace strobe {

Batch FetchBatch(SampleSource& source, const at::Tensor& indices, const BatchDraw& draw) {
  absl::StatusOr<Batch> batch = source.Fetch(indices, draw);
  if (!batch.ok()) throw std::runtime_error(std::string(batch.status().message()));
  return *std::move(batch);
}

}  // namespace strobe
