#ifndef STROBE_WORKER_IMAGENET_SAMPLE_TRANSFORM_H_
#define STROBE_WORKER_IMAGENET_SAMPLE_TRANSFORM_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "worker/imagenet/crop_sampler.h"
#include "worker/imagenet/image_decoder.h"

namespace strobe {

// What turns one encoded image into one network input: torchvision's RandomResizedCrop(size) +
// RandomHorizontalFlip + ToTensor + Normalize for training, Resize(resize_to) + CenterCrop(size) + ToTensor +
// Normalize for validation.
struct SampleTransform {
  int size = 224;
  int resize_to = 256;  // validation only
  RandomResizedCropOptions crop;
  std::array<float, 3> mean = {0.485f, 0.456f, 0.406f};  // ImageNet's, on the 0-1 scale
  std::array<float, 3> std = {0.229f, 0.224f, 0.225f};
  bool channels_last = false;  // write HWC (PyTorch's channels_last layout of an NCHW tensor) instead of CHW
  bool uint8_output = false;   // batches of 0-255 bytes, normalised where they are used (EncodedImageSource)
};

// Decodes `data` and writes the training input, 3 × size × size values (CHW, or HWC for channels_last), into
// `out`: floats normalised with mean and std, or bytes on the 0-255 scale (ToTensor and Normalize then run where
// the batch goes, see SampleSource::Normalize). Crop and flip are drawn from `sample_seed` alone.
absl::Status TransformTrainSample(const uint8_t* data, size_t bytes, const SampleTransform& transform,
                                  uint64_t sample_seed, float* out);
absl::Status TransformTrainSample(const uint8_t* data, size_t bytes, const SampleTransform& transform,
                                  uint64_t sample_seed, uint8_t* out);

// Only the decode TransformTrainSample starts with: the part of `data` that the sample's RandomResizedCrop keeps
// (bench/jpeg_pipeline_bench --decode_only times it alone).
absl::Status DecodeTrainRegion(const uint8_t* data, size_t bytes, const SampleTransform& transform,
                               uint64_t sample_seed, DecodedRegion* decoded);

// The validation input: deterministic, no flip.
absl::Status TransformEvalSample(const uint8_t* data, size_t bytes, const SampleTransform& transform, float* out);
absl::Status TransformEvalSample(const uint8_t* data, size_t bytes, const SampleTransform& transform, uint8_t* out);

}  // namespace strobe

#endif  // STROBE_WORKER_IMAGENET_SAMPLE_TRANSFORM_H_
