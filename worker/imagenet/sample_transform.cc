#include "worker/imagenet/sample_transform.h"

#include "worker/imagenet/image_decoder.h"
#include "worker/imagenet/resample.h"

namespace strobe {
namespace {

// The flip is drawn from a different stream than the crop (a fixed odd offset of the seed), so the two draws do
// not correlate.
bool DrawFlip(uint64_t sample_seed) {
  uint64_t z = sample_seed + 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return ((z ^ (z >> 31)) & 1) != 0;
}

absl::Status Transform(const uint8_t* data, size_t bytes, const SampleTransform& transform,
                       const RegionChooser& choose, bool flip, float* out) {
  absl::StatusOr<DecodedRegion> decoded = DecodeImageRegion(data, bytes, choose, transform.size, transform.size);
  if (!decoded.ok()) return decoded.status();
  // (x / 255 - mean) / std, planar (CHW), mirrored when flipping, written as the filter produces each value.
  const int size = transform.size;
  ResampleOutput planar;
  planar.channel_stride = static_cast<std::ptrdiff_t>(size) * size;
  planar.row_stride = size;
  planar.pixel_stride = flip ? -1 : 1;
  planar.origin = flip ? out + size - 1 : out;
  for (int c = 0; c < 3; ++c) {
    planar.scale[c] = 1.0f / (255.0f * transform.std[c]);
    planar.offset[c] = -transform.mean[c] / transform.std[c];
  }
  ResampleRegion(decoded->image, decoded->region, size, size, planar);
  return absl::OkStatus();
}

}  // namespace

absl::Status TransformTrainSample(const uint8_t* data, size_t bytes, const SampleTransform& transform,
                                  uint64_t sample_seed, float* out) {
  const RegionChooser choose = [&](int width, int height) {
    return SampleRandomResizedCrop(width, height, transform.crop, sample_seed);
  };
  return Transform(data, bytes, transform, choose, DrawFlip(sample_seed), out);
}

absl::Status TransformEvalSample(const uint8_t* data, size_t bytes, const SampleTransform& transform, float* out) {
  const RegionChooser choose = [&](int width, int height) {
    return CenterCropRegion(width, height, transform.resize_to, transform.size);
  };
  return Transform(data, bytes, transform, choose, false, out);
}

}  // namespace strobe
