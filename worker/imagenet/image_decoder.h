#ifndef STROBE_WORKER_IMAGENET_IMAGE_DECODER_H_
#define STROBE_WORKER_IMAGENET_IMAGE_DECODER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"

namespace strobe {

// 8-bit RGB pixels, row-major, interleaved (H × W × 3).
struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;
};

// A rectangle in pixel coordinates (fractional: a crop of a scaled image need not fall on whole pixels).
struct Region {
  double x = 0;
  double y = 0;
  double width = 0;
  double height = 0;
};

// The pixels decoded to cover a region, and where that region lies in them.
struct DecodedRegion {
  RgbImage image;
  Region region;     // the requested region in `image`'s pixel coordinates
  int dct_scale = 1;  // the image was decoded at 1/dct_scale of its size (JPEG only: 1, 2, 4 or 8)
};

// Decides the region to decode once the image's size is known (e.g. a RandomResizedCrop draw).
using RegionChooser = std::function<Region(int width, int height)>;

// Decodes only what covers the chosen region of a JPEG (libjpeg-turbo: the iMCU columns and the rows the region
// spans, plus a margin for the resampling filter) at the smallest DCT scale 1/1, 1/2, 1/4 or 1/8 that still leaves
// at least min_width × min_height pixels over the region, so a later resize to that size loses nothing. Baseline
// and progressive JPEGs; greyscale, YCbCr, RGB, CMYK and YCCK (Adobe-inverted or not) all come out as RGB. PNG
// data (ImageNet has PNGs named .JPEG) is recognised by its signature and decoded whole. Corrupt, truncated or
// empty data is an error naming what is wrong, never a crash or a partly grey image.
absl::StatusOr<DecodedRegion> DecodeImageRegion(const uint8_t* data, size_t size, const RegionChooser& choose,
                                                int min_width, int min_height);

// The same into `decoded`, reusing its pixel buffer: a decoding thread keeps one, sparing an allocation (and the
// page faults of a fresh one) per image.
absl::Status DecodeImageRegionInto(const uint8_t* data, size_t size, const RegionChooser& choose, int min_width,
                                   int min_height, DecodedRegion* decoded);

// The whole image at full size.
absl::StatusOr<RgbImage> DecodeImage(const uint8_t* data, size_t size);

}  // namespace strobe

#endif  // STROBE_WORKER_IMAGENET_IMAGE_DECODER_H_
