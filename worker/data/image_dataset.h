#ifndef STROBE_WORKER_DATA_IMAGE_DATASET_H_
#define STROBE_WORKER_DATA_IMAGE_DATASET_H_

#include <ATen/core/Tensor.h>

#include <vector>

namespace strobe {

// A labelled image set held in memory.
struct ImageDataset {
  at::Tensor images;  // uint8 [N, C, H, W]
  at::Tensor labels;  // int64 [N], each in [0, num_classes)
  int64_t num_classes = 0;

  int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
};

// Per-channel statistics used to normalise pixels (x / 255 - mean) / std.
struct Normalization {
  std::vector<double> mean;
  std::vector<double> std;
};

// The per-channel mean and standard deviation of `dataset`'s pixels on the [0, 1] scale; computed from the
// training split and applied to every split.
Normalization ComputeNormalization(const ImageDataset& dataset);

// The float batch [n, C, H, W] of the samples at `indices` (int64 [n]), normalised.
at::Tensor GatherImages(const ImageDataset& dataset, const at::Tensor& indices, const Normalization& norm);

}  // namespace strobe

#endif  // STROBE_WORKER_DATA_IMAGE_DATASET_H_
