#ifndef STROBE_WORKER_IMAGENET_RESAMPLE_H_
#define STROBE_WORKER_IMAGENET_RESAMPLE_H_

#include "worker/imagenet/image_decoder.h"

namespace strobe {

// Resizes `region` of `image` to width × height with an antialiasing triangle (bilinear) filter whose support
// grows with the downscale factor — Pillow's resize(..., BILINEAR, box=region), torchvision's default for PIL
// images — and writes float RGB values on the 0-255 scale, interleaved (height × width × 3). Pixels around the
// region, where the image has them, feed the filter at its edges.
void ResampleRegion(const RgbImage& image, const Region& region, int width, int height, float* out);

}  // namespace strobe

#endif  // STROBE_WORKER_IMAGENET_RESAMPLE_H_
