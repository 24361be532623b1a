#include "worker/imagenet/sample_transform.h"

#include "ops/random_bits.h"
#include "worker/imagenet/image_decoder.h"
#include "worker/imagenet/resample.h"

namespace strobe {
namespace {

// The flip is drawn from a different stream than the crop (a fixed odd offset of the seed), so the two draws do
// not correlate.
bool DrawFlip(uint64_t sample_seed) {
  uint64_t state = sample_seed;
  return (SplitMix64(state) & 1) != 0;
}

void SetOrigin(float* origin, const SampleTransform& transform, ResampleOutput& layout) {
  layout.origin = origin;
  for (int c = 0; c < 3; ++c) {  // (x / 255 - mean) / std
    layout.scale[c] = 1.0f / (255.0f * transform.std[c]);
    layout.offset[c] = -transform.mean[c] / transform.std[c];
  }
}
void SetOrigin(uint8_t* origin, const SampleTransform&, ResampleOutput& layout) { layout.byte_origin = origin; }

RegionChooser TrainRegion(const SampleTransform& transform, uint64_t sample_seed) {
  return [&transform, sample_seed](int width, int height) {
    return SampleRandomResizedCrop(width, height, transform.crop, sample_seed);
  };
}

template <typename T>
absl::Status Transform(const uint8_t* data, size_t bytes, const SampleTransform& transform,
                       const RegionChooser& choose, bool flip, T* out) {
  thread_local DecodedRegion decoded_storage;
  DecodedRegion* decoded = &decoded_storage;
  if (absl::Status status = DecodeImageRegionInto(data, bytes, choose, transform.size, transform.size, decoded);
      !status.ok()) {
    return status;
  }
  // In the tensor's layout, mirrored when flipping, written as the filter produces each value.
  const std::ptrdiff_t size = transform.size;
  ResampleOutput layout;
  layout.channel_stride = transform.channels_last ? 1 : size * size;
  layout.row_stride = transform.channels_last ? size * 3 : size;
  const std::ptrdiff_t pixel_stride = transform.channels_last ? 3 : 1;
  layout.pixel_stride = flip ? -pixel_stride : pixel_stride;
  SetOrigin(flip ? out + (size - 1) * pixel_stride : out, transform, layout);
  ResampleRegion(decoded->image, decoded->region, transform.size, transform.size, layout);
  return absl::OkStatus();
}

template <typename T>
absl::Status TrainSample(const uint8_t* data, size_t bytes, const SampleTransform& transform, uint64_t sample_seed,
                         T* out) {
  return Transform(data, bytes, transform, TrainRegion(transform, sample_seed), DrawFlip(sample_seed), out);
}

template <typename T>
absl::Status EvalSample(const uint8_t* data, size_t bytes, const SampleTransform& transform, T* out) {
  const RegionChooser choose = [&](int width, int height) {
    return CenterCropRegion(width, height, transform.resize_to, transform.size);
  };
  return Transform(data, bytes, transform, choose, false, out);
}

}  // namespace

absl::Status TransformTrainSample(const uint8_t* data, size_t bytes, const SampleTransform& transform,
                                  uint64_t sample_seed, float* out) {
  return TrainSample(data, bytes, transform, sample_seed, out);
}

absl::Status TransformTrainSample(const uint8_t* data, size_t bytes, const SampleTransform& transform,
                                  uint64_t sample_seed, uint8_t* out) {
  return TrainSample(data, bytes, transform, sample_seed, out);
}

absl::Status DecodeTrainRegion(const uint8_t* data, size_t bytes, const SampleTransform& transform,
                               uint64_t sample_seed, DecodedRegion* decoded) {
  return DecodeImageRegionInto(data, bytes, TrainRegion(transform, sample_seed), transform.size, transform.size,
                               decoded);
}

absl::Status TransformEvalSample(const uint8_t* data, size_t bytes, const SampleTransform& transform, float* out) {
  return EvalSample(data, bytes, transform, out);
}

absl::Status TransformEvalSample(const uint8_t* data, size_t bytes, const SampleTransform& transform, uint8_t* out) {
  return EvalSample(data, bytes, transform, out);
}

}  // namespace strobe
