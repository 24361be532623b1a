#ifndef STROBE_WORKER_IMAGENET_RESAMPLE_H_
#define STROBE_WORKER_IMAGENET_RESAMPLE_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "worker/imagenet/image_decoder.h"

namespace strobe {

// Where resampled values go and how they are scaled on the way: value · scale[c] + offset[c] is written to
// origin[c · channel_stride + y · row_stride + x · pixel_stride]. Interleaved, planar, flipped (a negative
// pixel_stride) and normalised outputs are all one layout. Values go to `origin` as floats or, when
// `byte_origin` is set instead, to bytes, rounded half up and clamped to 0-255 (as Pillow's 8-bit resize).
struct ResampleOutput {
  float* origin = nullptr;
  uint8_t* byte_origin = nullptr;
  std::ptrdiff_t channel_stride = 1;
  std::ptrdiff_t row_stride = 0;
  std::ptrdiff_t pixel_stride = 3;
  std::array<float, 3> scale = {1, 1, 1};
  std::array<float, 3> offset = {0, 0, 0};
};

// Resizes `region` of `image` to width × height with an antialiasing triangle (bilinear) filter whose support
// grows with the downscale factor — Pillow's resize(..., BILINEAR, box=region), torchvision's default for PIL
// images — on the 0-255 scale. Pixels around the region, where the image has them, feed the filter at its edges.
void ResampleRegion(const RgbImage& image, const Region& region, int width, int height, const ResampleOutput& out);

// The same into interleaved RGB floats (height × width × 3), unscaled.
void ResampleRegion(const RgbImage& image, const Region& region, int width, int height, float* out);

}  // namespace strobe

#endif  // STROBE_WORKER_IMAGENET_RESAMPLE_H_
