#include "worker/data/image_dataset.h"

#include <ATen/ATen.h>

namespace strobe {

Normalization ComputeNormalization(const ImageDataset& dataset) {
  Normalization norm;
  const int64_t channels = dataset.images.size(1);
  for (int64_t c = 0; c < channels; ++c) {
    const at::Tensor pixels = dataset.images.select(1, c).to(at::kDouble).div_(255.0);
    norm.mean.push_back(pixels.mean().item<double>());
    norm.std.push_back(pixels.std(/*unbiased=*/false).item<double>());
  }
  return norm;
}

at::Tensor GatherImages(const ImageDataset& dataset, const at::Tensor& indices, const Normalization& norm) {
  const int64_t channels = dataset.images.size(1);
  at::Tensor mean = at::empty({1, channels, 1, 1}, at::kFloat);
  at::Tensor inv_std = at::empty({1, channels, 1, 1}, at::kFloat);
  for (int64_t c = 0; c < channels; ++c) {
    mean.data_ptr<float>()[c] = static_cast<float>(norm.mean[c]);
    inv_std.data_ptr<float>()[c] = static_cast<float>(1.0 / norm.std[c]);
  }
  at::Tensor batch = dataset.images.index_select(0, indices).to(at::kFloat);
  return batch.mul_(1.0f / 255.0f).sub_(mean).mul_(inv_std);
}

}  // namespace strobe
