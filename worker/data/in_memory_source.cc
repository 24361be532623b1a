#include "worker/data/in_memory_source.h"

#include <ATen/ATen.h>

namespace strobe {

absl::StatusOr<Batch> InMemorySource::Fetch(const at::Tensor& indices, const BatchDraw& draw) {
  at::Tensor images = GatherImages(dataset_, indices, norm_);
  const int64_t side = dataset_.images.size(2);
  const int64_t train_side = draw.augment ? train_sizes_.SizeAt(draw.epoch, static_cast<int>(side)) : side;
  // Normalisation is affine per channel and the filter's weights sum to one, so resizing after it is the same as
  // resizing the pixels first.
  if (train_side != side) {
    images = at::_upsample_bilinear2d_aa(images, {train_side, train_side}, /*align_corners=*/false);
  }
  return Batch{images, dataset_.labels.index_select(0, indices)};
}

}  // namespace strobe
